"""A throwaway PostgreSQL server for the tests (and the bench): the system's ``initdb`` and
``pg_ctl`` (``make test`` installs Debian's ``postgresql`` where they are missing), a cluster in a
temporary directory, TCP on loopback only, trust authentication, stopped and removed at the end.

Its port is ``TEST_PORT + POSTGRES_OFFSET``: above the ports of the three test runs of ``make test``
(``TEST_PORT .. TEST_PORT + 29``). PostgreSQL refuses to run as root: as root the cluster belongs
to the ``postgres`` user the package creates, and its commands run as that user.
"""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import tempfile
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from rwa.core.errors import RwaError
from rwa.testing.environment import port_answers, test_port

POSTGRES_OFFSET = 80
SUPERUSER = "postgres"


def postgres_port() -> int:
    return test_port() + POSTGRES_OFFSET


def binaries() -> Path:
    """The directory of ``initdb`` and ``pg_ctl``: on PATH, else the newest /usr/lib/postgresql/N/bin."""
    found = shutil.which("initdb")
    if found and shutil.which("pg_ctl"):
        return Path(found).resolve().parent
    versions = sorted(
        glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(p.split("/")[-3]) if p.split("/")[-3].isdigit() else 0
    )
    if versions:
        return Path(versions[-1]).parent
    raise RwaError("PostgreSQL's initdb is not installed: `make test` installs it (apt-get install postgresql)")


@dataclass
class Server:
    """A running PostgreSQL server; :meth:`database` makes a fresh database and gives its URL."""

    port: int
    data: Path
    bin: Path
    user: str | None
    made: list[str] = field(default_factory=list)

    @property
    def url(self) -> str:
        return f"postgresql://{SUPERUSER}@127.0.0.1:{self.port}/postgres"

    def database(self, prefix: str = "watch") -> str:
        import psycopg

        name = f"{prefix}_{uuid.uuid4().hex[:10]}"
        with psycopg.connect(self.url, autocommit=True) as db:
            db.execute(f"CREATE DATABASE {name}")
        self.made.append(name)
        return f"postgresql://{SUPERUSER}@127.0.0.1:{self.port}/{name}"

    def stop(self) -> None:
        _run(self.user, [str(self.bin / "pg_ctl"), "-D", str(self.data), "-m", "immediate", "-w", "stop"], check=False)
        shutil.rmtree(self.data.parent, ignore_errors=True)


def _run(user: str | None, command: list[str], check: bool = True) -> subprocess.CompletedProcess[str]:
    name = Path(command[0]).name
    if user is not None:
        command = ["runuser", "-u", user, "--", *command]
    result = subprocess.run(command, capture_output=True, text=True, timeout=120)
    if check and result.returncode != 0:
        raise RwaError(f"{name} failed: {(result.stderr or result.stdout).strip()[-400:]}")
    return result


def start(port: int | None = None) -> Server:
    """A new cluster, started on ``port`` (default :func:`postgres_port`)."""
    port = postgres_port() if port is None else port
    if port_answers(port):
        raise RwaError(
            f"port {port} (TEST_PORT + {POSTGRES_OFFSET}) is taken: a "
            "PostgreSQL of an earlier run? stop it, or pick another TEST_PORT"
        )
    bin_dir = binaries()
    user = SUPERUSER if os.geteuid() == 0 else None
    home = Path(tempfile.mkdtemp(prefix="rwa-postgres-"))
    data = home / "data"
    if user is not None:
        shutil.chown(home, user)
    _run(user, [str(bin_dir / "initdb"), "-D", str(data), "-U", SUPERUSER, "--auth=trust", "--no-sync", "-E", "UTF8"])
    options = f"-c listen_addresses=127.0.0.1 -c port={port} -c unix_socket_directories='' -c fsync=off -c max_connections=50"
    _run(user, [str(bin_dir / "pg_ctl"), "-D", str(data), "-o", options, "-l", str(home / "log"), "-w", "-t", "60", "start"])
    return Server(port, data, bin_dir, user)
