"""The radar (面上共性问题): groups of open issues from several enterprises
that read as one problem, proposed for a supervisor to confirm, split, merge
or dismiss (issues.common).

Two things must agree before two issues are called one problem:

- **the same concepts**: the ledger's words for its common problems
  (issues.radar_terms: 电价, 停电, 抽贷, 稳岗…, each with the ways officials
  write it), weighed by how rare they are (TF-IDF), those of the title
  three times. This is what finds 招工难 and 数控岗位长期缺人 alike, though
  they share no two characters;
- **some of the same wording**: the overlapping pairs of Chinese characters
  of title (twice), description and request (TF-IDF, the ledger's filler
  words left out). This is what keeps apart two issues that name the same
  concept about different things.

Two issues are neighbours when the cosine of their concepts is at least
`Settings.concepts` and that of their wording at least `Settings.wording`,
and they are from different enterprises (the category is not required:
officials file one problem under different ones). Neighbours joined up are
then cut by average linkage (scipy), so a group holds together as a whole
and is not a chain of look-alikes: its members' average likeness (the cosine
of concepts, 0 for two that are not neighbours) is at least `Settings.group`.

Precision comes first: a supervisor must trust what it proposes. The
thresholds are measured on a labelled set (tests/issues/data/, `python
benchmarks/bench_radar.py --sweep`). No model is downloaded; it reads plain
rows, the same on PostgreSQL and SQLite, a block of rows at a time."""

import re
from dataclasses import dataclass, field

from .radar_terms import CONCEPTS, QUALIFIERS

CJK = re.compile(r"[\u4e00-\u9fff]+")

# Pairs of characters that say nothing about which problem it is: the
# ledger's own words for asking, helping and being a company.
FILLER = frozenset(
    """企业 公司 希望 协调 解决 问题 反映 帮助 帮忙 相关 部门 目前 存在 需要 要求 给予 支持 请求 建议 尽快
    政府 有关 情况 影响 导致 造成 我们 本企 该企 严重 较大 比较 非常 一些 没有 不能 无法 进行 开展 工作 有限
    限公 县里 镇里 园区 今年 去年 明年 每月 每年 近期 一直 已经 多次 至今 仍未 由于 因为 所以 如果 能否 是否""".split()
)
TITLE_WEIGHT = 3  # a concept in the title counts this many times


@dataclass(frozen=True)
class Settings:
    concepts: float = 0.7  # least cosine of concepts for two issues to be neighbours…
    wording: float = 0.06  # …and of their wording
    group: float = 0.6  # least average likeness inside a group
    least: int = 3  # issues, from as many enterprises: two alike may be chance, three are a pattern
    max_share: float = 0.05  # a pair of characters in more of the issues than this says nothing…
    common_floor: int = 50  # …when that is more than this many issues
    block: int = 1000  # rows multiplied at a time


DEFAULT = Settings()


@dataclass(frozen=True)
class Row:
    """What the radar reads of an issue."""

    id: int
    enterprise_id: int
    category: str
    title: str
    description: str = ""
    request: str = ""
    bucket: int = 0  # issues are compared within a bucket only (issues.common: the county)


@dataclass
class Group:
    """A proposed common problem: its issues (the most typical first), how
    alike they are (the average likeness inside) and the concepts they share
    (each by its first word)."""

    ids: list[int]
    likeness: float
    words: list[str] = field(default_factory=list)


def pairs_of(text: str) -> list[str]:
    """The overlapping pairs of Chinese characters of a text, filler left out."""
    out = []
    for run in CJK.findall(text):
        out.extend(run[i : i + 2] for i in range(len(run) - 1))
    return [pair for pair in out if pair not in FILLER]


_TERMS = sorted(((word, concept) for concept, words in CONCEPTS.items() for word in words), key=lambda t: -len(t[0]))
_CONCEPT_OF = dict(_TERMS)
_WORDS = re.compile("|".join(re.escape(word) for word, _concept in _TERMS))


def concepts_of(text: str) -> list[str]:
    """The concepts a text speaks of (issues.radar_terms), longest word first."""
    return [_CONCEPT_OF[match.group()] for match in _WORDS.finditer(text)]


def concept_terms(row: Row) -> list[str]:
    """An issue's concepts, those of its title weightier; a qualifier (兑现,
    招聘) once, as it only says which side of a problem is meant."""
    title = set(concepts_of(row.title))
    rest = set(concepts_of(f"{row.description} {row.request}")) - title
    weighted = [c for c in sorted(title) for _ in range(1 if c in QUALIFIERS else TITLE_WEIGHT)]
    return weighted + sorted(rest)


def wording_terms(row: Row) -> list[str]:
    """An issue's pairs of characters, those of its title twice."""
    title = pairs_of(row.title)
    return title + title + pairs_of(row.description) + pairs_of(row.request)


