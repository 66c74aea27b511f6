"""zf_bigrams(text, …): the distinct pairs of adjacent characters of each
argument, lowercased, as a text array, for core.search's indexed search
(PostgreSQL only: on SQLite a search is a plain LIKE). GIN indexes on it
serve `@>`. Costed high (it is a query of its own for each row) so that the
planner reads it from an index rather than computing it row by row."""

from django.db import migrations

CREATE = """
CREATE OR REPLACE FUNCTION zf_bigrams(VARIADIC parts text[]) RETURNS text[]
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE COST 1000
AS $$
    SELECT coalesce(array_agg(DISTINCT substr(part, i, 2)), '{}')
    FROM (SELECT lower(raw) AS part FROM unnest(parts) AS raw) AS lowered,
         generate_series(1, char_length(part) - 1) AS i
$$
"""


def create(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE)


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP FUNCTION IF EXISTS zf_bigrams(VARIADIC text[])")


class Migration(migrations.Migration):
    dependencies = [("core", "0005_calendar_source_and_years")]

    operations = [migrations.RunPython(create, drop)]
