"""Counters kept added up in a table (the dashboard summaries'
cells): rows keyed by some columns, with numbers that changes add to."""

from django.db import connection


def add(model, key: tuple[str, ...], columns: tuple[str, ...], rows, batch: int = 500) -> None:
    """Add each row's numbers to the row with its key, making it if need be:
    INSERT … ON CONFLICT DO UPDATE adding up (PostgreSQL and SQLite alike),
    so two changes at once add up instead of overwriting each other. `rows`
    are (key values, numbers), in key order, so two changes at once lock
    shared rows in the same order and cannot deadlock."""
    table = model._meta.db_table
    names = ", ".join((*key, *columns))
    one = "(" + ", ".join(["%s"] * (len(key) + len(columns))) + ")"
    adds = ", ".join(f"{c} = {table}.{c} + excluded.{c}" for c in columns)
    rows = list(rows)
    with connection.cursor() as cursor:
        for start in range(0, len(rows), batch):
            chunk = rows[start : start + batch]
            # Fixed table and column names; every value is a parameter.
            sql = (
                f"INSERT INTO {table} ({names}) VALUES {', '.join([one] * len(chunk))} "  # nosec B608
                f"ON CONFLICT ({', '.join(key)}) DO UPDATE SET {adds}"
            )
            cursor.execute(sql, [value for keys, values in chunk for value in (*keys, *values)])
