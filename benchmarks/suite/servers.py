"""The processes the suite starts and stops: commands run to the end, gunicorn
for Zoufang and for the peer, and a sampler of their workers' memory. Every
process started here is stopped by its own pid (Processes.stop_all)."""

import json
import os
import signal
import socket
import subprocess  # nosec B404  # the suite runs its own servers and commands
import sys
import threading
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent.parent


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def run(command, *, env=None, cwd=ROOT, log: Path | None = None, timeout=None) -> str:
    """Run a command to its end; its output goes to `log` (and is returned),
    and a failure stops the suite with the log's tail."""
    started = time.perf_counter()
    done = subprocess.run(  # nosec B603  # fixed commands, no shell
        [str(part) for part in command],
        cwd=cwd,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        timeout=timeout,
    )
    if log is not None:
        with open(log, "a") as handle:
            handle.write(f"$ {' '.join(str(p) for p in command)}  ({time.perf_counter() - started:.1f} s)\n")
            handle.write(done.stdout)
    if done.returncode != 0:
        sys.stderr.write(done.stdout[-4000:])
        raise RuntimeError(f"{' '.join(str(p) for p in command[:4])} … failed ({done.returncode})")
    return done.stdout


def last_json(output: str) -> dict:
    """The last line of a command's output that is a JSON object."""
    for line in reversed(output.strip().splitlines()):
        line = line.strip()
        if line.startswith("{"):
            return json.loads(line)
    raise ValueError("no JSON line in the output")


class Processes:
    """Long-running processes of the suite, stopped on exit by their pids."""

    def __init__(self):
        self.started: list[subprocess.Popen] = []

    def start(self, command, *, env, cwd=ROOT, log: Path) -> subprocess.Popen:
        handle = open(log, "ab")  # kept open for the process's life
        process = subprocess.Popen(  # nosec B603  # fixed commands, no shell
            [str(part) for part in command], cwd=cwd, env=env, stdout=handle, stderr=subprocess.STDOUT
        )
        self.started.append(process)
        return process

    def stop_all(self) -> None:
        for process in reversed(self.started):
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)  # gunicorn stops its workers and itself
        for process in self.started:
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        self.started.clear()


def wait_for_http(url: str, process: subprocess.Popen, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the server for {url} exited ({process.returncode}); see its log")
        try:
            requests.get(url, timeout=5, allow_redirects=False)
            return
        except requests.RequestException:
            time.sleep(0.2)
    raise RuntimeError(f"{url} did not answer within {seconds:.0f} s")


def children(pid: int) -> list[int]:
    """The processes whose parent is `pid` (gunicorn's workers)."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as handle:
                fields = handle.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.append(int(entry))
    return sorted(found)


def rss_mib(pid: int) -> float | None:
    try:
        with open(f"/proc/{pid}/statm") as handle:
            return int(handle.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 1048576
    except OSError:
        return None


class MemorySampler:
    """The resident memory of some processes every 20 ms while a request runs:
    the peak of each above where it started (a worker recycled meanwhile is
    left out)."""

    def __init__(self, pids):
        self.pids = list(pids)
        self.baseline = {pid: rss_mib(pid) for pid in self.pids}
        self.peak = dict(self.baseline)
        self._running = True
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def _sample(self):
        while self._running:
            for pid in self.pids:
                value = rss_mib(pid)
                if value is not None and self.peak.get(pid) is not None:
                    self.peak[pid] = max(self.peak[pid], value)
            time.sleep(0.02)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._running = False
        self._thread.join()

    def growth(self) -> tuple[float | None, float | None]:
        """(largest growth of one process above its start, that process's peak), in MiB."""
        best = None
        for pid in self.pids:
            if self.baseline.get(pid) is None or self.peak.get(pid) is None:
                continue
            grown = self.peak[pid] - self.baseline[pid]
            if best is None or grown > best[0]:
                best = (grown, self.peak[pid])
        return best or (None, None)
