#!/usr/bin/env node
// A native-compatible front end for the npm `solc` WebAssembly build.
//
// py-solc-x calls a native solc as `solc --version` and
// `solc --standard-json --base-path <dir> [--allow-paths ...]` with the input on stdin.
// `solcjs` is not a drop-in (it prints a banner and truncates piped output), so this
// script speaks the native protocol: it resolves imports from the base path and the
// include paths, and writes the whole JSON with blocking writes.
'use strict';
const fs = require('fs');
const path = require('path');

function option(args, name) {
  const values = [];
  for (let i = 0; i < args.length; i++) {
    if (args[i] === name && i + 1 < args.length) values.push(args[++i]);
    else if (args[i].startsWith(name + '=')) values.push(args[i].slice(name.length + 1));
  }
  return values;
}

function writeAll(fd, text) {
  const buffer = Buffer.from(text, 'utf8');
  let offset = 0;
  while (offset < buffer.length) {
    try {
      offset += fs.writeSync(fd, buffer, offset, buffer.length - offset);
    } catch (err) {
      if (err.code !== 'EAGAIN') throw err;
    }
  }
}

function main() {
  const args = process.argv.slice(2);
  const solc = require('solc');
  if (args.includes('--version')) {
    writeAll(1, `solc, the solidity compiler commandline interface\nVersion: ${solc.version()}\n`);
    return 0;
  }
  if (!args.includes('--standard-json')) {
    writeAll(2, 'solc-frontend: only --version and --standard-json are supported\n');
    return 2;
  }
  const roots = [...option(args, '--base-path'), ...option(args, '--include-path'), process.cwd()]
    .map((dir) => path.resolve(dir));
  const findImports = (importPath) => {
    for (const root of roots) {
      const candidate = path.resolve(root, importPath);
      if (fs.existsSync(candidate) && fs.statSync(candidate).isFile()) {
        return { contents: fs.readFileSync(candidate, 'utf8') };
      }
    }
    return { error: `File not found in ${roots.join(', ')}: ${importPath}` };
  };
  const input = fs.readFileSync(0, 'utf8');
  writeAll(1, solc.compile(input, { import: findImports }));
  return 0;
}

process.exitCode = main();
