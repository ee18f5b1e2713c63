"""Two watchers of one network on one PostgreSQL store: one leads (an advisory lock), the other
waits as its standby; the leader killed with kill -9, the standby takes over within the stated
bound and every alert is delivered once. A second leader configured by mistake is one line."""

from __future__ import annotations

import os
import subprocess
import time

import pytest
from watchkit import Kit, Watcher, a_property, read_jsonl, watch_env

from rwa.testing.runners import RWA
from rwa.watch.service import LEAD_POLL_SECONDS

pytestmark = pytest.mark.slow  # `rwa watch` processes, one killed

#: The takeover bound stated in the README: the standby's lock poll, and a second of slack for a
#: busy machine (the standby loaded the record, ABIs and rules before it waited).
TAKEOVER_BOUND_SECONDS = LEAD_POLL_SECONDS + 1.0


def test_a_standby_takes_over_from_a_killed_leader_and_no_alert_is_lost_or_repeated(
    tmp_path,
    project_paths,
    chain,
    accounts,
    project,
    suite,
    postgres,
):
    k = Kit(project, suite, accounts)
    token, _, _ = a_property(project, suite, accounts, chain)
    store, jsonl = postgres.database(), tmp_path / "alerts.jsonl"
    env = watch_env(chain.provider.uri, project_paths, tmp_path)
    start = chain.blocks.head.number + 1
    args = ("--from", str(start), "--jsonl", str(jsonl), "--store", store)
    leader = Watcher(env, project_paths.root, *args, "--standby")
    assert leader.line().startswith("watching local")
    standby = Watcher(env, project_paths.root, *args, "--standby")
    waiting = standby.line()
    assert (
        waiting.startswith(f"standby: pid {leader.process.pid} on ") and "leads the watcher of local on postgresql://" in waiting
    )
    # A second leader configured by mistake (no --standby) is refused once its grace is over.
    # (--once reads up to the head, so it starts from a block the chain has: a later one is refused first.)
    once_args = ("--from", str(start - 1), *args[2:])
    mistaken = subprocess.run(
        [RWA, "watch", "--once", *once_args], cwd=project_paths.root, env=env, capture_output=True, text=True, timeout=60
    )
    assert mistaken.returncode == 1 and mistaken.stderr.strip().splitlines() == [
        f"error: pid {leader.process.pid} on {os.uname().nodename} since "
        f"{mistaken.stderr.split(' since ')[1].split(' already')[0]} "
        f"already leads the watcher of local on {store}: stop it, or pass --standby to wait as its standby"
    ], mistaken.stderr
    expected = 0
    try:
        for step in range(8):
            (token.pause(sender=k.agent) if step % 2 == 0 else token.unpause(sender=k.admin))
            expected += 1
            time.sleep(0.15)
            if step == 3:
                leader.kill()
                killed = time.monotonic()
                took = standby.line()
                takeover = time.monotonic() - killed
                assert took.startswith("took the lead of local after"), took
                assert standby.line().startswith("watching local")
        deadline = time.monotonic() + 60
        while len(read_jsonl(jsonl)) < expected and time.monotonic() < deadline:
            time.sleep(0.1)
    finally:
        leader.kill()
        standby.kill()
    alerts = read_jsonl(jsonl)
    ids = [a["id"] for a in alerts]
    assert len(ids) == len(set(ids)) == expected, [a["rule"] for a in alerts]
    assert takeover < TAKEOVER_BOUND_SECONDS, takeover
