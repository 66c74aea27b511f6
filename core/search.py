"""The search rule every list shares: `q` matches a row when one of the
searched fields contains it, ignoring case, in the order typed.

That is a `LIKE '%…%'`, which no B-tree index serves, and trigrams serve it
only from three characters on, while most Chinese words have two (贷款,
用地). So on PostgreSQL a model may declare a `search_document`: the fields
an index of their character pairs covers. Migration core 0006 defines
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

Fields reached through a relation (`enterprise__name`) of a model with a
document are searched on that model, by its own index, and the rows found
are named by id, so the searched table can combine that with its own index
(an OR of two bitmap scans) rather than scan itself.
"""

from django.db import connections
from django.db.models import BooleanField, Func, Q, Value
from django.db.models.functions import Lower, StrIndex
from django.db.models.lookups import GreaterThan

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


def _match(model, fields, value: str, using: str) -> Q:
    """`value` in one of `fields`, fields of `model` itself."""
    document = tuple(getattr(model, "search_document", ()))
    # The document may hold more fields than are searched: a pair missing
    # from all of it is missing from each of them.
    if len(value) >= 2 and indexed(model, using) and set(fields) <= set(document):
        # The check first: where the planner walks a list's order instead of
        # reading the index, it is the cheap test of each row, and the pairs
        # (a query of their own) are computed only for the rows it keeps.
        return _holds(fields, value) & Q(BigramsContain(*document, value=value))
    return _like(fields, value)


def _related(model, relation: str):
    for part in relation.split("__"):
        model = model._meta.get_field(part).related_model
    return model


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
    condition = Q()
    for relation, names in groups.items():
        if not relation:
            condition |= _match(model, names, value, using)
            continue
        related = _related(model, relation)
        if not indexed(related, using):
            condition |= _like([f"{relation}__{name}" for name in names], value)
            continue
        rows = related._default_manager.using(using).filter(_match(related, names, value, using)).values("pk")
        ids = list(rows.order_by().values_list("pk", flat=True)[: RELATED_IDS_MAX + 1])
        condition |= Q(**{f"{relation}__in": ids if len(ids) <= RELATED_IDS_MAX else rows})
    return condition
