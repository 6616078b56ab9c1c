"""What the flow benchmarks share: one `revloop run <flow>` measured in a child process, API-call totals,
and the result printed with its ratios."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def run_revloop(config: Path, flow: str) -> dict:
    """`revloop run <flow>` in a child process: wall seconds, peak RSS (MB), exit code.

    The peak is the child's own VmHWM (high-water resident size of its memory since exec), read from
    /proc while it runs: ru_maxrss would also count the forked copy of this process before exec.
    """
    started = time.monotonic()
    command = [sys.executable, "-m", "connector", "--config", str(config), "--log-level", "WARNING",
               "run", flow]  # fmt: skip
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, cwd=ROOT)
    peak_kb = [0]
    watcher = threading.Thread(target=_watch_high_water, args=(process, peak_kb), daemon=True)
    watcher.start()
    stderr = process.stderr.read().decode(errors="replace") if process.stderr else ""
    code = process.wait()
    wall = time.monotonic() - started
    watcher.join()
    if code not in (0, 1):
        raise SystemExit(f"revloop run {flow} failed with exit code {code}:\n{stderr}")
    return {"wall_s": wall, "peak_rss_mb": peak_kb[0] / 1024, "exit_code": code}


def _watch_high_water(process: subprocess.Popen, peak_kb: list[int]) -> None:
    status = Path(f"/proc/{process.pid}/status")
    while process.poll() is None:
        try:
            for line in status.read_text().splitlines():
                if line.startswith("VmHWM:"):
                    peak_kb[0] = max(peak_kb[0], int(line.split()[1]))
        except (OSError, ValueError):
            return
        time.sleep(0.05)


def total(calls: dict[str, dict[str, int]]) -> int:
    """All calls of a per-system, per-endpoint count."""
    return sum(sum(per.values()) for per in calls.values())


def print_result(result: dict, *, as_json: bool) -> None:
    """Add the ratios (to the batching minimum, and to the baseline when it ran), then print one JSON
    object or a line per key."""
    result["calls_vs_minimum"] = round(result["api_calls"] / result["min_api_calls"], 3)
    if "baseline_api_calls" in result:
        result["calls_ratio_vs_baseline"] = round(result["baseline_api_calls"] / result["api_calls"], 1)
        result["wall_ratio_vs_baseline"] = round(result["baseline_wall_s"] / result["wall_s"], 1)
    if as_json:
        print(json.dumps(result, ensure_ascii=False))
        return
    for key, value in result.items():
        print(f"{key:40} {value}")
