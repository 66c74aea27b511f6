"""Bulk writing on PostgreSQL: COPY from a thread of its own, and the
indexes and constraints set aside while the rows arrive.

The rows are made in Python while PostgreSQL takes the previous batch: the
COPY runs in a writer thread on the same connection and transaction (psycopg2
lets go of the GIL while it waits on the server), so the two cores work at
once. While the tables fill, their foreign keys and (but for the tables
named in `keep_indexes`) their unique constraints and indexes are dropped;
`restore` makes each again from the definition PostgreSQL gave before,
which checks every row as it is made (a foreign key is validated over the
whole table, a unique index refuses a duplicate), so the constraints hold
on what was loaded as on what is written later. The schema ends as it
began, and `schema_of` is how the caller sees that it did."""

import io
import queue
import threading
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field

_ESCAPE = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def _cell(value) -> str:
    if value is None:
        return "\\N"
    if value is True:
        return "t"
    if value is False:
        return "f"
    return str(value)


def copy_text(value: str) -> str:
    """Text as COPY's text format reads it back unchanged."""
    if "\\" in value or "\t" in value or "\n" in value or "\r" in value:
        return value.translate(_ESCAPE)
    return value


def _escaped(value) -> str:
    return _cell(value) if value is None or value is True or value is False else str(value).translate(_ESCAPE)


class Table:
    """Rows for one table, sent to the writer in batches of about 4 MB."""

    BATCH_CHARS = 2_000_000

    def __init__(self, copier: "Copier", name: str, columns: tuple[str, ...]):
        self.copier, self.name, self.columns = copier, name, columns
        self.lines: list[str] = []
        self.chars = 0
        self.rows = 0

    def add(self, *values) -> None:
        line = "\t".join(["\\N" if v is None else "t" if v is True else "f" if v is False else str(v) for v in values])
        # Each NULL is one backslash (\N); any other backslash, tab or line break is escaped.
        plain = line.count("\\") == values.count(None) and line.count("\t") == len(values) - 1
        if not plain or "\n" in line or "\r" in line:
            line = "\t".join([_escaped(v) for v in values])
        self.lines.append(line)
        self.chars += len(line)
        self.rows += 1
        if self.chars > self.BATCH_CHARS:
            self.flush()

    def add_line(self, pk: int, rest: str) -> None:
        """A row whose columns after the first are already in COPY's text
        format (each value through `copy_text`, tab-separated)."""
        line = f"{pk}\t{rest}"
        self.lines.append(line)
        self.chars += len(line)
        self.rows += 1
        if self.chars > self.BATCH_CHARS:
            self.flush()

    def flush(self) -> None:
        if self.lines:
            self.lines.append("")
            self.copier.send(self.name, self.columns, "\n".join(self.lines), len(self.lines) - 1)
            self.lines, self.chars = [], 0


class Copier:
    """COPY … FROM STDIN on `raw` (the psycopg2 connection of the caller's
    transaction) from a writer thread; `seconds[table]` is the time the
    server took, `rows[table]` the rows sent. The caller must not use the
    connection until `wait()` returns."""

    def __init__(self, raw):
        self.raw = raw
        self.queue: queue.Queue = queue.Queue(maxsize=4)
        self.seconds: dict[str, float] = defaultdict(float)
        self.rows: Counter = Counter()
        self.tables: list[Table] = []
        self.error: BaseException | None = None
        self.thread = threading.Thread(target=self._run, name="copy", daemon=True)
        self.thread.start()

    def table(self, name: str, columns: tuple[str, ...]) -> Table:
        table = Table(self, name, columns)
        self.tables.append(table)
        return table

    def send(self, name: str, columns, data: str, rows: int) -> None:
        self._raise()
        self.queue.put((name, columns, data, rows))

    def _run(self) -> None:
        cursor = self.raw.cursor()
        while True:
            item = self.queue.get()
            try:
                if item is None:
                    return
                if self.error is None:
                    name, columns, data, rows = item
                    started = time.perf_counter()
                    cursor.copy_expert(f'COPY "{name}" ({", ".join(columns)}) FROM STDIN', io.StringIO(data))
                    self.seconds[name] += time.perf_counter() - started
                    self.rows[name] += rows
            except BaseException as error:  # handed to the caller's thread
                self.error = error
            finally:
                self.queue.task_done()

    def _raise(self) -> None:
        if self.error is not None:
            raise self.error

    def wait(self) -> None:
        """Every table's last batch sent and written."""
        for table in self.tables:
            table.flush()
        self.queue.join()
        self._raise()

    def close(self) -> None:
        self.queue.put(None)
        self.thread.join()
        self._raise()


# The schema set aside and made again ---------------------------------------------------------


@dataclass
class SetAside:
    """What `strip` dropped, to be made again by `restore`."""

    indexes: list[tuple[str, str, str]] = field(default_factory=list)  # (table, name, CREATE INDEX …)
    uniques: list[tuple[str, str, str]] = field(default_factory=list)  # (table, name, UNIQUE (…))
    foreign_keys: list[tuple[str, str, str]] = field(default_factory=list)  # (table, name, FOREIGN KEY …)


