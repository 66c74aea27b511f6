"""The load test of `make load` (scripts/load.sh runs it against `make stack`):
officials log visits with an issue and register issues through the API while
supervisors open the dashboard and assign what waits, all at once.

Every 201 for an issue is counted here, and scripts/load.sh compares the
count with the issues the database holds afterwards."""

import datetime
import json
import os
import random
import re
import threading

import urllib3
from locust import HttpUser, between, events, task

# The stack's certificate is self-signed for the loopback address; say so once, not per request.
urllib3.disable_warnings(urllib3.exceptions.InsecureRequestWarning)

PASSWORD = os.environ.get("LOAD_PASSWORD", "zoufang-demo")
OFFICIALS = os.environ.get("LOAD_OFFICIALS", "official").split(",")
SUPERVISORS = os.environ.get("LOAD_SUPERVISORS", "supervisor").split(",")
# Who picks which enterprise and issue: repeatable from run to run.
rng = random.Random(int(os.environ.get("LOAD_SEED", "1")))  # nosec B311  # a repeatable load, not a secret
TALLY = {"issues_created": 0, "visits_created": 0, "assigned": 0, "conflicts": 0}
_lock = threading.Lock()
_accounts = {"official": list(OFFICIALS), "supervisor": list(SUPERVISORS)}


def count(name, n=1):
    with _lock:
        TALLY[name] += n


def take(kind):
    """Each simulated person signs in as an account of their own (the API
    throttles count per user, as they would for real people)."""
    with _lock:
        pool = _accounts[kind]
        return pool.pop() if pool else rng.choice(OFFICIALS if kind == "official" else SUPERVISORS)


class Official(HttpUser):
    weight = 3
    wait_time = between(1, 3)

    def on_start(self):
        self.client.verify = False  # the stack's self-signed loopback certificate
        username = take("official")
        answer = self.client.post("/api/v1/auth/token/", json={"username": username, "password": PASSWORD})
        self.client.headers["Authorization"] = f"Token {answer.json()['token']}"
        rows = self.client.get("/api/v1/enterprises/?page_size=100", name="/api/v1/enterprises/").json()["results"]
        self.enterprises = [row["id"] for row in rows]

    @task(3)
    def log_a_visit_with_an_issue(self):
        if not self.enterprises:
            return
        visit = {
            "enterprise": rng.choice(self.enterprises),
            "date": datetime.date.today().isoformat(),
            "form": "onsite",
            "purposes": ["situation"],
            "summary": "了解生产经营情况（压力测试）",
            "issues": [{"category": "finance", "title": "流动资金紧张（压力测试）", "request": "协调续贷"}],
        }
        with self.client.post("/api/v1/visits/", json=visit, catch_response=True) as answer:
            if answer.status_code == 201:
                count("visits_created")
                count("issues_created", answer.json()["issue_count"])

    @task(2)
    def register_an_issue(self):
        if not self.enterprises:
            return
        issue = {"enterprise": rng.choice(self.enterprises), "category": "land", "title": "用地指标不足（压力测试）"}
        with self.client.post("/api/v1/issues/", json=issue, catch_response=True) as answer:
            if answer.status_code == 201:
                count("issues_created")

    @task(3)
    def read_the_issue_list(self):
        self.client.get("/api/v1/issues/?ordering=-registered_at", name="/api/v1/issues/")


class Supervisor(HttpUser):
    weight = 1
    wait_time = between(2, 5)

    def on_start(self):
        self.client.verify = False
        username = take("supervisor")
        answer = self.client.post("/api/v1/auth/token/", json={"username": username, "password": PASSWORD})
        self.api = {"Authorization": f"Token {answer.json()['token']}"}
        self.client.get("/accounts/login/")
        token = self.client.cookies.get("csrftoken")
        self.client.post(
            "/accounts/login/",
            data={"username": username, "password": PASSWORD, "csrfmiddlewaretoken": token},
            headers={"Referer": self.client.base_url + "/accounts/login/"},
        )
        # Signed in on the pages too: an API POST carries the CSRF token, as the
        # site's own pages do.
        self.api["X-CSRFToken"] = self.client.cookies.get("csrftoken", "")
        units = self.client.get("/api/v1/units/?page_size=100", headers=self.api, name="/api/v1/units/").json()
        self.units = [row["id"] for row in units["results"]]

    @task(2)
    def open_the_dashboard(self):
        page = self.client.get("/supervise/dashboard/", name="/supervise/dashboard/")
        if page.status_code == 200 and not re.search("<html", page.text):
            page.failure("not a page")

    @task(3)
    def assign_what_waits(self):
        waiting = self.client.get(
            "/api/v1/issues/?status=registered", headers=self.api, name="/api/v1/issues/?status=registered"
        ).json()["results"]
        if not waiting or not self.units:
            return
        issue = rng.choice(waiting)
        with self.client.post(
            f"/api/v1/issues/{issue['id']}/assign/",
            json={"unit": rng.choice(self.units)},
            headers=self.api,
            name="/api/v1/issues/[id]/assign/",
            catch_response=True,
        ) as answer:
            if answer.status_code == 409:  # a colleague took it first: the refusal is the right answer
                count("conflicts")
                answer.success()
            elif answer.status_code == 200:
                count("assigned")


@events.quitting.add_listener
def write_the_tally(environment, **kwargs):
    path = os.environ.get("LOAD_TALLY")
    if path:
        stats = environment.stats.total
        with open(path, "w") as handle:
            json.dump(
                {
                    **TALLY,
                    "requests": stats.num_requests,
                    "failures": stats.num_failures,
                    "rps": round(stats.total_rps, 1),
                    "p50_ms": stats.get_response_time_percentile(0.5),
                    "p95_ms": stats.get_response_time_percentile(0.95),
                },
                handle,
            )
