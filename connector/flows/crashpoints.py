"""Named places where a crash test may kill the process (reliability.md: crash points).

Set ``REVLOOP_CRASH_AT=<name>`` (or ``<name>:<n>`` for the n-th time it is reached) and the process
sends itself SIGKILL there: no cleanup, no flush, like a power cut. Unset, this is one dict lookup.

The points: after_accept (a page is queued and the cursor moved), after_claim (a batch is in flight),
after_send (the target answered, nothing recorded yet), after_commit (the batch is recorded),
after_writeback_send, after_task_send and after_nurture_send (a follow-up stage answered, nothing
recorded yet); won deals: after_deals_send, after_deals_commit, after_lines_send and after_people_send.
"""

from __future__ import annotations

import os
import signal
from collections import Counter

ENV = "REVLOOP_CRASH_AT"
_reached: Counter[str] = Counter()


def crash_point(name: str) -> None:
    wanted = os.environ.get(ENV)
    if not wanted:
        return
    point, _, nth = wanted.partition(":")
    if point != name:
        return
    _reached[name] += 1
    if _reached[name] == int(nth or 1):
        os.kill(os.getpid(), signal.SIGKILL)
