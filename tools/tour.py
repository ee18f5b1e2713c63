"""The tour in docs/, replayed: every ```console block of its pages (:data:`PAGES`, in that order),
on a fresh local chain.

    .venv/bin/python tools/tour.py --check    # every command exits and prints what the pages show
    .venv/bin/python tools/tour.py --write    # rewrite the pages' outputs from a real run

A ```console block holds ``$ rwa ...`` lines (or ``$ cat FILE``, to show an example file), each
followed by its output; other fenced blocks are illustrative and left alone. The commands run in
this process (``rwa.cli.app.main``, as the tests' in-process runner does), one after the other,
against a private anvil on its own port with its own state and deployments folders
(APE_FOUNDRY_HOST, RWA_STATE_DIR, RWA_DEPLOYMENTS_DIR), with COLUMNS=100 and NO_COLOR=1, from the
project root (so ``examples/...`` paths resolve). Stdout and stderr are shown together, as a
terminal shows them. The Ape connection stays open from one command to the next.

A command whose shown output has a line starting with ``error:`` must exit non-zero, any other
must exit 0. Outputs are compared after normalising what legitimately differs between runs: dates
and times, progress timings, the anvil's pid, and values that come out of randomness or the clock
(transaction and Safe hashes, proposal ids, signatures, unix deadlines). Those may differ from the
pages, but consistently: a value the pages show twice must come out twice, and when a later
command uses it (``rwa safe sign 0000-a9e5d2c8``), it runs with the value this run printed. The
scratch folders and port are shown as the defaults (``deployments``, ``.rwa``, port 8545). The
timelock salts of proposals, random in `rwa`, are numbered here, so proposal ids and hashes stay
the same from one ``--write`` to the next.
"""

from __future__ import annotations

import argparse
import contextlib
import difflib
import io
import itertools
import os
import re
import shlex
import shutil
import socket
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
#: The tour's pages, in the order it runs them (each continues on the chain the one before left).
PAGES = tuple(
    ROOT / "docs" / f"{name}.md"
    for name in ("tour", "property", "offering", "market", "nil", "fans", "governance", "watch", "networks", "reference")
)
FENCE = "```"
REPLAYED = "```console"
PROMPT = "$ "

# Values that differ between runs. Mapped ones may stand for another value of this run, always the
# same one; the others only need to be of the same kind.
VOLATILE = re.compile(
    r"(?P<signature>0x[0-9a-fA-F]{130}\b)"
    r"|(?P<hash>0x[0-9a-fA-F]{64}\b)"
    r"|(?P<cut>0x[0-9a-fA-F]{4,}…)"
    r"|(?P<proposal>\b\d{4}-[0-9a-f]{8}\b)"
    r"|(?P<datetime>\b\d{4}-\d{2}-\d{2}(?:[T ]\d{1,2}(?::\d{1,2}){0,2}(?:\+\d{1,2}(?::\d{0,2})?| UTC|Z)?)?)"
    r"|(?P<clock>\b\d+:\d{2}:\d{2}\b)"
    r"|(?P<unix>\b1[6-9]\d{8}\b)"
    r'|(?<="pid": )(?P<pid>\d+)'
)
MAPPED = {"signature", "hash", "proposal", "unix"}
# Environment that would point the tour somewhere else, or change its output.
CLEARED = ("RWA_MANIFEST", "RWA_PROJECT", "RWA_DEBUG", "FORCE_COLOR")


@dataclass
class Command:
    line: int  # index of the `$ ` line on the page
    text: str  # what follows the prompt
    output: list[str]


@dataclass
class Block:
    start: int  # index of the opening fence
    end: int  # index of the closing fence
    commands: list[Command] = field(default_factory=list)


