"""The meta table, and what a store keeps in memory per catalog generation.

``meta`` holds key/value pairs: ``schema_version`` (schema.py), ``generation`` (bumped by
every write, so that every process sees the catalog changed) and what others note there (the
seed's load date). In memory: the indexed words (``term_index``, for search.py's typo
correction) and the search caches of ranking.py (``_cached``); both are dropped when the
generation changes, which is looked up at most every GENERATION_CHECK_SECONDS.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from typing import Any

from services.catalog.search import TermIndex
from services.catalog.store.dialect import Dialect

# How often a long-running server looks whether another process (an import) changed the data.
GENERATION_CHECK_SECONDS = 2.0
# Field matches (ranking.py, bitmaps over course row ids: 12.5 kB per 100,000 courses) kept
# per catalog generation: at most this many, of at most this many bytes in all.
CANDIDATE_CACHE_SIZE = 2048
CANDIDATE_CACHE_BYTES = 64 * 1024 * 1024


class MetaMixin(Dialect):
    """Meta values, the catalog generation and the caches that depend on it."""

    def __init__(self) -> None:
        self._lock = threading.RLock()
        self._terms: TermIndex | None = None
        self._terms_generation = -1
        self._checked_at = 0.0
        # Search caches (ranking.py), emptied when the catalog generation changes.
        self._cache: OrderedDict[Any, Any] = OrderedDict()
        self._kept: dict[Any, Any] = {}
        self._cache_generation = -1
        self._cache_checked_at = 0.0

    # -- meta --------------------------------------------------------------------------------

    def get_meta(self, key: str) -> str | None:
        with self.transaction() as cur:
            cur.execute(self._sql("SELECT value FROM meta WHERE key = :key"), {"key": key})
            row = cur.fetchone()
            return row[0] if row else None

    def set_meta(self, key: str, value: str) -> None:
        with self.transaction() as cur:
            self._put_meta(cur, key, value)

    def _put_meta(self, cur: Any, key: str, value: str) -> None:
        cur.execute(
            self._sql(
                "INSERT INTO meta (key, value) VALUES (:key, :value) "
                "ON CONFLICT (key) DO UPDATE SET value = excluded.value"
            ),
            {"key": key, "value": value},
        )

    def generation(self) -> int:
        return int(self.get_meta("generation") or 0)

    def _bump_generation(self, cur: Any) -> None:
        """Tell every process (and this one's caches) that the catalog changed."""
        cur.execute(self._sql("SELECT value FROM meta WHERE key = 'generation'"))
        self._put_meta(cur, "generation", str(int(cur.fetchone()[0]) + 1))

    # -- kept per generation ---------------------------------------------------------------

    def term_index(self) -> TermIndex:
        """The indexed words, reloaded when any process has written since the last load."""
        with self._lock:
            now = time.monotonic()
            if self._terms is None or now - self._checked_at > GENERATION_CHECK_SECONDS:
                self._checked_at = now
                generation = self.generation()
                if self._terms is None or generation != self._terms_generation:
                    with self.transaction() as cur:
                        self._terms = TermIndex(self._load_terms(cur))
                    self._terms_generation = generation
            return self._terms

    def _cached(self, cur: Any, key: Any, compute: Any, *, keep: bool = False) -> Any:
        """A value kept until any process changes the catalog (checked every few seconds);
        ``keep``: not subject to the LRU limit (small values that are costly to compute)."""
        with self._lock:
            now = time.monotonic()
            if (
                self._cache_generation < 0
                or now - self._cache_checked_at > GENERATION_CHECK_SECONDS
            ):
                self._cache_checked_at = now
                cur.execute(self._sql("SELECT value FROM meta WHERE key = 'generation'"))
                row = cur.fetchone()
                generation = int(row[0]) if row else 0
                if generation != self._cache_generation:
                    self._cache.clear()
                    self._kept.clear()
                    self._cache_generation = generation
            if key in self._kept:
                return self._kept[key]
            if key in self._cache:
                self._cache.move_to_end(key)
                return self._cache[key]
        value = compute()
        with self._lock:
            if keep:
                self._kept[key] = value
                return value
            self._cache[key] = value
            while len(self._cache) > 1 and (
                len(self._cache) > CANDIDATE_CACHE_SIZE
                or sum(_cache_size(v) for v in self._cache.values()) > CANDIDATE_CACHE_BYTES
            ):
                self._cache.popitem(last=False)
        return value

    def _forget_caches(self) -> None:
        """Drop what this process kept of the catalog (after it wrote)."""
        with self._lock:
            self._terms = None
            self._cache.clear()
            self._kept.clear()
            self._cache_generation = -1


def _cache_size(value: Any) -> int:
    return (value.bit_length() + 7) // 8 if isinstance(value, int) else 64
