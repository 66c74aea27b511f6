"""Issue events are append-only in the database itself, and each category
starts with its default limits in working days."""

from django.db import migrations

PG_FORWARD = """
CREATE OR REPLACE FUNCTION issues_event_append_only() RETURNS trigger AS $$
BEGIN
  RAISE EXCEPTION 'issue events are append-only (% refused)', TG_OP;
END $$ LANGUAGE plpgsql;
CREATE TRIGGER issueevent_append_only BEFORE UPDATE OR DELETE ON issues_issueevent
  FOR EACH ROW EXECUTE FUNCTION issues_event_append_only();
"""
PG_BACKWARD = """
DROP TRIGGER IF EXISTS issueevent_append_only ON issues_issueevent;
DROP FUNCTION IF EXISTS issues_event_append_only();
"""
SQLITE_FORWARD = [
    """CREATE TRIGGER issueevent_no_update BEFORE UPDATE ON issues_issueevent
       BEGIN SELECT RAISE(ABORT, 'issue events are append-only'); END""",
    """CREATE TRIGGER issueevent_no_delete BEFORE DELETE ON issues_issueevent
       BEGIN SELECT RAISE(ABORT, 'issue events are append-only'); END""",
]
SQLITE_BACKWARD = ["DROP TRIGGER IF EXISTS issueevent_no_update", "DROP TRIGGER IF EXISTS issueevent_no_delete"]

# (accept, resolve, verify, rework) in working days per category.
DEFAULT_LIMITS = {
    "land": (1, 30, 5, 10),
    "finance": (1, 15, 5, 5),
    "people": (1, 15, 5, 5),
    "approvals": (1, 10, 5, 5),
    "policy": (1, 15, 5, 5),
    "infrastructure": (1, 20, 5, 10),
    "market": (1, 15, 5, 5),
    "technology": (1, 20, 5, 10),
    "other": (1, 15, 5, 5),
}


def _run(schema_editor, sql):
    # A plain cursor: the SQL holds "%" placeholders of PL/pgSQL's own.
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(sql)


def forward(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        _run(schema_editor, PG_FORWARD)
    elif vendor == "sqlite":
        for statement in SQLITE_FORWARD:
            _run(schema_editor, statement)
    DeadlinePolicy = apps.get_model("issues", "DeadlinePolicy")
    for category, (accept, resolve, verify, rework) in DEFAULT_LIMITS.items():
        DeadlinePolicy.objects.get_or_create(
            category=category,
            defaults={"accept_days": accept, "resolve_days": resolve, "verify_days": verify, "rework_days": rework},
        )


def backward(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        _run(schema_editor, PG_BACKWARD)
    elif vendor == "sqlite":
        for statement in SQLITE_BACKWARD:
            _run(schema_editor, statement)


class Migration(migrations.Migration):
    dependencies = [("issues", "0001_initial")]
    operations = [migrations.RunPython(forward, backward)]
