"""The suite in order (see __main__.py for what it does and its settings)."""

import json
import os
import platform
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from .cases import EXPORT, SWEEP, THROUGHPUT, peer_cases, zoufang_cases
from .client import Site, find_form, forms_of
from .measure import judged, page_results, rounds, throughput, timed_floor, with_memory
from .prepare import (
    PASSWORD,
    PEER_DIR,
    VENV,
    connect,
    database_url,
    discover,
    discover_peer,
    floor_params,
    peer_env,
    prepare_peer,
    prepare_zoufang,
    say,
    zoufang_env,
)
from .servers import ROOT, Processes, children, free_port, run, wait_for_http
from .stats import median, ratio, render_table

QUERY_HEADER = "X-Query-Count"


@dataclass
class Config:
    scale: str = "province"
    seed: int = 13
    runs: int = 30
    warmup: int = 2
    peer: bool = True
    peer_tickets: int = 200_000
    peer_users: int = 1000
    workers: int = 2
    throughput_seconds: float = 10
    export_runs: int = 3
    import_rows: int = 50_000

    @classmethod
    def from_env(cls):
        get = os.environ.get
        return cls(
            scale=get("BENCH_SCALE", cls.scale),
            seed=int(get("BENCH_SEED", cls.seed)),
            runs=int(get("BENCH_RUNS", cls.runs)),
            warmup=int(get("BENCH_WARMUP", cls.warmup)),
            peer=get("BENCH_PEER", "1") != "0",
            peer_tickets=int(get("BENCH_PEER_TICKETS", cls.peer_tickets)),
            peer_users=int(get("BENCH_PEER_USERS", cls.peer_users)),
            workers=int(get("BENCH_WORKERS", cls.workers)),
            throughput_seconds=float(get("BENCH_THROUGHPUT_SECONDS", cls.throughput_seconds)),
            export_runs=int(get("BENCH_EXPORT_RUNS", cls.export_runs)),
            import_rows=int(get("BENCH_IMPORT_ROWS", cls.import_rows)),
        )


