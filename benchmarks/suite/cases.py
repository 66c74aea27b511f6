"""What the suite measures: each of Zoufang's pages with its floor and issue
13's targets, and the peer's page it is compared with."""

import base64
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import urlencode

from .stats import Target

# Issue 13, "Targets".
INTERACTIVE = (Target("median", 0.050), Target("p95", 0.120), Target("floor_ratio", 3))
SEARCH = (Target("median", 0.050), Target("p95", 0.150), Target("floor_ratio", 3))
PROVINCE_DASHBOARD = (Target("p95", 0.300), Target("floor_ratio", 3))
COUNTY_DASHBOARD = (Target("p95", 0.100), Target("floor_ratio", 3))
WRITE = (Target("p95", 0.050),)
FASTER_THAN_PEER = Target("speedup", 10)
EXPORT = (Target("seconds", 10), Target("peak_mib", 200))
SWEEP = (Target("seconds", 30),)
THROUGHPUT = (Target("rps", 150),)


@dataclass
class Case:
    """One page (or write) on one server, as one signed-in person."""

    name: str
    system: str  # "zoufang" or "peer"
    site: str  # who asks: a key of the suite's signed-in sessions
    path: str | Callable[[dict], str]
    method: str = "GET"
    body: Callable[[dict], dict] | None = None  # the request's data/json keyword arguments
    after: Callable[[dict, object], None] | None = None  # reads the answer into the state
    expect: tuple = (200,)
    floor: str | None = None
    floor_params: dict = field(default_factory=dict)
    targets: tuple = INTERACTIVE
    peer: str | None = None  # the peer case it is compared with
    runs: int | None = None  # fewer rounds than the rest (heavy or stateful)

    def resolve_path(self, state: dict) -> str:
        return self.path(state) if callable(self.path) else self.path


def _query(**params) -> str:
    return "?" + urlencode(params) if params else ""


def zoufang_cases(ids: dict) -> list[Case]:
    """`ids`: what the generator reported and the suite looked up (see __main__.discover)."""
    unit = ids["unit_id"]
    # Page 500, or the last page of a smaller ledger (where the list would stop).
    deep = ids.get("deep_page", 500)

    def registered(state, response):
        state.setdefault("registered", []).append(response.response.json()["id"])

    def assign_path(state):
        return f"/api/v1/issues/{state['registered'].pop(0)}/assign/"

    def regenerated(state, response):
        # The new version's page: regenerating again starts from the current one.
        location = response.response.headers.get("Location", "")
        if location.rstrip("/").split("/")[-1].isdigit():
            state["bulletin"] = int(location.rstrip("/").split("/")[-1])

    cases = [
        Case(
            "My work (an official)",
            "zoufang",
            "official",
            "/",
            floor="my_work",
            floor_params={"unit": ids["official_unit"]},
        ),
        Case("issue list", "zoufang", "province", "/issues/", floor="list", peer="peer: ticket list (JSON rows)"),
        Case(
            "issue list: one unit + one state",
            "zoufang",
            "province",
            "/issues/" + _query(unit=unit, status="in_progress"),
            floor="list_unit_state",
            peer="peer: ticket list, one queue + one state",
        ),
        Case(
            "issue list: search 贷款",
            "zoufang",
            "province",
            "/issues/" + _query(q="贷款"),
            floor="search",
            floor_params={"like": "%贷款%"},
            targets=SEARCH,
            peer="peer: ticket list, search 贷款",
        ),
        Case(
            "issue list: search 土地审批",
            "zoufang",
            "province",
            "/issues/" + _query(q="土地审批"),
            floor="search",
            floor_params={"like": "%土地审批%"},
            targets=SEARCH,
            peer="peer: ticket list, search 土地审批",
        ),
        Case(
            "issue list: by deadline",
            "zoufang",
            "province",
            "/issues/" + _query(sort="due"),
            floor="list_due",
            peer="peer: ticket list by due date",
        ),
        Case(
            f"issue list: page {deep}",
            "zoufang",
            "province",
            "/issues/" + _query(page=deep),
            floor="list_deep",
            floor_params={"offset": (deep - 1) * 25},
            peer="peer: ticket list, rows 12,476–12,500",
        ),
        Case("API issue list", "zoufang", "province", "/api/v1/issues/", floor="api_list"),
        Case(
            f"issue page ({ids['issue_events']} events)",
            "zoufang",
            "province",
            f"/issues/{ids['issue_with_events_id']}/",
            floor="issue",
            peer="peer: ticket page",
        ),
        Case(
            "enterprise page (busiest)",
            "zoufang",
            "province",
            f"/enterprises/{ids['busiest_enterprise_id']}/",
            floor="enterprise",
        ),
        Case(
            "dashboard: province, current campaign",
            "zoufang",
            "province",
            "/supervise/dashboard/",
            floor="dashboard",
            floor_params={"step": "month"},
            targets=PROVINCE_DASHBOARD,
            peer="peer: dashboard",
        ),
        Case(
            "dashboard: province, by week",
            "zoufang",
            "province",
            "/supervise/dashboard/" + _query(trend="week"),
            floor="dashboard",
            floor_params={"step": "week"},
            targets=PROVINCE_DASHBOARD,
        ),
        Case(
            "dashboard: province, all time",
            "zoufang",
            "province",
            "/supervise/dashboard/" + _query(campaign="", date_from="2000-01-01"),
            floor="dashboard_all_time",
            floor_params={"step": "month"},
            targets=PROVINCE_DASHBOARD,
        ),
        Case(
            "dashboard: one county",
            "zoufang",
            "county",
            "/supervise/dashboard/",
            floor="dashboard",
            floor_params={"step": "month", "scope": ids["county_scope"]},
            targets=COUNTY_DASHBOARD,
        ),
        Case(
            "stats API by unit",
            "zoufang",
            "province",
            "/api/v1/stats/" + _query(group_by="unit"),
            floor="stats_by_unit",
            targets=PROVINCE_DASHBOARD[:1] + (Target("floor_ratio", 3),),
        ),
        Case(
            "bulletin page",
            "zoufang",
            "province",
            lambda state: f"/supervise/bulletins/{state['bulletin']}/",
            floor="bulletin",
        ),
        Case(
            "bulletin: make again (regenerate)",
            "zoufang",
            "province",
            lambda state: f"/supervise/bulletins/{state['bulletin']}/regenerate/",
            method="POST",
            body=lambda state: {"data": {"office": "基准办公室"}},
            after=regenerated,
            expect=(302,),
            floor="bulletin_make",
            targets=(),
            runs=5,
        ),
        Case(
            "register an issue (API)",
            "zoufang",
            "official",
            "/api/v1/issues/",
            method="POST",
            body=lambda state: {
                "json": {
                    "enterprise": ids["official_enterprise"],
                    "category": "finance",
                    "title": f"基准挂号{len(state.get('registered', []))}：贷款到期续贷困难",
                    "description": "企业反映流动资金贷款到期，续贷审批慢。",
                }
            },
            after=registered,
            expect=(201,),
            floor="register",
            targets=WRITE,
            peer="peer: create a ticket",
        ),
        Case(
            "assign it (API)",
            "zoufang",
            "province",
            assign_path,
            method="POST",
            body=lambda state: {"json": {"unit": unit, "note": "请按期办理。"}},
            floor="assign",
            targets=WRITE,
            peer="peer: follow-up with a status change",
        ),
    ]
    return cases


