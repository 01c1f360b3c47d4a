"""Course search in relevance order that reads only what the first pages need.

The exact path (course_search.py, one SQL statement) ranks *every* candidate course by its best
offering and counts them all; with a common word or topic that is tens of thousands of courses
per search. This module produces the same order while stopping as soon as the asked page and
one more course are found:

* The candidates (full-text scores and facet tags) are computed once per question and
  catalog generation and kept in a small cache, as ``rid -> score``.
* Score tiers are ranked from the highest down. Within a tier the order is the exact path's:
  when offerings must match (a place, a price, ...) by the best offering's squared distance,
  then its start date, then the course's row id; otherwise by the next upcoming start date
  (none last), then the row id.
* A small tier is ranked directly: its courses' offerings are read by course and the best one
  picked in Python. A large tier is *walked*: matching offerings are read in distance rings,
  nearest ring first, each place in (start_day, course_rid, rid) order through an index, and
  the first offering seen of a tier course is its best one (rings come in distance order, and
  the streams of one ring are merged in that same key order). The walk stops once enough
  courses are found.

Distances are those of the exact path: squared equirectangular km between municipality points
(offerings.lat/lon), the same float expression in the same order, so a ring holds exactly the
places the SQL would give the same distance and the radius check agrees. Online offerings come
after the in-person ones within the radius (the SQL gives them course_search.ONLINE_D2, beyond
any radius; here they are the last ring).

``total`` is exact when it is known without extra work: always when offerings need not match
(every candidate is listed), and otherwise when every tier was ranked to its end. Else it is
None: the API then leaves out ``totalPages`` (optional in OOAPI v5) and ``hasNextPage`` comes
from the extra course looked for.

Searches this path does not cover (``applies`` is false) take the exact path: other sort
orders, searches without words or facets, course-level filters (organization, primaryCode,
teachingLanguage, level; their tie-breaks differ) and pages deeper than EARLY_LIMIT.

This module does not know the store: the store (course_search.py) passes in the candidates,
the rings, the number of courses and a ``Reader`` (run a SELECT in its transaction, and the
dialect's SQL fragments).
"""

from __future__ import annotations

import heapq
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from services import geo
from services.catalog.search import FIELD_WEIGHTS, SearchGroup
from services.catalog.store.conditions import offering_conditions
from services.catalog.store.queries import CourseQuery

# Deepest position (offset + page size + 1) ranked by this path; deeper pages are exact.
EARLY_LIMIT = 1000
# A tier is ranked directly when reading its offerings is cheaper than the expected walk:
# size² <= want × courses × DIRECT_FACTOR (a walk reads about courses / size offerings per
# course found, reading the tier directly about 3 × size). A search whose tiers are all ranked
# directly gets the exact total, as from the exact path.
DIRECT_FACTOR = 1.0
# Searches with at most this many candidates rank every tier directly (exact totals).
SMALL_SEARCH = 1000
_FIRST_CHUNK = 32
_MAX_CHUNK = 4096
# The online "place": with a place asked, online offerings come after every in-person
# offering within the radius (its ring is the last one), see course_search.ONLINE_D2.
ONLINE = ("online",)


@dataclass(frozen=True)
class Reader:
    """What ranking reads through: the store's transaction and its dialect's SQL fragments.

    ``rows(sql, params)`` runs one SELECT written with ``:name`` parameters and returns its
    rows. The others are dialect.Dialect's: ``rid_list`` (SQL for ``IN (...)`` over row ids),
    ``walk_source`` (offerings in walk order through an index), ``point_columns`` (an
    offering's lat, lon) and ``place_condition`` (an offering at :place_lat/:place_lon).
    """

    rows: Callable[[str, dict[str, Any]], list[tuple]]
    rid_list: Callable[[str, dict[str, Any], Sequence[int]], str]
    walk_source: Callable[[str], str]
    point_columns: str
    place_condition: str


@dataclass(frozen=True)
class Row:
    course_rid: int
    score: int
    offering_rid: int | None


