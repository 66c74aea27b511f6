"""Each page's floor: the single best SQL statement for what the page shows,
run straight on the database with psycopg2 (no ORM, no template, no HTTP).
A page costs its floor plus everything the application adds; issue 13 asks
for no page above 3× its floor. Writes run in a transaction rolled back.

Statements take named parameters from `Scope` (the user's region path and the
ids the generator reported)."""

from dataclasses import dataclass

# The issue list's columns: number, title, category, enterprise, responsible unit, status, deadline.
LIST_SELECT = """
SELECT i.id, i.number, i.title, i.category, i.status, i.due_date, i.registered_at, e.name, u.name
FROM issues_issue i
JOIN enterprises_enterprise e ON e.id = i.enterprise_id
JOIN enterprises_region r ON r.id = e.region_id
LEFT JOIN enterprises_helpunit u ON u.id = i.responsible_unit_id
WHERE r.path LIKE %(scope)s"""

NEWEST = " ORDER BY i.registered_at DESC, i.id DESC"

HANDLED_BY_UNIT = """ AND (i.responsible_unit_id = %(unit)s OR EXISTS (
    SELECT 1 FROM issues_issue_co_units c WHERE c.issue_id = i.id AND c.helpunit_id = %(unit)s))"""

# My work: the unit's open issues by deadline.
OPEN_ISSUES = """
SELECT i.id, i.number, i.title, i.status, i.due_date, e.name
FROM issues_issue i
JOIN enterprises_enterprise e ON e.id = i.enterprise_id
WHERE i.status IN ('assigned', 'in_progress')"""

SEARCHED = " AND (i.number LIKE %(like)s OR i.title LIKE %(like)s OR e.name LIKE %(like)s)"

# The figures the dashboard shows, in one statement: per unit, per region, per
# category and per month (or week), by GROUPING SETS.
FIGURES = """
SELECT i.responsible_unit_id, e.region_id, i.category, date_trunc(%(step)s, i.registered_at) AS period,
       count(*) AS registered,
       count(*) FILTER (WHERE i.status = 'closed') AS closed,
       count(*) FILTER (WHERE i.status IN ('assigned', 'in_progress') AND i.due_date < CURRENT_DATE) AS overdue,
       count(*) FILTER (WHERE i.resolved_at IS NOT NULL AND i.resolved_at::date <= i.due_date) AS on_time,
       count(*) FILTER (WHERE i.satisfaction IN ('satisfied', 'basically_satisfied')) AS satisfied
FROM issues_issue i
JOIN enterprises_enterprise e ON e.id = i.enterprise_id
JOIN enterprises_region r ON r.id = e.region_id
WHERE r.path LIKE %(scope)s AND i.status <> 'cancelled'{where}
GROUP BY GROUPING SETS ((i.responsible_unit_id), (e.region_id), (i.category), (period))"""

UNIT_FIGURES = """
SELECT i.responsible_unit_id,
       count(*) AS registered,
       count(*) FILTER (WHERE i.status = 'closed') AS closed,
       count(*) FILTER (WHERE i.status IN ('assigned', 'in_progress') AND i.due_date < CURRENT_DATE) AS overdue,
       count(*) FILTER (WHERE i.resolved_at IS NOT NULL AND i.resolved_at::date <= i.due_date) AS on_time
FROM issues_issue i
JOIN enterprises_enterprise e ON e.id = i.enterprise_id
JOIN enterprises_region r ON r.id = e.region_id
WHERE r.path LIKE %(scope)s AND i.status <> 'cancelled'{where}
GROUP BY i.responsible_unit_id"""

IN_CAMPAIGN = " AND i.campaign_id = %(campaign)s AND i.registered_at >= %(campaign_start)s"
IN_MONTH = " AND i.registered_at >= %(month_start)s AND i.registered_at < %(month_end)s"