def parse(lines: list[str], name: Path | str = "README.md") -> list[Block]:
    """The replayed blocks of a page, in order."""
    blocks: list[Block] = []
    index = 0
    while index < len(lines):
        if lines[index].strip() != REPLAYED:
            if lines[index].startswith(FENCE):  # skip other fenced blocks whole
                index += 1
                while index < len(lines) and not lines[index].startswith(FENCE):
                    index += 1
            index += 1
            continue
        block = Block(index, index)
        index += 1
        while index < len(lines) and lines[index].strip() != FENCE:
            line = lines[index]
            if line.startswith(PROMPT):
                block.commands.append(Command(index, line[len(PROMPT) :], []))
            elif block.commands:
                block.commands[-1].output.append(line)
            elif line.strip():
                raise SystemExit(f"{name}:{index + 1}: a console block starts with output, not `$ rwa ...`")
            index += 1
        block.end = index
        for command in block.commands:
            while command.output and not command.output[-1].strip():
                command.output.pop()
        blocks.append(block)
        index += 1
    return blocks


def skeleton(line: str) -> tuple[str, list[tuple[str, str]]]:
    """A line with its volatile values replaced by their kinds, and those values."""
    values: list[tuple[str, str]] = []

    def mark(match: re.Match[str]) -> str:
        kind = match.lastgroup or "?"
        values.append((kind, match.group()))
        return f"<{kind}>"

    return VOLATILE.sub(mark, line), values


def expects_failure(output: list[str]) -> bool:
    return any(line.startswith(("error:", "Error:")) for line in output)


