"""The search rule every list shares: `q` matches a row when one of the
searched fields contains it, ignoring case, in the order typed (a code
field: begins with it).

That is a `LIKE '%…%'`, which no B-tree index serves, and trigrams serve it
only from three characters on, while most Chinese words have two (贷款,
用地). So on PostgreSQL a model may declare a `search_document`: the text
fields an index of their character pairs covers. Migration core 0006 defines
`zf_bigrams(text, …)`, the distinct pairs of adjacent characters of each
argument, lowercased; each app's migration makes a GIN index on
`zf_bigrams(<its document>)`. A query of two characters or more is then

    (strpos(lower(field), lower(q)) > 0 OR …)  AND  zf_bigrams(document) @> zf_bigrams(q)

where the index finds the rows holding every pair of `q` and the first part
keeps those holding `q` itself: the pairs of 用地融资 (用地, 地融, 融资) can all
occur without the phrase. The index is on an expression, so rows written any
way (the ORM, COPY, a restore) are indexed with nothing else to maintain.

One character has no pair and is matched by a `LIKE` alone, as is every
search on the embedded SQLite default, where a city's tables scan quickly
enough and the `LIKE` is all there is.

Codes (`search_codes`: a register number, a credit code) are not words:
every register number shares the pairs of "2026-00", and reading those
from the index cost 150 ms on a million issues. They are matched from their
start, in capitals, through a B-tree index of their own (`varchar_pattern_ops`),
so a whole code or its beginning finds it; a search with characters no
code has (a Chinese word) leaves them out.

Fields reached through a relation (`enterprise__name`) of a model with a
document are searched on that model, by its own index, and the rows found
are named by id, so the searched table can combine that with its own index
(an OR of two bitmap scans) rather than scan itself.
"""

import re

from django.db import connections
from django.db.models import BooleanField, Func, Q, Value
from django.db.models.functions import Lower, StrIndex
from django.db.models.lookups import GreaterThan

# What codes are written in (register numbers, credit codes).
CODE = re.compile(r"[0-9A-Z-]+")

# With more related rows than this the match is a subquery instead of a
# list of ids (a word as common as 公司 would otherwise make a long list).
RELATED_IDS_MAX = 1000


class BigramsContain(Func):
    """`zf_bigrams(document…) @> zf_bigrams(value)`, written exactly as the
    index is, so the planner uses it."""

    output_field = BooleanField()

    def __init__(self, *document, value: str):
        super().__init__(*document, Value(value))

    def as_sql(self, compiler, connection, **extra_context):
        sqls, params = [], []
        for expression in self.get_source_expressions():
            sql, expression_params = compiler.compile(expression)
            sqls.append(sql)
            params.extend(expression_params)
        *fields, value = sqls
        return f"zf_bigrams({', '.join(fields)}) @> zf_bigrams({value}::text)", params


def indexed(model, using: str = "default") -> bool:
    """Whether `model` has a character-pair index to search through here."""
    return bool(getattr(model, "search_document", ())) and connections[using].vendor == "postgresql"


def _like(fields, value: str) -> Q:
    condition = Q()
    for field in fields:
        condition |= Q(**{f"{field}__icontains": value})
    return condition


def _holds(fields, value: str) -> Q:
    """One of `fields` holds `value`, lowercased: `strpos(lower(field),
    lower(value)) > 0`. Not a LIKE, whose selectivity the planner guesses as
    next to nothing, so that after the index's (well estimated) share it
    took every common word for a rare one and sorted all its matches
    instead of walking the list's order; this it guesses at a third."""
    needle = Lower(Value(value))
    condition = Q()
    for field in fields:
        condition |= Q(GreaterThan(StrIndex(Lower(field), needle), 0))
    return condition


class _Terms:
    """A search's condition in three parts: `exact`, terms true of a row on
    their own (a code's start, a LIKE, a related row's id); `held`, the
    check that a word is there; `pairs`, the index's necessary condition for
    it. The search is exact OR (held AND pairs), written as

        (exact OR held) AND (exact OR pairs)

    (the same, by distribution) so that the second part is exactly what the
    index scans read and the planner does not compute the pairs again for
    every row it found; only the cheap first part is checked on them."""

    def __init__(self):
        self.exact, self.held, self.pairs = Q(), Q(), Q()

    def condition(self) -> Q:
        if not self.pairs:
            return self.exact
        return (self.exact | self.held) & (self.exact | self.pairs)


def _match(terms: _Terms, model, fields, value: str, using: str, path: str = "") -> None:
    """Add the terms for `value` in one of `fields` of `model`, reached from
    the searched model through `path` (empty: `model` is the searched one)."""
    codes = [field for field in fields if field in getattr(model, "search_codes", ())]
    words = [field for field in fields if field not in codes]
    if CODE.fullmatch(value.upper()):  # (a word in Chinese starts no code: no term, no index scan for it)
        for field in codes:
            terms.exact |= Q(**{f"{path}{field}__startswith": value.upper()})
    document = tuple(getattr(model, "search_document", ()))
    # The document may hold more fields than are searched: a pair missing
    # from all of it is missing from each of them.
    if words and len(value) >= 2 and not path and indexed(model, using) and set(words) <= set(document):
        terms.held |= _holds(words, value)
        terms.pairs |= Q(BigramsContain(*document, value=value))
    elif words:
        terms.exact |= _like([f"{path}{field}" for field in words], value)


def _related(model, relation: str):
    for part in relation.split("__"):
        model = model._meta.get_field(part).related_model
    return model


def _on(model, fields, value: str, using: str, path: str = "") -> Q:
    terms = _Terms()
    _match(terms, model, fields, value, using, path)
    return terms.condition()


def matches(model, fields, value: str, using: str = "default") -> Q:
    """The condition on `model` for the search `value` over `fields` (lookup
    paths, as `title` or `issue__enterprise__name`). Fields of a related
    model with a search document are searched on it, by its index, and
    named by the ids found (one query, at most, per such model); the others
    through their joins, as before."""
    value = value.strip()
    groups: dict[str, list[str]] = {}
    for field in fields:
        relation, _sep, name = field.rpartition("__")
        groups.setdefault(relation, []).append(name)
    terms = _Terms()
    for relation, names in groups.items():
        if not relation:
            _match(terms, model, names, value, using)
            continue
        related = _related(model, relation)
        if not indexed(related, using):
            _match(terms, related, names, value, using, path=f"{relation}__")
            continue
        rows = related._default_manager.using(using).filter(_on(related, names, value, using)).values("pk")
        ids = list(rows.order_by().values_list("pk", flat=True)[: RELATED_IDS_MAX + 1])
        terms.exact |= Q(**{f"{relation}__in": ids if len(ids) <= RELATED_IDS_MAX else rows})
    return terms.condition()
