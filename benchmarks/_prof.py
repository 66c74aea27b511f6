import datetime, sys, time
from pathlib import Path
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
import django, os
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")
django.setup()
from django.db import connection, reset_queries
from benchmarks.bench_sweep import build
from enterprises.models import Official
from issues import selectors, summary
build(200_000, 20_000)
summary.rebuild()
from issues.models import Issue
print(Issue.objects.values("status").annotate(n=django.db.models.Count("pk")).order_by())
user = Official.objects.get(username="sup")
period = {"date_from": datetime.date(2026, 1, 1), "date_to": datetime.date(2026, 12, 31)}
connection.force_debug_cursor = True
for _ in range(3):
    reset_queries()
    t=time.perf_counter()
    selectors.issue_figures(user=user, campaign=None, **period)
    print("total", time.perf_counter()-t)
for q in connection.queries:
    print(q["time"], q["sql"][:300])
print("sum sql", sum(float(q["time"]) for q in connection.queries), len(connection.queries))
import cProfile, pstats
cProfile.run("selectors.issue_figures(user=user, campaign=None, **period)", "/tmp/prof.out")
pstats.Stats("/tmp/prof.out").sort_stats("cumulative").print_stats(25)
