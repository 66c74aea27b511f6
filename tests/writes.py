"""What a test can ask of PostgreSQL about the rows a request wrote."""

import contextlib

from django.db import connection, transaction


def project_writes() -> dict[str, int]:
    """Rows written so far in this transaction, per table of the project
    (PostgreSQL's own counters: one cheap query). The audit trail is left
    out: recording a refused sign-in or an export is its job, not a change."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT relname, n_tup_ins + n_tup_upd + n_tup_del FROM pg_stat_xact_user_tables"
            " WHERE relname ~ '^(core|enterprises|visits|issues)_' AND relname <> 'core_auditentry'"
        )
        return dict(cursor.fetchall())


@contextlib.contextmanager
def rolled_back():
    """Run the block in a savepoint undone after it: every request or example
    starts from the same world."""
    with transaction.atomic():
        yield
        transaction.set_rollback(True)