def similarities(rows: list[Row], settings: Settings = DEFAULT) -> dict[tuple[int, int], float]:
    """The neighbours among `rows` (by position, i < j): {(i, j): cosine of
    their concepts}."""
    import numpy as np
    from sklearn.feature_extraction.text import TfidfVectorizer

    if len(rows) < 2:
        return {}
    try:
        concepts = TfidfVectorizer(analyzer=concept_terms, sublinear_tf=False).fit_transform(rows)
        wording = TfidfVectorizer(
            analyzer=wording_terms,
            sublinear_tf=True,
            max_df=max(int(settings.max_share * len(rows)), settings.common_floor),
        ).fit_transform(rows)
    except ValueError:  # none of them names a concept, or shares wording the rest do not all share
        return {}
    enterprises = np.array([row.enterprise_id for row in rows])
    transposed = concepts.T.tocsc()
    found: dict[tuple[int, int], float] = {}
    for start in range(0, len(rows), settings.block):
        product = (concepts[start : start + settings.block] @ transposed).tocoo()
        i = product.row + start
        keep = (product.col > i) & (product.data >= settings.concepts)
        i, j, value = i[keep], product.col[keep], product.data[keep]
        keep = enterprises[i] != enterprises[j]
        i, j, value = i[keep], j[keep], value[keep]
        if not len(i):
            continue
        alike = np.asarray(wording[i].multiply(wording[j]).sum(axis=1)).ravel()
        keep = alike >= settings.wording
        found.update(zip(zip(i[keep].tolist(), j[keep].tolist(), strict=True), value[keep].tolist(), strict=True))
    return found


def _components(edges) -> list[tuple[list[int], list[tuple[int, int]]]]:
    """The connected groups of neighbours, each with its own edges."""
    parent: dict[int, int] = {}

    def root(x):
        parent.setdefault(x, x)
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for i, j in edges:
        parent[root(i)] = root(j)
    groups: dict[int, list[int]] = {}
    for i in list(parent):
        groups.setdefault(root(i), []).append(i)
    inside: dict[int, list[tuple[int, int]]] = {}
    for i, j in edges:
        inside.setdefault(root(i), []).append((i, j))
    return [(sorted(members), inside[key]) for key, members in groups.items() if len(members) > 1]


def _likeness(found, a: int, b: int) -> float:
    return found.get((a, b) if a < b else (b, a), 0.0)


def _cut(members: list[int], edges, found: dict, settings: Settings) -> list[list[int]]:
    """A component cut by average linkage where its average likeness falls
    below `settings.group`."""
    if len(members) == 2:
        return [members]
    import numpy as np
    from scipy.cluster.hierarchy import fcluster, linkage
    from scipy.spatial.distance import squareform

    n = len(members)
    at = {member: k for k, member in enumerate(members)}
    distance = np.ones((n, n))
    np.fill_diagonal(distance, 0.0)
    a = np.array([at[i] for i, _j in edges])
    b = np.array([at[j] for _i, j in edges])
    near = np.clip(1.0 - np.array([found[edge] for edge in edges]), 0.0, 1.0)  # a cosine may round past 1
    distance[a, b] = near
    distance[b, a] = near
    tree = linkage(squareform(distance, checks=False), method="average")
    labels = fcluster(tree, 1.0 - settings.group, "distance")
    out: dict[int, list[int]] = {}
    for member, label in zip(members, labels, strict=True):
        out.setdefault(int(label), []).append(member)
    return [group for group in out.values() if len(group) > 1]


def propose(rows: list[Row], settings: Settings = DEFAULT) -> list[Group]:
    """The groups of `rows` that read as one problem, bucket by bucket: most
    issues first."""
    buckets: dict[int, list[Row]] = {}
    for row in rows:
        buckets.setdefault(row.bucket, []).append(row)
    groups = [group for bucket in buckets.values() for group in _propose(bucket, settings)]
    groups.sort(key=lambda group: (-len(group.ids), -group.likeness, min(group.ids)))
    return groups


def _propose(rows: list[Row], settings: Settings) -> list[Group]:
    found = similarities(rows, settings)
    groups = []
    for component, edges in _components(found):
        for members in _cut(component, edges, found, settings):
            inside = [_likeness(found, a, b) for k, a in enumerate(members) for b in members[k + 1 :]]
            likeness = sum(inside) / len(inside)
            if likeness < settings.group or len({rows[m].enterprise_id for m in members}) < settings.least:
                continue
            # The most typical first: the one most like the rest (its title names the group).
            members.sort(key=lambda m: (-sum(_likeness(found, m, o) for o in members if o != m), m))
            shared = set.intersection(*(set(concept_terms(rows[m])) for m in members)) or set(
                concept_terms(rows[members[0]])
            )
            # Each concept by its first word (电价 for power_price), as a supervisor reads it.
            words = [CONCEPTS[c][0] for c in (sorted(shared - QUALIFIERS) or sorted(shared))]
            groups.append(Group(ids=[rows[m].id for m in members], likeness=round(likeness, 3), words=words))
    return groups


def _pairs(groups) -> set[tuple[int, int]]:
    out = set()
    for ids in groups:
        ordered = sorted(ids)
        out.update((a, b) for k, a in enumerate(ordered) for b in ordered[k + 1 :])
    return out


def pair_scores(groups: list[Group], truth: dict[int, str]) -> tuple[float, float, int, int]:
    """Precision and recall over pairs of issues: a proposed pair is right
    when both are in one labelled group. (precision, recall, pairs proposed,
    pairs labelled)."""
    proposed = _pairs(group.ids for group in groups)
    labelled_groups: dict[str, list[int]] = {}
    for key, label in truth.items():
        if label:
            labelled_groups.setdefault(label, []).append(key)
    labelled = _pairs(labelled_groups.values())
    right = len(proposed & labelled)
    precision = right / len(proposed) if proposed else 1.0
    recall = right / len(labelled) if labelled else 1.0
    return precision, recall, len(proposed), len(labelled)