def schema_of(cursor, tables: list[str]) -> dict:
    """Every index and constraint of the tables, by name, with its definition
    as PostgreSQL prints it, and the triggers on them."""
    cursor.execute(
        "SELECT t.relname, i.relname, pg_get_indexdef(i.oid) FROM pg_index x "
        "JOIN pg_class i ON i.oid = x.indexrelid JOIN pg_class t ON t.oid = x.indrelid "
        "WHERE t.relname = ANY(%s) AND t.relkind = 'r'",
        [tables],
    )
    indexes = {(table, name): definition for table, name, definition in cursor.fetchall()}
    cursor.execute(
        "SELECT t.relname, c.conname, c.contype, pg_get_constraintdef(c.oid), c.condeferrable, c.condeferred "
        "FROM pg_constraint c JOIN pg_class t ON t.oid = c.conrelid WHERE t.relname = ANY(%s)",
        [tables],
    )
    constraints = {(row[0], row[1]): row[2:] for row in cursor.fetchall()}
    cursor.execute(
        "SELECT t.relname, g.tgname, pg_get_triggerdef(g.oid), g.tgenabled FROM pg_trigger g "
        "JOIN pg_class t ON t.oid = g.tgrelid WHERE t.relname = ANY(%s) AND NOT g.tgisinternal",
        [tables],
    )
    triggers = {(row[0], row[1]): row[2:] for row in cursor.fetchall()}
    return {"indexes": indexes, "constraints": constraints, "triggers": triggers}


def strip(cursor, tables: list[str], keep_indexes: set[str]) -> SetAside:
    """Drop the foreign keys of `tables`, and their unique constraints and
    indexes other than the primary key, except on the tables in `keep_indexes`."""
    aside = SetAside()
    cursor.execute(
        "SELECT t.relname, c.conname, c.contype, pg_get_constraintdef(c.oid) FROM pg_constraint c "
        "JOIN pg_class t ON t.oid = c.conrelid WHERE t.relname = ANY(%s) AND c.contype IN ('f', 'u') "
        "ORDER BY t.relname, c.conname",
        [tables],
    )
    for table, name, kind, definition in cursor.fetchall():
        if kind == "f":
            aside.foreign_keys.append((table, name, definition))
        elif table not in keep_indexes:
            aside.uniques.append((table, name, definition))
    cursor.execute(
        "SELECT t.relname, i.relname, pg_get_indexdef(i.oid) FROM pg_index x "
        "JOIN pg_class i ON i.oid = x.indexrelid JOIN pg_class t ON t.oid = x.indrelid "
        "WHERE t.relname = ANY(%s) AND NOT x.indisprimary AND NOT EXISTS "
        "(SELECT 1 FROM pg_constraint c WHERE c.conindid = x.indexrelid AND c.contype IN ('p', 'u', 'x')) "
        "ORDER BY t.relname, i.relname",
        [tables],
    )
    aside.indexes = [row for row in cursor.fetchall() if row[0] not in keep_indexes]
    for table, name, _definition in aside.foreign_keys + aside.uniques:
        cursor.execute(f'ALTER TABLE "{table}" DROP CONSTRAINT "{name}"')
    for _table, name, _definition in aside.indexes:
        cursor.execute(f'DROP INDEX "{name}"')
    return aside


def declared_indexes(connection, models) -> dict[str, str]:
    """Index name → the CREATE INDEX the migrations ran, for the indexes and
    partial unique constraints the models declare. PostgreSQL prints a
    partial index's condition in a form that, run again, it prints
    differently; Django's own statement makes it exactly as before."""
    editor = connection.schema_editor()
    statements = {}
    for model in models:
        for index in model._meta.indexes:
            statements[index.name] = str(index.create_sql(model, editor))
        for constraint in model._meta.constraints:
            if getattr(constraint, "condition", None) is not None and hasattr(constraint, "fields"):
                statements[constraint.name] = str(constraint.create_sql(model, editor))
    return statements


def restore(cursor, aside: SetAside, seconds: dict[str, float], declared: dict[str, str]) -> None:
    """Make again what `strip` dropped, as it was; each index and unique
    constraint is built over the rows now there, each foreign key validated
    over them. `declared`: the models' own statements for their indexes
    (`declared_indexes`). `seconds[table]` gains the time each table took."""
    for table, name, definition in aside.uniques:
        started = time.perf_counter()
        cursor.execute(f'ALTER TABLE "{table}" ADD CONSTRAINT "{name}" {definition}')
        seconds[table] += time.perf_counter() - started
    for table, name, definition in aside.indexes:
        started = time.perf_counter()
        cursor.execute(declared.get(name, definition))
        seconds[table] += time.perf_counter() - started
    for table, name, definition in aside.foreign_keys:
        started = time.perf_counter()
        cursor.execute(f'ALTER TABLE "{table}" ADD CONSTRAINT "{name}" {definition}')
        seconds[table] += time.perf_counter() - started