class Tour:
    """A private chain and folders, and the values this run printed in place of the page's."""

    def __init__(self, port: int):
        self.port = port
        self.scratch = Path(tempfile.mkdtemp(prefix="rwa-tour-"))
        self.url = f"http://127.0.0.1:{port}"
        self.literal = False  # --write --literal: this run's values, not the page's
        self.renamed: dict[str, str] = {}  # page value -> this run's
        self.renamed_back: dict[str, str] = {}
        self.shown: dict[str, str] = {}  # --write: this run's value -> how the page shows it

    def __enter__(self) -> Tour:
        for name in CLEARED:
            os.environ.pop(name, None)
        for name in [n for n in os.environ if n.endswith(("_RPC_URL", "_SAFE_SERVICE_URL"))]:
            os.environ.pop(name)
        os.environ.update(
            APE_FOUNDRY_HOST=self.url,
            RWA_STATE_DIR=str(self.scratch / "state"),
            RWA_DEPLOYMENTS_DIR=str(self.scratch / "deployments"),
            COLUMNS="100",
            NO_COLOR="1",
        )
        os.chdir(ROOT)
        # Timelock salts are random; the tour's are numbered, so its proposals keep their ids (and
        # their order in `rwa safe list`) from one run to the next.
        from eth_utils import keccak

        from rwa.admin import governance

        numbers = itertools.count(1)
        governance.new_salt = lambda: "0x" + keccak(text=f"rwa-tour-salt-{next(numbers)}").hex()  # type: ignore[attr-defined]
        # Each command opens its network as it always does (manifest, node, compiler, account), but
        # the Ape connection to the private chain stays open between commands, as in the tests'
        # in-process runner: connecting costs more than most commands.
        from rwa.chain import client

        self.connect = client.connect
        self.connections = contextlib.ExitStack()
        opened: dict[tuple[str, str | None], client.Chain] = {}

        @contextlib.contextmanager
        def kept_open(ape_choice: str, rpc_url: str | None = None) -> Iterator[client.Chain]:
            key = (ape_choice, rpc_url)
            if key not in opened:
                opened[key] = self.connections.enter_context(self.connect(ape_choice, rpc_url))
            yield opened[key]

        client.connect = kept_open  # type: ignore[assignment]
        return self

    def __exit__(self, *exc: object) -> None:
        from rwa.chain import client, node
        from rwa.core.project import ProjectPaths

        self.connections.close()
        client.connect = self.connect  # type: ignore[assignment]
        node.stop(ProjectPaths(ROOT))
        shutil.rmtree(self.scratch, ignore_errors=True)

    def argv(self, text: str) -> list[str]:
        words = shlex.split(self.substitute(text), comments=True)
        if not words or words[0] not in ("rwa", "cat"):
            raise SystemExit(f"docs/: the tour runs `rwa ...` and `cat FILE` only, not: {text}")
        return words

    def substitute(self, text: str) -> str:
        """A page's command with the values it took from earlier outputs replaced by this run's."""
        for old, new in self.renamed.items():
            text = text.replace(old, new)
        return text

    def run(self, text: str) -> tuple[int, list[str]]:
        program, *argv = self.argv(text)
        if program == "cat":  # to show an example file
            return 0, [line.rstrip() for name in argv for line in (ROOT / name).read_text(encoding="utf-8").splitlines()]
        from rwa.cli.app import main

        buffer = io.StringIO()
        os.chdir(ROOT)
        saved = sys.argv
        sys.argv = ["rwa", *argv]  # Click names the program after argv[0]
        try:
            with contextlib.redirect_stdout(buffer), contextlib.redirect_stderr(buffer):
                try:
                    main(argv)
                    code = 0
                except SystemExit as exc:
                    code = exc.code if isinstance(exc.code, int) else 1
        finally:
            sys.argv = saved
        out = buffer.getvalue()
        out = out.replace(str(self.scratch / "deployments"), "deployments").replace(str(self.scratch / "state"), ".rwa")
        out = out.replace(self.url, "http://127.0.0.1:8545")
        lines = [line.rstrip() for line in out.splitlines()]
        while lines and not lines[-1]:
            lines.pop()
        return code, lines

    def rename(self, old: str, new: str) -> bool:
        """Record that the page's ``old`` is this run's ``new``; False if that contradicts earlier ones."""
        if self.renamed.get(old, new) != new or self.renamed_back.get(new, old) != old:
            return False
        if old != new:
            self.renamed[old] = new
            self.renamed_back[new] = old
        return True

    def compare(self, expected: list[str], actual: list[str]) -> list[str]:
        """What differs, beyond what legitimately varies; the values that vary are recorded."""
        want = [skeleton(line) for line in expected]
        got = [skeleton(line) for line in actual]
        if [s for s, _ in want] != [s for s, _ in got]:
            diff = difflib.unified_diff([s for s, _ in want], [s for s, _ in got], "page", "this run", lineterm="")
            return list(diff)
        problems = []
        for (_, old_values), (_, new_values) in zip(want, got, strict=True):
            for (kind, old), (_, new) in zip(old_values, new_values, strict=True):
                if kind in MAPPED and not self.rename(old, new):
                    problems.append(
                        f"{old} stands for {new} here but for {self.renamed.get(old) or self.renamed_back.get(new)} before"
                    )
        return problems

    def shown_output(self, expected: list[str], actual: list[str], keep: bool) -> list[str]:
        """--write: what the page shows for a command. An output that matched is kept as it is, so
        rerunning --write changes only what really changed; in a new output, values that the page
        already shows (a proposal id, a signature) keep their page's form. --literal shows this run's
        output as it is."""
        if self.literal:
            return actual
        if keep:
            for (_, old_values), (_, new_values) in zip(map(skeleton, expected), map(skeleton, actual), strict=True):
                for (kind, old), (_, new) in zip(old_values, new_values, strict=True):
                    if kind in MAPPED:
                        self.shown.setdefault(new, old)
            return expected

        def show(match: re.Match[str]) -> str:
            value = match.group()
            return self.shown.setdefault(value, value) if match.lastgroup in MAPPED else value

        return [VOLATILE.sub(show, line) for line in actual]

    def shown_command(self, text: str) -> str:
        """--write: a command as the page shows it, with values taken from earlier outputs as shown there."""
        if self.literal:
            return self.substitute(text)
        for old, new in self.renamed.items():
            text = text.replace(old, self.shown.get(new, new))
        return text

    def learn(self, expected: list[str], actual: list[str]) -> None:
        """--write: pair the page's values with this run's, kind by kind, in order of appearance
        (values both show are the same; values already paired are skipped)."""
        for kind in MAPPED:
            old = [v for line in expected for k, v in skeleton(line)[1] if k == kind]
            new = [v for line in actual for k, v in skeleton(line)[1] if k == kind]
            both = set(old) & set(new)
            old = [v for v in dict.fromkeys(old) if v not in both and v not in self.renamed]
            new = [v for v in dict.fromkeys(new) if v not in both and v not in self.renamed_back]
            for a, b in zip(old, new, strict=False):
                self.rename(a, b)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def replay(write: bool, port: int, verbose: bool, literal: bool = False) -> int:
    pages = {page: page.read_text(encoding="utf-8").splitlines() for page in PAGES if page.is_file()}
    parsed = {page: parse(lines, page.relative_to(ROOT)) for page, lines in pages.items()}
    failures: list[str] = []
    replaced: dict[tuple[Path, int], list[str]] = {}  # (page, block start) -> new lines between the fences
    started = time.monotonic()
    with Tour(port) as tour:
        tour.literal = literal
        for page, blocks in parsed.items():
            for block in blocks:
                new_block: list[str] = []
                for command in block.commands:
                    began = time.monotonic()
                    code, actual = tour.run(command.text)
                    where = f"{page.relative_to(ROOT)}:{command.line + 1}: $ {tour.substitute(command.text)}"
                    if verbose:
                        print(f"{time.monotonic() - began:6.2f}s  {where}", file=sys.stderr)
                    same_exit = expects_failure(command.output) == (code != 0)
                    problems = tour.compare(command.output, actual) if same_exit else ["exit"]
                    if problems:
                        tour.learn(command.output, actual)  # so that later commands still get this run's values
                    if write:
                        if command.output and not same_exit:
                            now = f"fails now (exit {code})" if code else "succeeds now"
                            print(f"note: {where}\n  {now}; review the text around it", file=sys.stderr)
                        if new_block:
                            new_block.append("")
                        new_block += [
                            PROMPT + tour.shown_command(command.text),
                            *tour.shown_output(command.output, actual, keep=not problems),
                        ]
                    elif not same_exit:
                        wanted = "an error" if expects_failure(command.output) else "exit 0"
                        failures.append(f"{where}\n  the page shows {wanted}; it exited {code}:\n    " + "\n    ".join(actual))
                    elif problems:
                        failures.append(f"{where}\n  output differs:\n    " + "\n    ".join(problems))
                replaced[(page, block.start)] = new_block
    commands = sum(len(b.commands) for blocks in parsed.values() for b in blocks)
    count = sum(len(blocks) for blocks in parsed.values())
    elapsed = time.monotonic() - started
    if write:
        for page, blocks in parsed.items():
            lines, out, index = pages[page], [], 0
            for block in blocks:
                out += lines[index : block.start + 1] + replaced[(page, block.start)]
                index = block.end
            out += lines[index:]
            page.write_text("\n".join(out) + "\n", encoding="utf-8")
        print(f"docs/: {commands} command(s) in {count} block(s) replayed and written in {elapsed:.0f}s")
        return 0
    if failures:
        print("\n\n".join(failures), file=sys.stderr)
        print(
            f"\n{len(failures)} of {commands} command(s) differ from the docs; "
            "regenerate with `.venv/bin/python tools/tour.py --write`",
            file=sys.stderr,
        )
        return 1
    print(f"docs/: {commands} command(s) in {count} block(s) replayed as shown in {elapsed:.0f}s")
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    mode = parser.add_mutually_exclusive_group(required=True)
    mode.add_argument("--check", action="store_true", help="fail unless every command runs as the pages show")
    mode.add_argument("--write", action="store_true", help="rewrite the pages' outputs from this run")
    parser.add_argument("--literal", action="store_true", help="with --write: show this run's values as they are")
    parser.add_argument("--port", type=int, default=0, help="the private anvil's port (default: a free one)")
    parser.add_argument("-v", "--verbose", action="store_true", help="print each command and its time")
    options = parser.parse_args()
    return replay(options.write, options.port or free_port(), options.verbose, options.literal)


if __name__ == "__main__":
    sys.exit(main())
