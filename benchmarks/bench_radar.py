"""Benchmark: the radar's precision and recall on the labelled issues of
tests/issues/data/common_problems.csv (groups that are one common problem,
singletons, near misses), pair by pair; and, with --sweep, the same for a
grid of thresholds, to see what precision costs in recall.

    python benchmarks/bench_radar.py [--sweep] [--duplicates]

With --duplicates, the duplicate hints' rule (issues.similar) pair by pair:
on the same-enterprise pairs of tests/issues/data/duplicates.csv (one issue
raised twice, near misses beside it), and, harsher, on every pair of the two
common-problem sets (one problem, written by different hands, against 25,000
pairs where one enterprise has a handful).

No database: the radar reads plain rows (issues.radar). With --ledger, the
nightly run itself (issues.common.radar_run) over the database DATABASE_URL
names (e.g. the province of `make bench`: 1,000,000 issues, 96,000 open),
with --window days of open issues (180, the default; 3650 reads them all):
wall time, peak memory, issues read and groups proposed. It writes its
proposals there, as the nightly run does."""

import argparse
import csv
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from issues import radar

DATA = Path(__file__).resolve().parent.parent / "tests" / "issues" / "data"
LABELLED = DATA / "common_problems.csv"  # the radar's words were written reading this one's groups
HELD_OUT = DATA / "common_problems_holdout.csv"  # written apart, without seeing the radar's words
DUPLICATES = DATA / "duplicates.csv"  # issues of one enterprise, some raised twice


def labelled(path: Path = LABELLED) -> tuple[list[radar.Row], dict[int, str], dict[int, str]]:
    """The rows, each row's group ("" for none) and key, by row id."""
    rows, truth, keys = [], {}, {}
    enterprises: dict[str, int] = {}
    with path.open(encoding="utf-8", newline="") as file:
        for number, line in enumerate(csv.DictReader(file), start=1):
            enterprise = enterprises.setdefault(line["enterprise"], len(enterprises) + 1)
            rows.append(
                radar.Row(
                    id=number,
                    enterprise_id=enterprise,
                    category=line["category"],
                    title=line["title"],
                    description=line["description"],
                    request=line["request"],
                )
            )
            truth[number], keys[number] = line["group"], line["key"]
    return rows, truth, keys


def measure(settings: radar.Settings = radar.DEFAULT, path: Path = LABELLED) -> dict:
    rows, truth, keys = labelled(path)
    started = time.perf_counter()
    groups = radar.propose(rows, settings)
    seconds = time.perf_counter() - started
    precision, recall, proposed, labelled_pairs = radar.pair_scores(groups, truth)
    wrong = [
        [f"{keys[i]}({truth[i] or '-'})" for i in group.ids]
        for group in groups
        if len({truth[i] for i in group.ids}) > 1 or not truth[group.ids[0]]
    ]
    return {
        "rows": len(rows),
        "groups": len(groups),
        "precision": precision,
        "recall": recall,
        "pairs_proposed": proposed,
        "pairs_labelled": labelled_pairs,
        "seconds": seconds,
        "wrong_groups": wrong,
    }


def duplicate_pairs(path: Path) -> list[tuple[radar.Row, radar.Row, bool]]:
    """The pairs a duplicate hint is judged on, each with whether it is one
    issue: the pairs within each enterprise of the duplicates set (labelled
    by `dup`), or every pair of a common-problem set (labelled by `group`)."""
    import itertools

    rows, truth = [], {}
    enterprises: dict[str, int] = {}
    with path.open(encoding="utf-8", newline="") as file:
        reader = csv.DictReader(file)
        within = "dup" in reader.fieldnames
        for number, line in enumerate(reader, start=1):
            enterprise = enterprises.setdefault(line["enterprise"], len(enterprises) + 1)
            label = line["dup" if within else "group"]
            rows.append(
                radar.Row(number, enterprise, line["category"], line["title"], line["description"], line["request"])
            )
            truth[number] = f"{enterprise}:{label}" if within and label else label
    return [
        (a, b, bool(truth[a.id]) and truth[a.id] == truth[b.id])
        for a, b in itertools.combinations(rows, 2)
        if not within or a.enterprise_id == b.enterprise_id
    ]


