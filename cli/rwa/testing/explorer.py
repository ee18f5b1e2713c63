"""An Etherscan stand-in on loopback: the verification endpoints of its multichain API (v2), checked
against the test chain and the project as the real explorer checks them.

A source submission (``verifysourcecode``) is accepted only with the right key and chain id, the
project's compiler version and settings (optimizer, EVM version, via-IR, read from ape-config.yaml
here, not from the toolkit), every source equal to the project's file (OpenZeppelin's to the npm
package's), and creation code that is exactly what the chain ran to create the address: the
contract's compiled creation code followed by the submitted constructor arguments, the creation
code found by tracing the creating transaction (``ots_getContractCreator``, then
``debug_traceTransaction``) like an explorer's indexer does, and runtime code at the address that is
exactly the compiled runtime (its metadata included) but for the immutables' values, as Etherscan and
Sourcify compare it: a contract whose constructor returns code of its own making is refused. With ``compile=True`` the submitted
input is compiled (with the project's solc or vyper) and its output compared, instead of the
project's own build. Verdicts come as Etherscan gives them: "Pending in queue" (``pending_polls``
times), then
"Pass - Verified" or "Fail - Unable to verify. ...". ``verifyproxycontract`` finds the
implementation as Etherscan does (ERC-1967 implementation slot, beacon slot, EIP-1167 code) and
wants it verified first. ``refuse`` names addresses whose source it rejects.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import sys
import threading
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import yaml
from eth_utils import to_checksum_address

from rwa.chain.client import rpc_request
from rwa.core.project import ProjectPaths
from rwa.testing import environment

IMPLEMENTATION_SLOT = "0x360894a13ba1a3210667c828492db98dca3e2076cc3735a920a3ca505d382bbc"
BEACON_SLOT = "0xa3f0ad74e5423aebfd80d3ef4346578335a9a72aeaee59ff6cb3582b35133d50"
CLONE_PREFIX = "363d3d373d3d3d363d73"
NOT_VERIFIED = "Contract source code not verified"
#: Where Ape's names for dependency sources point in the project (ape-config.yaml's dependencies).
DEPENDENCY_FOLDERS = {
    "contracts/.cache/openzeppelin/5.4.0/": "node_modules/@openzeppelin/contracts/",
    "contracts/.cache/openzeppelin-upgradeable/5.4.0/": "node_modules/@openzeppelin/contracts-upgradeable/",
}
FAIL = "Fail - Unable to verify. "


def runtime_matches(compiled: str, deployed: str, immutables: list[tuple[int, int]] | None, vyper: bool) -> bool:
    """Whether the code at an address is the compiled runtime (hex, no prefix), as Etherscan and Sourcify
    compare them: byte for byte, metadata included, but for the immutables' values, which the constructor
    wrote: at ``immutables`` (start, length in bytes, as solc reports them), or where unknown at each
    ``PUSH32 0`` of the compiled code (solc's placeholder for one). Vyper appends its immutables to the
    runtime, so the compiled runtime is a prefix of the code."""
    if vyper:
        return bool(compiled) and deployed.startswith(compiled)
    if len(compiled) != len(deployed):
        return False
    if immutables is None:
        placeholder = "7f" + "00" * 32
        immutables, at = [], compiled.find(placeholder)
        while at >= 0:
            if at % 2 == 0:
                immutables.append((at // 2 + 1, 32))
            at = compiled.find(placeholder, at + 1)
    masked_compiled, masked_deployed = bytearray.fromhex(compiled), bytearray.fromhex(deployed)
    for start, length in immutables:
        masked_compiled[start : start + length] = masked_deployed[start : start + length] = bytes(length)
    return masked_compiled == masked_deployed


def _ok(result: Any) -> dict[str, Any]:
    return {"status": "1", "message": "OK", "result": result}


def _notok(result: Any) -> dict[str, Any]:
    return {"status": "0", "message": "NOTOK", "result": result}


class FakeExplorer:
    def __init__(self, rpc_url: str, root: Path, key: str = "test-key", compile: bool = False):
        self.rpc_url = rpc_url
        self.root = root
        self.key = key
        self.compile = compile
        self.refuse: set[str] = set()
        self.pending_polls = 1  # how many checks of a receipt answer "Pending in queue"
        self.requests: list[dict[str, str]] = []  # every request's fields, in order
        self.verified: dict[str, dict[str, Any]] = {}  # address -> what was accepted
        self.proxies: dict[str, str] = {}  # proxy -> implementation, once linked
        self._receipts: dict[str, dict[str, Any]] = {}  # guid -> {"polls", "verdict", ...}
        self._compiled: dict[str, dict[str, Any]] = {}
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._thread = environment.server_thread(self._server)
        self.chain_id = int(rpc_request(rpc_url, "eth_chainId"), 16)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}/v2/api"

    def __enter__(self) -> FakeExplorer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def submissions(self, action: str = "verifysourcecode") -> list[dict[str, str]]:
        return [r for r in self.requests if r.get("action") == action]

    # --- the API ---------------------------------------------------------------------------------

    def answer(self, fields: dict[str, str]) -> dict[str, Any]:
        with self._lock:
            self.requests.append(fields)
        if fields.get("apikey") != self.key:
            return _notok("Invalid API Key (#err2)|")
        if fields.get("chainid") != str(self.chain_id):
            return _notok("Missing or unsupported chainid parameter (required for v2 api)")
        if fields.get("module") != "contract":
            return _notok("Error! Missing Or invalid Module name")
        action = fields.get("action")
        if action == "getsourcecode":
            return self._source_of(fields.get("address", ""))
        if action == "verifysourcecode":
            return self._submit(fields)
        if action == "verifyproxycontract":
            return self._submit_proxy(fields)
        if action in ("checkverifystatus", "checkproxyverification"):
            return self._check(fields.get("guid", ""), proxy=action == "checkproxyverification")
        return _notok("Error! Missing Or invalid Action name")

    def _source_of(self, address: str) -> dict[str, Any]:
        found = self.verified.get(address.lower())
        if found is None:
            return _ok([{"SourceCode": "", "ABI": NOT_VERIFIED, "ContractName": "", "Proxy": "0", "Implementation": ""}])
        implementation = self.proxies.get(address.lower(), "")
        return _ok([{**found, "Proxy": "1" if implementation else "0", "Implementation": implementation}])

    def _receipt(self, verdict: dict[str, Any]) -> dict[str, Any]:
        guid = hashlib.sha256(f"{len(self._receipts)}:{verdict}".encode()).hexdigest()[:50]
        with self._lock:
            self._receipts[guid] = {"polls": 0, **verdict}
        return _ok(guid)

    def _check(self, guid: str, proxy: bool) -> dict[str, Any]:
        receipt = self._receipts.get(guid)
        if receipt is None or receipt["proxy"] != proxy:
            return _notok("Unable to locate ContractCode" if not proxy else "Invalid guid")
        receipt["polls"] += 1
        if receipt["polls"] <= self.pending_polls:
            return _notok("Pending in queue")
        if receipt["failure"]:
            return _notok(receipt["failure"])
        address = receipt["address"]
        if proxy:
            self.proxies[address] = receipt["implementation"]
            return _ok(
                f"The proxy's ({to_checksum_address(address)}) implementation contract is found at "
                f"{receipt['implementation']} and is successfully updated."
            )
        self.verified[address] = receipt["accepted"]
        return _ok("Pass - Verified")

    def _submit(self, fields: dict[str, str]) -> dict[str, Any]:
        address = fields.get("contractaddress", "").lower()
        if address in self.verified:
            return _notok("Contract source code already verified")
        try:
            accepted = self._checked(fields)
            failure = None
        except ValueError as exc:
            accepted, failure = None, f"{FAIL}{exc}"
        except OSError as exc:  # the node or the compiler did not answer: a verdict that says so, not a dropped request
            accepted, failure = None, f"{FAIL}the explorer could not check it ({exc})"
        if failure is None and address in self.refuse:
            failure = f"{FAIL}Compiled contract deployment bytecode does NOT match the transaction deployment bytecode."
        return self._receipt({"proxy": False, "address": address, "accepted": accepted, "failure": failure})

    def _submit_proxy(self, fields: dict[str, str]) -> dict[str, Any]:
        address = fields.get("address", "").lower()
        implementation = self._implementation_of(address)
        if implementation is None:
            return _notok("A corresponding implementation contract was unfortunately not detected for the proxy address.")
        expected = fields.get("expectedimplementation")
        failure = None
        if expected and expected.lower() != implementation.lower():
            failure = f"The implementation contract at {implementation} does not match the expected {expected}"
        elif implementation.lower() not in self.verified:
            failure = (
                f"The implementation contract at {implementation} does not seem to be verified. Please verify "
                "and publish the implementation contract before proceeding with this proxy verification."
            )
        return self._receipt({"proxy": True, "address": address, "implementation": implementation, "failure": failure})

    # --- the checks ------------------------------------------------------------------------------

    def _checked(self, fields: dict[str, str]) -> dict[str, Any]:
        """What an explorer checks of a submission; a ValueError says why it is refused."""
        code_format = fields.get("codeformat")
        if code_format not in ("solidity-standard-json-input", "vyper-json"):
            raise ValueError(f"unsupported codeformat {code_format!r}")
        try:
            standard_input = json.loads(fields.get("sourceCode", ""))
        except ValueError:
            raise ValueError("the sourceCode is not a standard JSON input") from None
        vyper = code_format == "vyper-json"
        language = standard_input.get("language")
        if language != ("Vyper" if vyper else "Solidity"):
            raise ValueError(f"the input's language {language!r} does not match codeformat {code_format}")
        built = json.loads((self.root / ".build" / "__local__.json").read_text())
        compiler = next(c for c in built["compilers"] if c["name"] == ("vyper" if vyper else "solidity"))
        expected_version = f"vyper:{compiler['version']}" if vyper else f"v{compiler['version']}"
        if fields.get("compilerversion") != expected_version:
            raise ValueError(f"compiler {fields.get('compilerversion')} is not the one deployed ({expected_version})")
        self._check_settings(standard_input["settings"], vyper)
        for name, source in standard_input["sources"].items():
            if source.get("content") != self._project_source(name):
                raise ValueError(f"source {name} differs from the project's")
        contract_name = fields.get("contractname", "")
        path, _, name = contract_name.rpartition(":") if not vyper else (next(iter(standard_input["sources"])), "", contract_name)
        if path not in standard_input["sources"]:
            raise ValueError(f"contract {contract_name} is not in the submitted sources")
        args = fields.get("constructorArguements") or fields.get("constructorArguments") or ""
        creation = self._creation_code(standard_input, path, name, built, vyper)
        on_chain = self._initcode(fields.get("contractaddress", ""))
        if not on_chain.startswith(creation):
            raise ValueError("the compiled creation code does not match the code that created the contract")
        if on_chain[len(creation) :] != args.lower().removeprefix("0x"):
            raise ValueError("the constructor arguments differ from those in the creation transaction")
        runtime, immutables = self._runtime_code(standard_input, path, name, built, vyper)
        address = to_checksum_address(fields.get("contractaddress", ""))
        deployed = str(rpc_request(self.rpc_url, "eth_getCode", [address, "latest"], timeout=30))
        if not runtime_matches(runtime, deployed.lower().removeprefix("0x"), immutables, vyper):
            raise ValueError("the compiled runtime code does not match the code at the address")
        return {
            "SourceCode": json.dumps(standard_input),
            "ABI": "[]",
            "ContractName": name,
            "CompilerVersion": expected_version,
            "ConstructorArguments": args,
        }

    def _check_settings(self, settings: dict[str, Any], vyper: bool) -> None:
        config = yaml.safe_load((self.root / "ape-config.yaml").read_text()) or {}
        if vyper:
            # Vyper's optimisation mode, as ape-vyper passes it by default.
            if settings.get("optimize", "gas") != "gas":
                raise ValueError(f"optimize {settings.get('optimize')} is not the project's (gas)")
            return
        solidity = config.get("solidity") or {}
        optimizer = {"enabled": bool(solidity.get("optimize", True)), "runs": int(solidity.get("optimization_runs", 200))}
        if settings.get("optimizer") != optimizer:
            raise ValueError(f"optimizer {settings.get('optimizer')} is not the project's {optimizer}")
        if settings.get("evmVersion") != solidity.get("evm_version"):
            raise ValueError(f"EVM version {settings.get('evmVersion')} is not the project's {solidity.get('evm_version')}")
        if bool(settings.get("viaIR", False)) != bool(solidity.get("via_ir", False)):
            raise ValueError("via-IR differs from the project's")

    def _project_source(self, name: str) -> str | None:
        for prefix, folder in DEPENDENCY_FOLDERS.items():
            if name.startswith(prefix):
                file = self.root / folder / name[len(prefix) :]
                break
        else:
            file = self.root / name
        return file.read_text(encoding="utf-8") if file.is_file() else None

    def _creation_code(self, standard_input: dict[str, Any], path: str, name: str, built: dict[str, Any], vyper: bool) -> str:
        if not self.compile:
            contract_type = built["contractTypes"].get(name) or {}
            if contract_type.get("sourceId") != path:
                raise ValueError(f"{path}:{name} is no contract the project compiles")
            return str(contract_type["deploymentBytecode"]["bytecode"]).lower().removeprefix("0x")
        key = hashlib.sha256(json.dumps([standard_input, path, name], sort_keys=True).encode()).hexdigest()
        if key not in self._compiled:
            self._compiled[key] = self._run_compiler(standard_input, path, name, vyper)
        return str(self._compiled[key]["creation"])

    def _runtime_code(
        self, standard_input: dict[str, Any], path: str, name: str, built: dict[str, Any], vyper: bool
    ) -> tuple[str, list[tuple[int, int]] | None]:
        """The compiled runtime, and where its immutables are (None: not known, the project's build)."""
        if not self.compile:
            contract_type = built["contractTypes"].get(name) or {}
            return str(contract_type["runtimeBytecode"]["bytecode"]).lower().removeprefix("0x"), None
        key = hashlib.sha256(json.dumps([standard_input, path, name], sort_keys=True).encode()).hexdigest()
        compiled = self._compiled[key]
        return str(compiled["runtime"]), compiled["immutables"]

    def _run_compiler(self, standard_input: dict[str, Any], path: str, name: str, vyper: bool) -> dict[str, Any]:
        job = json.loads(json.dumps(standard_input))
        if vyper:
            job["settings"]["outputSelection"] = {path: ["evm.bytecode.object", "evm.deployedBytecode.object"]}
            # The virtualenv's vyper-json beside this Python when its bin/ is not on PATH (python bench/...).
            command = [shutil.which("vyper-json") or str(Path(sys.executable).parent / "vyper-json")]
        else:
            job["settings"]["outputSelection"] = {
                path: {name: ["evm.bytecode.object", "evm.deployedBytecode.object", "evm.deployedBytecode.immutableReferences"]}
            }
            command = [str(ProjectPaths(self.root).solc), "--standard-json"]
        done = subprocess.run(command, input=json.dumps(job), capture_output=True, text=True, cwd=self.root, check=False)
        try:
            output = json.loads(done.stdout)
        except ValueError:
            raise ValueError(f"the compiler failed: {done.stderr.strip()[:200]}") from None
        errors = [e.get("formattedMessage") or e.get("message") for e in output.get("errors", []) if e.get("severity") == "error"]
        if errors:
            raise ValueError(f"the sources do not compile: {errors[0]}")
        found = output.get("contracts", {}).get(path, {})
        contract = found.get(name) if not vyper else next(iter(found.values()), None)
        if not contract:
            raise ValueError(f"{path}:{name} was not compiled")
        deployed = contract["evm"].get("deployedBytecode") or {}
        references = deployed.get("immutableReferences") or {}
        return {
            "creation": str(contract["evm"]["bytecode"]["object"]).lower().removeprefix("0x"),
            "runtime": str(deployed.get("object", "")).lower().removeprefix("0x"),
            "immutables": [(r["start"], r["length"]) for refs in references.values() for r in refs],
        }

    def _initcode(self, address: str) -> str:
        """The code that ran to create ``address``: its frame in the creating transaction's trace."""
        creator = rpc_request(self.rpc_url, "ots_getContractCreator", [to_checksum_address(address)], timeout=30)
        if not creator:
            raise ValueError(f"no contract was created at {address}")
        trace = rpc_request(self.rpc_url, "debug_traceTransaction", [creator["hash"], {"tracer": "callTracer"}], timeout=60)
        frames = [trace]
        while frames:
            frame = frames.pop()
            if frame.get("type") in ("CREATE", "CREATE2") and str(frame.get("to", "")).lower() == address.lower():
                return str(frame["input"]).lower().removeprefix("0x")
            frames.extend(frame.get("calls") or [])
        raise ValueError(f"the creation of {address} is not in transaction {creator['hash']}")

    def _implementation_of(self, address: str) -> str | None:
        for slot in (IMPLEMENTATION_SLOT, BEACON_SLOT):
            word = rpc_request(self.rpc_url, "eth_getStorageAt", [to_checksum_address(address), slot, "latest"], timeout=30)
            found = int(word, 16)
            if found and slot == IMPLEMENTATION_SLOT:
                return to_checksum_address(found.to_bytes(20, "big"))
            if found:
                beacon = to_checksum_address(found.to_bytes(20, "big"))
                reply = rpc_request(self.rpc_url, "eth_call", [{"to": beacon, "data": "0x5c60da1b"}, "latest"], timeout=30)
                return to_checksum_address(bytes.fromhex(reply[2:])[-20:])
        code = str(rpc_request(self.rpc_url, "eth_getCode", [to_checksum_address(address), "latest"], timeout=30))
        code = code.removeprefix("0x")
        if code.startswith(CLONE_PREFIX):
            return to_checksum_address(code[len(CLONE_PREFIX) : len(CLONE_PREFIX) + 40])
        return None

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        explorer = self

        class Handler(BaseHTTPRequestHandler):
            def _reply(self, fields: dict[str, str]) -> None:
                body = json.dumps(explorer.answer(fields)).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_GET(self) -> None:  # noqa: N802 - http.server's name
                query = urllib.parse.urlsplit(self.path).query
                self._reply(dict(urllib.parse.parse_qsl(query, keep_blank_values=True)))

            def do_POST(self) -> None:  # noqa: N802
                query = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(self.path).query, keep_blank_values=True))
                length = int(self.headers.get("Content-Length") or 0)
                form = dict(urllib.parse.parse_qsl(self.rfile.read(length).decode(), keep_blank_values=True))
                self._reply({**query, **form})

            def log_message(self, *args: Any) -> None:
                pass

        return Handler
