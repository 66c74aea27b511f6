"""Measuring from the client: rounds of every page (Zoufang's and the peer's
alternating) each next to its floor, throughput at a concurrency, and a
request with its worker's memory."""

import threading
import time
from collections import Counter

from .cases import FASTER_THAN_PEER, Case
from .floors import Floor
from .prepare import say
from .servers import MemorySampler
from .stats import median, percentile, ratio, verdict


def interleaved(cases: list[Case]) -> list[Case]:
    """Each Zoufang page followed by the peer's page it is compared with, then
    the peer's other pages: a slow minute of the machine falls on both."""
    peers = {case.name: case for case in cases if case.system == "peer"}
    order, used = [], set()
    for case in cases:
        if case.system != "zoufang":
            continue
        order.append(case)
        if case.peer in peers and case.peer not in used:
            order.append(peers[case.peer])
            used.add(case.peer)
    return order + [case for name, case in peers.items() if name not in used]


def timed_floor(name: str, params: dict, connection) -> float:
    started = time.perf_counter()
    Floor(name, params).run(connection)
    return time.perf_counter() - started


def rounds(cases, *, sites, state, connection, params, runs: int, warmup: int) -> dict:
    """`warmup` rounds not counted, then `runs` rounds; in each, every page
    once (a case with fewer `runs` drops out early) and its floor right after."""
    order = interleaved(cases)
    data = {case.name: {"samples": [], "queries": [], "floor": [], "path": None, "errors": []} for case in order}
    for number in range(warmup + runs):
        started = time.perf_counter()
        for case in order:
            if case.runs is not None and number >= warmup + case.runs:
                continue
            record = data[case.name]
            try:
                path = case.resolve_path(state)
                answer = sites[case.site].request(
                    case.method, path, expect=case.expect, **(case.body(state) if case.body else {})
                )
                if case.after:
                    case.after(state, answer)
            except Exception as error:  # noted in the results; the other pages go on
                note(case.name, record, f"{type(error).__name__}: {error}")
                continue
            floor = None
            if case.floor and case.floor not in params.get("skip", ()):
                try:
                    floor = timed_floor(case.floor, {**params, **case.floor_params}, connection)
                except Exception as error:
                    connection.rollback()
                    note(case.name, record, f"its floor: {type(error).__name__}: {error}")
            if number >= warmup:
                record["samples"].append(answer.seconds)
                record["queries"].append(answer.queries)
                record["path"] = record["path"] or path
                if floor is not None:
                    record["floor"].append(floor)
        counted = number >= warmup
        label = f"round {number - warmup + 1}/{runs}" if counted else f"warm-up {number + 1}/{warmup}"
        say(f"{label} ({time.perf_counter() - started:.1f} s)")
    return data


def note(name: str, record: dict, error: str) -> None:
    if not record["errors"]:
        say(f"{name}: {error[:200]}")  # the first time; the rest go to the JSON
    record["errors"].append(error[:300])


def page_results(cases, data: dict) -> list[dict]:
    """Median, p95, queries (the usual count; min and max beside it) and the
    floor of each page, its ratio, the peer's figure and the verdict."""
    by_name = {case.name: case for case in cases}
    figures = {}
    for name, record in data.items():
        samples, queries = record["samples"], [q for q in record["queries"] if q is not None]
        figures[name] = {
            "median": median(samples),
            "p95": percentile(samples, 95),
            "floor": median(record["floor"]),
            "queries": Counter(queries).most_common(1)[0][0] if queries else None,
            "queries_min": min(queries, default=None),
            "queries_max": max(queries, default=None),
            "runs": len(samples),
            "path": record["path"],
            "samples_ms": [round(s * 1000, 2) for s in samples],
            "errors": record.get("errors", []),
        }
    results = []
    for name, figure in figures.items():
        case = by_name[name]
        row = {"name": name, "kind": "page", "system": case.system, **figure}
        row["floor_ratio"] = ratio(figure["median"], figure["floor"])
        targets = list(case.targets)
        if case.peer in figures:
            peer = figures[case.peer]
            row.update(peer=case.peer, peer_median=peer["median"], peer_p95=peer["p95"], peer_queries=peer["queries"])
            row["speedup"] = ratio(peer["median"], figure["median"])
            targets.append(FASTER_THAN_PEER)
        row["targets"] = [target.describe() for target in targets]
        row["verdict"], row["missed"] = verdict(row, targets)
        if not figure["runs"]:
            row["verdict"] = "ERROR"  # every request failed: the first reason is in the JSON and the log
        results.append(row)
    return results


def throughput(make_site, path: str, *, concurrency: int, seconds: float) -> dict:
    """Requests per second with `concurrency` signed-in clients asking back to
    back for `seconds`, after a second not counted."""
    sites = [make_site() for _ in range(concurrency)]
    for site in sites:
        site.get(path)
    begin = time.monotonic() + 1
    end = begin + seconds
    latencies = [[] for _ in range(concurrency)]
    errors = []

    def client(index):
        while time.monotonic() < end:
            try:
                answer = sites[index].get(path)
            except Exception as error:  # counted, and the run goes on
                errors.append(repr(error))
                continue
            if begin <= time.monotonic() <= end:
                latencies[index].append(answer.seconds)

    threads = [threading.Thread(target=client, args=(i,)) for i in range(concurrency)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    every = [latency for group in latencies for latency in group]
    return {"rps": len(every) / seconds, "median": median(every), "p95": percentile(every, 95), "errors": len(errors)}


def with_memory(site, path: str, pids) -> dict:
    """One GET, timed, with the resident memory of the server's workers
    sampled meanwhile: the peak of the one that grew most, and its growth."""
    with MemorySampler(pids) as memory:
        answer = site.get(path)
    growth, peak = memory.growth()
    return {"seconds": answer.seconds, "bytes": answer.size, "growth_mib": growth, "peak_mib": peak}


def judged(row: dict, targets) -> dict:
    row["targets"] = [target.describe() for target in targets]
    row["verdict"], row["missed"] = verdict(row, targets)
    return row