def measure_duplicates(path: Path = DUPLICATES, settings=None) -> dict:
    """Precision and recall of the duplicate hints over the pairs of `path`."""
    _django()
    from issues import similar

    settings = settings or similar.DEFAULT
    right = wrong = missed = 0
    mistaken = []
    reads = {}
    pairs = duplicate_pairs(path)
    total = len(pairs)
    for a, b, same in pairs:
        for row in (a, b):
            if row.id not in reads:
                reads[row.id] = similar.read(row)
        alike = similar.likeness(reads[a.id], reads[b.id], settings) is not None
        right += alike and same
        wrong += alike and not same
        missed += same and not alike
        if alike and not same:
            mistaken.append(f"{a.title} ≠ {b.title}")
    return {
        "pairs": total,
        "precision": right / (right + wrong) if right + wrong else 1.0,
        "recall": right / (right + missed) if right + missed else 1.0,
        "hinted": right + wrong,
        "labelled": right + missed,
        "wrong": mistaken,
    }


def _django() -> None:
    import os

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")
    import django

    django.setup()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sweep", action="store_true", help="a grid of thresholds")
    parser.add_argument("--ledger", action="store_true", help="the nightly run over DATABASE_URL's ledger")
    parser.add_argument("--window", type=int, default=180, help="days of open issues the run reads")
    parser.add_argument("--duplicates", action="store_true", help="the duplicate hints (issues.similar) instead")
    args = parser.parse_args()
    if args.ledger:
        ledger(args.window)
        return
    if args.duplicates:
        for name, path in (("same-enterprise", DUPLICATES), ("labelled", LABELLED), ("held-out", HELD_OUT)):
            result = measure_duplicates(path)
            print(
                f"duplicate hints on {name} pairs: precision {result['precision']:.3f}, "
                f"recall {result['recall']:.3f} ({result['hinted']} pairs hinted, {result['labelled']} labelled "
                f"alike, of {result['pairs']})"
            )
            for line in result["wrong"]:
                print("  wrong:", line)
        return
    for name, path in (("labelled", LABELLED), ("held-out", HELD_OUT)):
        result = measure(path=path)
        print(
            f"radar on {result['rows']} {name} issues: {result['groups']} groups, "
            f"precision {result['precision']:.3f}, recall {result['recall']:.3f} "
            f"({result['pairs_proposed']} pairs proposed, {result['pairs_labelled']} labelled), "
            f"{result['seconds'] * 1000:.0f} ms"
        )
        for group in result["wrong_groups"]:
            print("  mixed:", " ".join(group))
    if args.sweep:
        print("concepts  wording  group  precision  recall")
        for concepts in (0.5, 0.6, 0.65, 0.7, 0.8):
            for wording in (0.04, 0.06, 0.08, 0.1, 0.12):
                for group in (0.4, 0.5, 0.6):
                    found = measure(radar.Settings(concepts=concepts, wording=wording, group=group))
                    print(
                        f"{concepts:.2f}      {wording:.2f}     {group:.2f}   "
                        f"{found['precision']:.3f}      {found['recall']:.3f}"
                    )


def ledger(window: int) -> None:
    import resource

    _django()
    from issues import common

    common.WINDOW_DAYS = window
    started = time.perf_counter()
    run = common.radar_run()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024
    print(
        f"radar_run: {run.read} open issues read, {run.proposed} groups proposed, {run.remembered} remembered; "
        f"{time.perf_counter() - started:.1f} s, peak RSS {peak} MB"
    )


if __name__ == "__main__":
    main()