class Tier:
    """The courses of one score tier: a bitmap over course row ids (cheap to test and keep)."""

    def __init__(self, score: int, mask: int) -> None:
        self.score = score
        self.count = mask.bit_count()
        self._bits = mask.to_bytes((mask.bit_length() + 7) // 8, "little")

    def __contains__(self, rid: int) -> bool:
        byte = rid >> 3
        return byte < len(self._bits) and bool(self._bits[byte] >> (rid & 7) & 1)

    def __len__(self) -> int:
        return self.count

    def rids(self) -> list[int]:
        found = []
        for byte, value in enumerate(self._bits):
            if value:
                found += [byte * 8 + bit for bit in range(8) if value >> bit & 1]
        return found


@dataclass(frozen=True)
class Candidates:
    """The courses a question can list, as score tiers (highest first)."""

    count: int
    tiers: tuple[Tier, ...]


def mask_of(rids: Iterable[int]) -> int:
    """A bitmap (as an int) with the bit of each row id set."""
    bits = bytearray()
    for rid in rids:
        byte = rid >> 3
        if byte >= len(bits):
            bits.extend(bytes(byte + 1 - len(bits) + 1024))
        bits[byte] |= 1 << (rid & 7)
    return int.from_bytes(bits, "little")


def candidates(
    groups: tuple[SearchGroup, ...],
    facets: tuple[tuple[str, ...], ...],
    atom: Callable[[str, tuple[str, ...]], int],
) -> Candidates:
    """Score tiers as the exact path scores: per group the weight of the best field that
    matches (search.FIELD_WEIGHTS), summed over the groups; only courses scoring at least 1
    (or, without groups, every course with the facets); all must have the facets.

    ``atom(field, words)`` is the bitmap of the courses whose ``field`` matches one of the
    words (prefixes for name and body, whole tokens for tags).
    """
    filter_mask = -1  # every bit
    for alternatives in facets:
        filter_mask &= atom("tags", tuple(alternatives))
    if not groups:
        mask = filter_mask if facets else 0
        tier = Tier(0, mask)
        return Candidates(tier.count, (tier,) if tier.count else ())
    by_weight = sorted(FIELD_WEIGHTS.items(), key=lambda item: -item[1])
    exact: list[dict[int, int]] = []  # per group: weight -> courses getting exactly that
    union = 0
    for group in groups:
        words = {"name": group.terms, "body": group.terms, "tags": group.tags}
        taken = 0
        weights: dict[int, int] = {}
        for field, weight in by_weight:
            if words[field]:
                got = atom(field, tuple(words[field])) & ~taken
                weights[weight] = weights.get(weight, 0) | got
                taken |= got
        exact.append(weights)
        union |= taken
    if facets:
        union &= filter_mask
    sums: dict[int, int] = {0: union}
    for weights in exact:
        nxt: dict[int, int] = {}
        rest = union
        for got in weights.values():
            rest &= ~got
        for total, mask in sums.items():
            nxt[total] = nxt.get(total, 0) | (mask & rest)
            for weight, got in weights.items():
                part = mask & got
                if part:
                    nxt[total + weight] = nxt.get(total + weight, 0) | part
        sums = nxt
    tiers = tuple(Tier(score, sums[score]) for score in sorted(sums, reverse=True) if score > 0)
    tiers = tuple(tier for tier in tiers if tier.count)
    return Candidates(sum(t.count for t in tiers), tiers)


@dataclass(frozen=True)
class Found:
    rows: list[Row]
    total: int | None
    more: bool


def applies(query: CourseQuery) -> bool:
    """Whether this path ranks the query (else the exact SQL path does)."""
    sort = query.sort or ("relevance",)
    return (
        sort[0] == "relevance"
        and bool(query.groups or query.tags)
        and query.organization_id is None
        and query.primary_code is None
        and query.teaching_language is None
        and query.level is None
        and query.page.offset + query.page.size + 1 <= EARLY_LIMIT
    )


def search(
    query: CourseQuery,
    reader: Reader,
    *,
    candidates: Candidates,
    rings: dict[tuple, int] | None,
    courses: int,
) -> Found:
    """The asked page of a query that ``applies``, in the exact path's order.

    ``candidates``: the query's score tiers (``candidates()``); ``rings``: ``make_rings`` of
    the known places around the asked one (None without a place); ``courses``: how many
    courses the catalog holds (at least 1).
    """
    offering_driven = query.require_offering or query.offerings.narrows
    context = _Search(reader, query, rings, offering_driven, courses)
    need = query.page.offset + query.page.size + 1
    rows: list[Row] = []
    known: int | None = 0  # listed courses in the tiers ranked to their end
    for position, members in enumerate(candidates.tiers):
        want = need - len(rows)
        if (
            candidates.count <= SMALL_SEARCH
            or len(members) ** 2 <= want * context.courses * DIRECT_FACTOR
        ):
            tier_rows = _direct(context, members)
            complete = True
        else:
            tier_rows, complete = _walk(context, members, want)
        if known is not None:
            known = known + len(tier_rows) if complete else None
        rows += tier_rows[:want]
        if len(rows) >= need:
            if position < len(candidates.tiers) - 1:
                known = None  # the lower tiers were not looked at
            break
    total = known if offering_driven else candidates.count
    page = rows[query.page.offset : query.page.offset + query.page.size]
    return Found(page, total, len(rows) > query.page.offset + query.page.size)


def ring_key(rings: dict[tuple, int] | None, online: Any, lat: Any, lon: Any) -> int | None:
    """The ring (0 = nearest) of an offering, or None when it lies outside the radius."""
    if rings is None:
        return 0
    if int(online) == 1:
        return rings[ONLINE]
    if lat is None or lon is None:
        return None
    return rings.get((float(lat), float(lon)))


def make_rings(
    places: list[tuple[float, float]], origin: tuple[float, float] | None, radius_km: float
) -> dict[tuple, int] | None:
    """place (lat, lon) or ONLINE -> ring index; places at the same distance share a ring,
    online is the last ring (after every in-person place within the radius).

    The squared distance is geo.squared_km, which the exact path's SQL computes too
    (course_search._distance_sql), so the ring order and the radius check are the exact path's.
    """
    if origin is None:
        return None
    scales = geo.squared_km_scales(origin[0])
    r2 = radius_km**2
    by_distance: dict[float, list[tuple]] = {}
    for lat, lon in places:
        d2 = geo.squared_km(origin, (lat, lon), scales)
        if d2 <= r2:
            by_distance.setdefault(d2, []).append((lat, lon))
    rings: dict[tuple, int] = {}
    ordered = sorted(by_distance)
    for index, d2 in enumerate(ordered):
        for place in by_distance[d2]:
            rings[place] = index
    rings[ONLINE] = len(ordered)  # after every place in the radius
    return rings


@dataclass(frozen=True)
class _Search:
    """What ranking one question's tiers needs."""

    reader: Reader
    query: CourseQuery
    rings: dict[tuple, int] | None
    # Only courses with a matching offering are listed (else: upcoming ones, or none).
    offering_driven: bool
    courses: int

    def conditions(self, params: dict[str, Any]) -> list[str]:
        """Conditions on the offering ``o`` (its place is handled by the rings)."""
        if self.offering_driven:
            return offering_conditions(self.query.offerings, params)
        params["since"] = _since(self.query)
        return ["o.start_day >= :since"]


def _direct(search: _Search, members: Tier) -> list[Row]:
    """Every course of a small tier in order (its offerings read course by course)."""
    reader, rings, offering_driven = search.reader, search.rings, search.offering_driven
    params: dict[str, Any] = {}
    where = search.conditions(params)
    score = members.score
    sql = (
        f"SELECT o.course_rid, o.rid, o.start_day, o.online, {reader.point_columns} "  # noqa: S608 - fixed SQL fragments, values are parameters
        "FROM offerings o "
        f"WHERE o.course_rid IN ({reader.rid_list('members', params, members.rids())}) "
        f"AND {' AND '.join(where)}"
    )
    best: dict[int, tuple[int, int, int]] = {}
    for course, rid, start_day, online, lat, lon in reader.rows(sql, params):
        ring = ring_key(rings, online, lat, lon) if offering_driven else 0
        if ring is None:
            continue
        key = (ring, int(start_day), int(rid))
        course = int(course)
        if course not in best or key < best[course]:
            best[course] = key
    ranked = sorted(best.items(), key=lambda item: (item[1][0], item[1][1], item[0]))
    rows = [Row(course, score, key[2]) for course, key in ranked]
    if not offering_driven:
        rows += [Row(course, score, None) for course in members.rids() if course not in best]
    return rows


def _walk(search: _Search, members: Tier, want: int) -> tuple[list[Row], bool]:
    """Up to ``want`` courses of a large tier in order; whether the tier was read to its end."""
    reader, rings = search.reader, search.rings
    params: dict[str, Any] = {}
    where = search.conditions(params)
    score = members.score
    if rings is None:
        groups: list[list[tuple | None]] = [[None]]
    else:
        by_ring: dict[int, list[tuple | None]] = {}
        for place, index in rings.items():
            by_ring.setdefault(index, []).append(place)
        groups = [by_ring[index] for index in sorted(by_ring)]
    found: list[Row] = []
    seen: set[int] = set()
    # About one offering in (courses / tier size) belongs to the tier: fetch enough for the
    # wanted courses at once, with some room.
    first = min(_MAX_CHUNK, _FIRST_CHUNK + int(1.5 * want * search.courses / max(1, len(members))))
    for places in groups:
        streams = [_stream(reader, place, where, params, first) for place in places]
        for _day, course, offering in heapq.merge(*streams):
            if course in seen or course not in members:
                continue
            seen.add(course)
            found.append(Row(course, score, offering))
            if len(found) >= want:
                return found, False
    if not search.offering_driven:
        found += [Row(course, score, None) for course in members.rids() if course not in seen]
    return found, True


def _stream(
    reader: Reader,
    place: tuple | None,
    where: list[str],
    base: dict[str, Any],
    first: int,
) -> Iterator[tuple[int, int, int]]:
    """Offerings at one place (None: anywhere) passing ``where``, in (start_day, course_rid,
    rid) order, fetched in growing chunks after the last key seen."""
    params = dict(base)
    conditions = list(where)
    if place is None:
        index = "day"
    elif place == ONLINE:
        index = "online"
        conditions.append("o.online = 1")
    else:
        index = "place"
        conditions += ["o.online = 0", reader.place_condition]
        params.update(place_lat=place[0], place_lon=place[1])
    chunk = first
    after: tuple[int, int, int] | None = None
    while True:
        keyset = ""
        if after is not None:
            keyset = " AND (o.start_day, o.course_rid, o.rid) > (:a_day, :a_course, :a_rid)"
            params.update(a_day=after[0], a_course=after[1], a_rid=after[2])
        params["chunk"] = chunk
        sql = (
            f"SELECT o.start_day, o.course_rid, o.rid FROM {reader.walk_source(index)} "  # noqa: S608 - fixed SQL fragments, values are parameters
            f"WHERE {' AND '.join(conditions)}{keyset} "
            "ORDER BY o.start_day, o.course_rid, o.rid LIMIT :chunk"
        )
        # (start_day, course_rid, rid): integers from both drivers
        fetched = reader.rows(sql, params)
        yield from fetched
        if len(fetched) < chunk:
            return
        after = fetched[-1]
        chunk = min(chunk * 4, _MAX_CHUNK)


def _since(query: CourseQuery) -> int:
    since = query.offerings.since
    return since.toordinal() if since is not None else 1
