"""Fault injection for the robustness tests (tests/robustness); inert unless $CM_PAYROLL_FAULT is set.

`point(name)` marks a step of a run (see the calls in ledger.py and pipeline.py). The variable holds
`NAME[#N]:ACTION`: at the N-th time (default the first) this process reaches the point NAME,
ACTION happens — `kill` (SIGKILL, as `kill -9` or a power cut would) or `wait=PATH` (create the file
PATH.waiting, then sleep until the file PATH exists, at most 120 s: a run held at that step while a
test does something else; PATH.waiting tells the test that the run has reached it).
"""

from __future__ import annotations

import os
import signal
import time

ENV = "CM_PAYROLL_FAULT"
_hits: dict[str, int] = {}


def point(name: str) -> None:
    spec = os.environ.get(ENV)
    if not spec:
        return
    where, _, action = spec.partition(":")
    target, _, nth = where.partition("#")
    if target != name:
        return
    _hits[name] = _hits.get(name, 0) + 1
    if _hits[name] != (int(nth) if nth else 1):
        return
    if action == "kill":
        os.kill(os.getpid(), signal.SIGKILL)
    elif action.startswith("wait="):
        open(action[5:] + ".waiting", "w").close()
        deadline = time.monotonic() + 120
        while not os.path.exists(action[5:]) and time.monotonic() < deadline:
            time.sleep(0.02)
