"""The 三帮一 rules the database holds itself, on PostgreSQL: an assignment has
at most its campaign's units per enterprise and, once it has units, exactly
one lead. A deferred constraint trigger, so a service may swap the lead in
two statements; services switch it to IMMEDIATE before they return."""

from django.db import migrations

FORWARD = """
CREATE OR REPLACE FUNCTION enterprises_check_assignment(aid bigint) RETURNS void AS $$
DECLARE
  mode integer; n integer; leads integer;
BEGIN
  SELECT c.units_per_enterprise INTO mode
    FROM enterprises_assignment a JOIN enterprises_campaign c ON c.id = a.campaign_id
   WHERE a.id = aid;
  IF NOT FOUND THEN RETURN; END IF;
  SELECT count(*), count(*) FILTER (WHERE is_lead) INTO n, leads
    FROM enterprises_assignmentunit WHERE assignment_id = aid;
  IF n > mode THEN
    RAISE EXCEPTION USING ERRCODE = '23514', CONSTRAINT = 'assignment_units_within_mode',
      MESSAGE = format('assignment %s has %s units; its campaign allows %s', aid, n, mode);
  END IF;
  IF n > 0 AND leads <> 1 THEN
    RAISE EXCEPTION USING ERRCODE = '23514', CONSTRAINT = 'assignment_exactly_one_lead',
      MESSAGE = format('assignment %s must have exactly one lead unit; it has %s', aid, leads);
  END IF;
END $$ LANGUAGE plpgsql;

CREATE OR REPLACE FUNCTION enterprises_assignmentunit_rules() RETURNS trigger AS $$
BEGIN
  IF TG_OP IN ('UPDATE', 'DELETE') THEN PERFORM enterprises_check_assignment(OLD.assignment_id); END IF;
  IF TG_OP IN ('INSERT', 'UPDATE') THEN PERFORM enterprises_check_assignment(NEW.assignment_id); END IF;
  RETURN NULL;
END $$ LANGUAGE plpgsql;

CREATE CONSTRAINT TRIGGER assignmentunit_rules
  AFTER INSERT OR UPDATE OR DELETE ON enterprises_assignmentunit
  DEFERRABLE INITIALLY DEFERRED
  FOR EACH ROW EXECUTE FUNCTION enterprises_assignmentunit_rules();
"""

BACKWARD = """
DROP TRIGGER IF EXISTS assignmentunit_rules ON enterprises_assignmentunit;
DROP FUNCTION IF EXISTS enterprises_assignmentunit_rules();
DROP FUNCTION IF EXISTS enterprises_check_assignment(bigint);
"""


def _run(schema_editor, sql):
    # A plain cursor: the SQL holds "%" placeholders of PL/pgSQL's own.
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(sql)


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        _run(schema_editor, FORWARD)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        _run(schema_editor, BACKWARD)


class Migration(migrations.Migration):
    dependencies = [("enterprises", "0001_initial")]
    operations = [migrations.RunPython(forward, backward)]