class Suite:
    def __init__(self, cfg: Config):
        self.cfg = cfg
        self.stamp = time.strftime("%Y%m%d-%H%M%S")
        self.out = ROOT / "var" / "bench"
        self.logs = self.out / f"logs-{self.stamp}"
        self.logs.mkdir(parents=True, exist_ok=True)
        self.work = Path(os.environ.get("ZF_TMP") or self.logs)
        self.setup_log = self.logs / "setup.log"
        self.processes = Processes()
        self.results: list[dict] = []
        self.state: dict = {}
        self.sites: dict[str, Site] = {}
        self.peer = None

    # Making ready ----------------------------------------------------------------------------

    def prepare(self):
        cfg = self.cfg
        self.env = zoufang_env(workers=cfg.workers, work=self.work)
        self.made = prepare_zoufang(scale=cfg.scale, seed=cfg.seed, env=self.env, work=self.work, log=self.setup_log)
        self.connection = connect(os.environ["DATABASE_URL"])
        self.ids = discover(self.connection, self.made["summary"])
        if cfg.peer:
            self.peer_env = peer_env(self.work)
            self.peer = prepare_peer(
                tickets=cfg.peer_tickets,
                queues=max(1, self.ids["counts"]["enterprises_helpunit"]),
                users=cfg.peer_users,
                seed=cfg.seed,
                env=self.peer_env,
                log=self.setup_log,
            )

    def serve(self):
        port = free_port()
        command = [VENV / "gunicorn", "config.wsgi:application", "-c", "deploy/gunicorn.conf.py"]
        self.web = self.processes.start(
            [*command, "--bind", f"127.0.0.1:{port}"], env=self.env, log=self.logs / "zoufang.log"
        )
        self.base = f"http://127.0.0.1:{port}/"
        wait_for_http(self.base + "accounts/login/", self.web)
        say(f"Zoufang on {self.base}")
        if not self.peer:
            return
        port = free_port()
        # As deploy/gunicorn.conf.py serves Zoufang: sync workers, their number, a long timeout.
        command = [self.peer["venv"] / "bin" / "gunicorn", "peersite.wsgi:application", "--worker-class", "sync"]
        command += ["--workers", self.cfg.workers, "--timeout", "120", "--access-logfile", "-", "--no-control-socket"]
        peer_web = self.processes.start(
            [*command, "--bind", f"127.0.0.1:{port}"], env=self.peer_env, log=self.logs / "peer.log", cwd=PEER_DIR
        )
        self.peer_base = f"http://127.0.0.1:{port}/"
        wait_for_http(self.peer_base + "login/", peer_web)
        say(f"the peer on {self.peer_base}")

    def zoufang_site(self, username: str) -> Site:
        site = Site(self.base, query_header=QUERY_HEADER)
        site.sign_in("/accounts/login/", username, PASSWORD)
        return site

    def peer_site(self) -> Site:
        site = Site(self.peer_base, query_header=QUERY_HEADER)
        site.sign_in("/login/", "peer-admin", PASSWORD)
        return site

    def sign_in(self):
        """The people who ask, and what they need before the rounds: an
        enterprise the official may register for, last month's bulletin
        (made once through its form), the peer's forms."""
        for key, username in (("province", "load-province"), ("county", "load-county"), ("official", "load-official")):
            self.sites[key] = self.zoufang_site(username)
        seen = self.sites["official"].get("/api/v1/enterprises/?page_size=1").response.json()["results"]
        self.ids["official_enterprise"] = seen[0]["id"]
        try:
            page = self.sites["province"].get("/supervise/bulletins/").response.text
            form = next(f for f in forms_of(page) if "month" in dict(f.fields))
            made = self.sites["province"].post(
                "/supervise/bulletins/",
                data=form.data(month=self.ids["month_start"].strftime("%Y-%m"), office="基准办公室"),
                expect=(302,),
            )
            location = made.response.headers["Location"].rstrip("/")
            self.state["bulletin"] = self.ids["bulletin"] = int(location.split("/")[-1])
        except Exception as error:  # the bulletin's rows will say ERROR; the rest is measured
            say(f"no bulletin could be made: {error}")
        if not self.peer:
            return
        self.sites["peer"] = self.peer_site()
        peer_connection = connect(database_url("peer"))
        self.peer["ids"] = discover_peer(peer_connection)
        peer_connection.close()
        ticket = self.sites["peer"].get(f"/tickets/{self.peer['ids']['update_ticket']}/").response.text
        self.state["peer_update_form"] = find_form(ticket, id="ticket-respond-form")
        create = self.sites["peer"].get("/tickets/submit/").response.text
        self.state["peer_create_form"] = next(f for f in forms_of(create) if "title" in dict(f.fields))

    # Measuring -------------------------------------------------------------------------------

    def pages(self):
        cases = zoufang_cases(self.ids)
        if self.peer:
            cases += peer_cases(self.peer["ids"])
        else:
            for case in cases:
                case.peer = None
        self.params = floor_params(self.ids)
        if self.ids["registered_issue"] is None:
            self.params["skip"] = {"assign"}  # no issue to assign in the floor's rolled-back statement
        say(f"measuring {len(cases)} pages: {self.cfg.warmup} warm-up rounds, then {self.cfg.runs}")
        data = rounds(
            cases,
            sites=self.sites,
            state=self.state,
            connection=self.connection,
            params=self.params,
            runs=self.cfg.runs,
            warmup=self.cfg.warmup,
        )
        self.results += page_results(cases, data)

    def throughput(self):
        issue = f"/issues/{self.ids['issue_with_events_id']}/"
        for concurrency in (2, 4):
            say(f"the issue page's throughput at concurrency {concurrency} …")
            seconds = self.cfg.throughput_seconds
            row = throughput(
                lambda: self.zoufang_site("load-province"), issue, concurrency=concurrency, seconds=seconds
            )
            row = {"name": f"issue page throughput, c={concurrency}", "kind": "throughput", "path": issue, **row}
            if self.peer:
                ticket = f"/tickets/{self.peer['ids']['ticket']}/"
                theirs = throughput(self.peer_site, ticket, concurrency=concurrency, seconds=seconds)
                row.update(peer_rps=theirs["rps"], peer_median=theirs["median"], peer_errors=theirs["errors"])
                row["speedup"] = ratio(row["rps"], theirs["rps"])
            self.results.append(judged(row, THROUGHPUT))

    def export(self):
        rows, since = self.ids["export_rows"], self.ids["export_from"]
        say(f"exporting {rows:,} issues, {self.cfg.export_runs} times …")
        path = f"/issues/export.xlsx?registered_from={since}"
        runs, floors = [], []
        for _ in range(self.cfg.export_runs):
            runs.append(with_memory(self.sites["province"], path, children(self.web.pid)))
            floors.append(timed_floor("export", self.params, self.connection))
        known = [r for r in runs if r["peak_mib"] is not None]
        row = {
            "name": f"XLSX export, {rows:,} issues",
            "kind": "job",
            "path": path,
            "seconds": median([r["seconds"] for r in runs]),
            "peak_mib": max((r["peak_mib"] for r in known), default=None),
            "growth_mib": max((r["growth_mib"] for r in known), default=None),
            "bytes": runs[-1]["bytes"],
            "floor": median(floors),
            "runs": runs,
        }
        row["floor_ratio"] = ratio(row["seconds"], row["floor"])
        self.results.append(judged(row, EXPORT))

    def jobs(self):
        """The sweep and the import, each in a process of its own with the
        server's settings, once the servers are stopped."""
        jobs = [VENV / "python", "-m", "benchmarks.suite.jobs"]
        say("the reminder sweep …")
        for job in json_list(run([*jobs, "sweep"], env=self.env, log=self.setup_log)):
            self.results.append(judged({**job, "kind": "job"}, SWEEP if "first" in job["name"] else ()))
        say(f"importing {self.cfg.import_rows:,} enterprises …")
        output = run([*jobs, "import", "--rows", self.cfg.import_rows], env=self.env, log=self.setup_log)
        for job in json_list(output):
            self.results.append(judged({**job, "kind": "job"}, ()))

    # Telling ---------------------------------------------------------------------------------

    def report(self) -> Path:
        ids = self.ids
        report = {
            "when": self.stamp,
            "config": asdict(self.cfg),
            "machine": {"cpus": os.cpu_count(), "load_average": os.getloadavg(), "python": platform.python_version()},
            "zoufang": {
                "generated_in_seconds": self.made["seconds"],
                "generator_summary": self.made["summary"],
                "ids": plain(ids),
            },
            "peer": plain({k: v for k, v in self.peer.items() if k != "venv"}) if self.peer else None,
            "results": self.results,
        }
        path = self.out / f"result-{self.stamp}.json"
        path.write_text(json.dumps(report, ensure_ascii=False, indent=1, default=str))
        counts = ids["counts"]
        print(
            f"\nZoufang, scale {self.cfg.scale}: {counts['issues_issue']:,} issues, "
            f"{counts['issues_issueevent']:,} events, {counts['enterprises_helpunit']:,} units; PostgreSQL "
            f"{ids['postgresql']['server_version'].split()[0]}, shared_buffers {ids['postgresql']['shared_buffers']}"
        )
        if self.peer:
            made = self.peer["counts"]
            print(
                f"the peer, django-helpdesk {self.peer['version']}: {made['tickets']:,} tickets, "
                f"{made['followups']:,} follow-ups, {made['queues']:,} queues"
            )
        print(f"{self.cfg.workers} gunicorn workers each; load average {os.getloadavg()[0]:.1f} at the end\n")
        ours = [r for r in self.results if r.get("system") != "peer"]
        print(render_table(ours + [r for r in self.results if r.get("system") == "peer"]))
        for row in self.results:
            if row.get("errors"):
                print(f"{row['name']}: {len(row['errors'])} failed, the first: {row['errors'][0]}")
        judged_rows = [r for r in ours if r.get("verdict") in ("PASS", "MISS")]
        passed = sum(r["verdict"] == "PASS" for r in judged_rows)
        print(f"\n{passed} of {len(judged_rows)} judged rows pass; {path.relative_to(ROOT)}")
        return path

    def run(self) -> int:
        cfg = self.cfg
        say(
            f"make bench: scale {cfg.scale}, {cfg.runs} rounds after {cfg.warmup} warm-up"
            + (f", the peer at {cfg.peer_tickets:,} tickets" if cfg.peer else ", no peer")
            + f"; logs in {self.logs.relative_to(ROOT)}"
        )
        try:
            self.prepare()
            self.serve()
            self.sign_in()
            self.pages()
            self.throughput()
            self.export()
            self.processes.stop_all()  # the servers are done: the jobs have the machine
            self.connection.close()
            self.jobs()
            self.report()
            return 0
        finally:
            self.processes.stop_all()


def json_list(output: str) -> list:
    """The last line of a command's output that is a JSON list."""
    for line in reversed(output.strip().splitlines()):
        if line.strip().startswith("["):
            return json.loads(line)
    raise ValueError("no JSON list in the output")


def plain(value):
    return json.loads(json.dumps(value, default=str))


def main() -> int:
    return Suite(Config.from_env()).run()