FLOORS = {
    "list": LIST_SELECT + NEWEST + " LIMIT 25",
    "list_unit_state": LIST_SELECT + " AND i.status = 'in_progress'" + HANDLED_BY_UNIT + NEWEST + " LIMIT 25",
    "search": LIST_SELECT + SEARCHED + NEWEST + " LIMIT 25",
    "list_due": LIST_SELECT + " ORDER BY i.due_date ASC NULLS LAST, i.id LIMIT 25",
    "list_deep": LIST_SELECT + NEWEST + " LIMIT 25 OFFSET %(offset)s",
    "api_list": LIST_SELECT.replace("SELECT i.id,", "SELECT i.*,") + NEWEST + " LIMIT 20",
    "issue": """
SELECT i.id, i.number, i.title, i.status, e.name, ev.action, ev.created_at, ev.note, o.username, hu.name
FROM issues_issue i
JOIN enterprises_enterprise e ON e.id = i.enterprise_id
LEFT JOIN issues_issueevent ev ON ev.issue_id = i.id
LEFT JOIN enterprises_official o ON o.id = ev.actor_id
LEFT JOIN enterprises_helpunit hu ON hu.id = ev.actor_unit_id
WHERE i.id = %(issue)s
ORDER BY ev.created_at, ev.id""",
    "enterprise": """
SELECT e.id, e.name, e.credit_code, e.address, r.name, i.id, i.number, i.title, i.status, i.due_date, u.name
FROM enterprises_enterprise e
JOIN enterprises_region r ON r.id = e.region_id
LEFT JOIN issues_issue i ON i.enterprise_id = e.id
LEFT JOIN enterprises_helpunit u ON u.id = i.responsible_unit_id
WHERE e.id = %(enterprise)s
ORDER BY i.registered_at DESC LIMIT 100""",
    "my_work": OPEN_ISSUES + HANDLED_BY_UNIT + " ORDER BY i.due_date, i.id LIMIT 50",
    "dashboard": FIGURES.format(where=IN_CAMPAIGN),
    "dashboard_all_time": FIGURES.format(where=""),
    "stats_by_unit": UNIT_FIGURES.format(where=""),
    "bulletin_make": UNIT_FIGURES.format(where=IN_MONTH),
    "bulletin": "SELECT b.data, r.name FROM issues_bulletin b JOIN enterprises_region r ON r.id = b.region_id "
    "WHERE b.id = %(bulletin)s",
    "export": """
SELECT i.number, e.name, i.category, i.title, i.status, u.name,
       (SELECT string_agg(cu.name, '、') FROM issues_issue_co_units c
        JOIN enterprises_helpunit cu ON cu.id = c.helpunit_id WHERE c.issue_id = i.id),
       i.registered_at, i.due_date, i.resolved_at, i.closed_at, i.outcome, i.satisfaction, i.escalated_at, i.request
FROM issues_issue i
JOIN enterprises_enterprise e ON e.id = i.enterprise_id
JOIN enterprises_region r ON r.id = e.region_id
LEFT JOIN enterprises_helpunit u ON u.id = i.responsible_unit_id
WHERE r.path LIKE %(scope)s AND i.registered_at >= %(export_from)s
ORDER BY i.registered_at DESC, i.id DESC""",
    # The writes: the row and its event, in one statement, rolled back.
    "register": """
WITH new AS (
  INSERT INTO issues_issue (number, source, category, title, description, request, priority, status, version,
                            registered_at, outcome, satisfaction, enterprise_id, registered_by_id, is_complex,
                            campaign_id)
  VALUES ('9999-999999', 'visit', 'finance', '基准挂号', '', '', 'normal', 'registered', 1, now(), '', '',
          %(register_enterprise)s, %(official)s, false, %(campaign)s)
  RETURNING id)
INSERT INTO issues_issueevent (action, created_at, from_status, to_status, note, data, actor_id, issue_id)
SELECT 'register', now(), '', 'registered', '', '{}', %(official)s, id FROM new""",
    "assign": """
WITH moved AS (
  UPDATE issues_issue SET status = 'assigned', responsible_unit_id = %(unit)s, assigned_at = now(),
         due_date = CURRENT_DATE + 20, version = version + 1
  WHERE id = %(registered_issue)s RETURNING id)
INSERT INTO issues_issueevent (action, created_at, from_status, to_status, note, data, actor_id, issue_id)
SELECT 'assign', now(), 'registered', 'assigned', '', '{}', %(supervisor)s, id FROM moved""",
}

WRITES = {"register", "assign"}


@dataclass
class Floor:
    name: str
    params: dict

    def run(self, connection) -> None:
        """Run the statement and fetch every row it gives (a write is undone)."""
        with connection.cursor() as cursor:
            cursor.execute(FLOORS[self.name], self.params)
            if cursor.description is not None:
                cursor.fetchall()
        connection.rollback()
