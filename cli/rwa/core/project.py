"""Where things live: the project root and the folders the toolkit reads and writes."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from rwa.core.errors import RwaError

SOLC_VERSION = "0.8.28"
LOCAL_NETWORK = "local"


@dataclass(frozen=True)
class ProjectPaths:
    root: Path
    deployments_override: Path | None = None

    @property
    def state_dir(self) -> Path:
        """Machine-local state (the local chain's files); git-ignored."""
        return Path(os.environ.get("RWA_STATE_DIR") or self.root / ".rwa")

    @property
    def deployments_dir(self) -> Path:
        """Where the deployments JSON and journals go (RWA_DEPLOYMENTS_DIR moves them, for tests)."""
        if self.deployments_override is not None:
            return self.deployments_override
        return Path(os.environ.get("RWA_DEPLOYMENTS_DIR") or self.root / "deployments")

    @property
    def manifest_file(self) -> Path:
        return Path(os.environ.get("RWA_MANIFEST") or self.root / "deployments" / "manifest.py")

    @property
    def solc_dir(self) -> Path:
        return self.root / ".rwa" / "solc"

    @property
    def solc(self) -> Path:
        """The project's solc of the pinned version (a native one, or the WebAssembly front end)."""
        return self.solc_dir / f"solc-v{SOLC_VERSION}"

    @property
    def layouts_dir(self) -> Path:
        """Storage layouts already extracted, keyed by the sources they came from."""
        return self.root / ".rwa" / "layouts"

    @property
    def creations_dir(self) -> Path:
        """Whether recorded contracts were created from the compiled code, answered once (rwa.deploy.renames)."""
        return self.state_dir / "creations"

    @property
    def node_dir(self) -> Path:
        return self.state_dir / "node"


def find_root(start: Path | None = None) -> Path:
    """The nearest folder holding ape-config.yaml, from RWA_PROJECT or the working directory up."""
    if os.environ.get("RWA_PROJECT"):
        return Path(os.environ["RWA_PROJECT"]).resolve()
    here = (start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        if (folder / "ape-config.yaml").is_file() and (folder / "deployments").is_dir():
            return folder
    raise RwaError("not inside an rwa project (no ape-config.yaml with a deployments/ folder here or above)")


def paths(start: Path | None = None) -> ProjectPaths:
    return ProjectPaths(find_root(start))