def _datatables(query: dict, *, start: int = 0, order_column: str = "5", direction: str = "desc") -> str:
    """The JSON the peer's ticket list fetches: its query in base64 in the
    path, the page and order in the query string, as its page's DataTable
    sends them (column 5 is `created`, 6 `due_date`)."""
    full = {"filtering": {}, "filtering_null": {}, "sorting": "created", "sortreverse": True, "search_string": ""}
    full.update(query)
    encoded = base64.b64encode(json.dumps(full).encode()).decode()
    params = {"draw": 1, "start": start, "length": 25, "order[0][column]": order_column, "order[0][dir]": direction}
    return f"/datatables_ticket_list/{encoded}?{urlencode(params)}"


def peer_cases(ids: dict) -> list[Case]:
    """`ids`: the peer's ticket, queue and forms (see __main__.discover_peer)."""

    def created(state, response):
        state["peer_created"] = state.get("peer_created", 0) + 1

    def create(state):
        number = state.get("peer_created", 0)
        return {
            "data": state["peer_create_form"].data(
                queue=str(ids["queue"]),
                title=f"企业反映贷款问题（基准{number}）",
                body="企业反映流动资金贷款到期，续贷审批慢。",
            )
        }

    def follow_up(state):
        # Open → reopened → open …: a status change every time.
        state["peer_status"] = 2 if state.get("peer_status", 1) == 1 else 1
        return {
            "data": state["peer_update_form"].data(
                comment="已联系企业，正在协调。", new_status=str(state["peer_status"])
            )
        }

    return [
        Case("peer: ticket list page (HTML)", "peer", "peer", "/tickets/", targets=()),
        Case("peer: ticket list (JSON rows)", "peer", "peer", _datatables({}), targets=()),
        Case(
            "peer: ticket list, one queue + one state",
            "peer",
            "peer",
            _datatables({"filtering": {"queue__id__in": [ids["queue"]], "status__in": [1]}}),
            targets=(),
        ),
        Case("peer: ticket list, search 贷款", "peer", "peer", _datatables({"search_string": "贷款"}), targets=()),
        Case(
            "peer: ticket list, search 土地审批", "peer", "peer", _datatables({"search_string": "土地审批"}), targets=()
        ),
        Case(
            "peer: ticket list by due date",
            "peer",
            "peer",
            _datatables({"sorting": "due_date", "sortreverse": False}, order_column="6", direction="asc"),
            targets=(),
        ),
        Case("peer: ticket list, rows 12,476–12,500", "peer", "peer", _datatables({}, start=499 * 25), targets=()),
        Case(
            "peer: ticket page",
            "peer",
            "peer",
            f"/tickets/{ids['ticket']}/",
            targets=(),
        ),
        Case("peer: dashboard", "peer", "peer", "/dashboard/", targets=()),
        Case(
            "peer: create a ticket",
            "peer",
            "peer",
            "/tickets/submit/",
            method="POST",
            body=create,
            after=created,
            expect=(302,),
            targets=(),
        ),
        Case(
            "peer: follow-up with a status change",
            "peer",
            "peer",
            f"/tickets/{ids['update_ticket']}/update/",
            method="POST",
            body=follow_up,
            expect=(302,),
            targets=(),
        ),
    ]
