"""Costs Rasa 3.6 pays on every turn, and one it pays at start, that the assistant does not
need; bot/rasa_cli.py installs these fixes in every Rasa process it starts
(docs/performance.md, "Lean and quick").

A py-spy profile of the Rasa server at one conversation (docs/performance.md) showed:

- **The domain in every action call.** Rasa sends the whole domain with each call to the action
  server, 145 kB of JSON of which 139 kB are the responses in six languages, two or three times
  per turn: encoding it was 8 % of the Rasa server's CPU, decoding it a quarter of the action
  server's. Only `action_simplify` reads responses, and the domain says so (`send_domain: true`,
  domain/core.yml). Every other action now gets the domain without its responses: the slots and
  forms that rasa_sdk's form validation reads are still there. The dictionaries are made once
  per loaded domain instead of on every call.
- **Joining sparse features.** Rasa joins the sparse features of the featurizers pairwise with
  `scipy.sparse.hstack`, whose general block code converts both parts again and checks them
  (about a tenth of the Rasa server's CPU at 20 conversations, for DIET and the intent
  ensemble). Two COO matrices are joined here directly: the same rows, columns, values, order
  and types as scipy's result (tests/bot/test_rasa_speedups.py); anything else goes to scipy.
- **The spaCy pipeline, twice.** The model's graph has two SpacyNLP nodes (one provides the
  pipeline, one runs it on each message), and each loads models/spacy-nl: 1.3 s and about
  85 MB each, mostly the Dutch lemmatizer's tables. It is loaded once per process and shared;
  it is only read.
- **A new connection per action call.** `EndpointConfig.request` opens an aiohttp session
  (and a TCP connection) for each call and closes it after. Here each endpoint keeps one
  session per event loop, so calls reuse open connections (HTTP keep-alive), with the same
  headers, auth and time-out and no cap on connections. Idle connections are dropped after
  2 s, well before the action server closes them.
- **Is the domain empty?** Rasa asks this for every message (`_check_for_unseen_features`)
  by building an empty Domain and comparing both as dictionaries (about 1 % of the Rasa
  server's CPU at 100 conversations). A loaded model's domain does not change: the answer is
  kept with it.
- **Finding an event's class.** `Event.resolve_by_type` walks all subclasses of Event for every
  event read from the tracker store: a third of the time to load a conversation. The classes are
  looked up in a table, made again when a new event class appears.
"""

from __future__ import annotations

import asyncio
import atexit
import weakref
from typing import Any

_DOMAIN_DICTS = "_leerwijzer_action_domains"
# Seconds an idle connection is kept: the calls of one turn, and of turns that follow each
# other closely, share it; well below what any Sanic action server keeps it (5 s by default,
# 75 s under the launcher), so a connection the server has just closed is never reused.
KEEP_ALIVE_SECONDS = 2.0
_KEPT_SESSIONS: weakref.WeakSet = weakref.WeakSet()


def install_slim_action_domain() -> None:
    """Action calls carry the domain without its responses, unless the action asks for them."""
    from rasa.core.actions.action import RemoteAction

    if getattr(RemoteAction._action_call_format, "leerwijzer_slim", False):
        return
    rasa_format = RemoteAction._action_call_format

    def _action_call_format(self: RemoteAction, tracker: Any, domain: Any) -> dict[str, Any]:
        if self._is_selective_domain_enabled():
            return rasa_format(self, tracker, domain)  # Rasa's own choice: left as it is
        import rasa
        from rasa.shared.core.trackers import EventVerbosity

        return {
            "next_action": self._name,
            "sender_id": tracker.sender_id,
            "tracker": tracker.current_state(EventVerbosity.ALL),
            "version": rasa.__version__,
            "domain": action_domain(domain, self.name()),
        }

    _action_call_format.leerwijzer_slim = True  # type: ignore[attr-defined]
    RemoteAction._action_call_format = _action_call_format


def action_domain(domain: Any, action_name: str) -> dict[str, Any]:
    """The domain as an action gets it: whole for an action marked `send_domain: true` in the
    domain's `actions`, else without the responses. Rasa's own selective domain would also send
    the whole domain to every `validate_*` form action, which read only slots and forms. Made
    once per domain object (a loaded model's domain never changes)."""
    dicts = domain.__dict__.get(_DOMAIN_DICTS)
    if dicts is None:
        whole = domain.as_dict()
        slim = {key: value for key, value in whole.items() if key != "responses"}
        marked = {
            name
            for entry in whole.get("actions", [])
            if isinstance(entry, dict)
            for name, config in entry.items()
            if (config or {}).get("send_domain")
        }
        dicts = domain.__dict__[_DOMAIN_DICTS] = {"whole": whole, "slim": slim, "marked": marked}
    return dicts["whole" if action_name in dicts["marked"] else "slim"]


class _KeptSession:
    """`async with` on a shared session: entering gives the session, leaving keeps it open."""

    def __init__(self, session: Any) -> None:
        self.session = session

    async def __aenter__(self) -> Any:
        return self.session

    async def __aexit__(self, *exc: object) -> None:
        return None


def install_keep_alive() -> None:
    """Each EndpointConfig reuses one aiohttp session (and its open connections) per loop."""
    import aiohttp
    from rasa.utils.endpoints import EndpointConfig

    if getattr(EndpointConfig.session, "leerwijzer_kept", False):
        return
    rasa_session = EndpointConfig.session

    def session(self: EndpointConfig) -> Any:
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return rasa_session(self)  # outside a loop: Rasa's own, closed after use
        kept = self.__dict__.get("_leerwijzer_session")
        if kept is None or kept.closed or kept._loop is not loop:
            auth = None
            if self.basic_auth:
                auth = aiohttp.BasicAuth(self.basic_auth["username"], self.basic_auth["password"])
            kept = aiohttp.ClientSession(
                headers=self.headers,
                auth=auth,
                timeout=_timeout(),
                # No cap on connections (limit=0), as with a session per call before.
                connector=aiohttp.TCPConnector(limit=0, keepalive_timeout=KEEP_ALIVE_SECONDS),
            )
            self.__dict__["_leerwijzer_session"] = kept
            _KEPT_SESSIONS.add(kept)
        return _KeptSession(kept)

    session.leerwijzer_kept = True  # type: ignore[attr-defined]
    EndpointConfig.session = session


@atexit.register
def _close_kept_sessions() -> None:
    """At exit the loop is gone: close the connections directly, so that aiohttp does not log
    an "Unclosed client session" error for each kept session."""
    for kept in list(_KEPT_SESSIONS):
        if not kept.closed and kept.connector is not None:
            kept.connector.close()


def _timeout() -> Any:
    import aiohttp
    from rasa.utils.endpoints import DEFAULT_REQUEST_TIMEOUT

    return aiohttp.ClientTimeout(total=DEFAULT_REQUEST_TIMEOUT)


def install_event_class_table() -> None:
    """Event.resolve_by_type through a table of type names instead of a walk of the classes."""
    import rasa.shared.utils.common
    from rasa.shared.core.events import Event

    if getattr(Event.resolve_by_type, "leerwijzer_table", False):
        return
    rasa_resolve = Event.resolve_by_type
    table: dict[str, type] = {}

    def resolve_by_type(type_name: str, default: type | None = None) -> type | None:
        found = table.get(type_name)
        if found is None:
            table.clear()
            for cls in rasa.shared.utils.common.all_subclasses(Event):
                table.setdefault(cls.type_name, cls)  # the first match, as Rasa's walk finds
            found = table.get(type_name)
        if found is not None:
            return found
        return rasa_resolve(type_name, default)  # unknown names: Rasa's own answer or error

    resolve_by_type.leerwijzer_table = True  # type: ignore[attr-defined]
    Event.resolve_by_type = staticmethod(resolve_by_type)


def join_coo(left: Any, right: Any) -> Any:
    """`scipy.sparse.hstack([left, right])` for two COO matrices with the same number of rows:
    the result scipy's `bmat` builds (COO; data, rows and columns in the same order and
    types), without converting and checking both parts again."""
    import numpy as np
    from scipy.sparse import coo_matrix
    from scipy.sparse._sputils import get_index_dtype, upcast

    shape = (left.shape[0], left.shape[1] + right.shape[1])
    index_dtype = get_index_dtype(maxval=max(shape))
    data = np.concatenate([left.data, right.data]).astype(
        upcast(left.dtype, right.dtype), copy=False
    )
    rows = np.concatenate([left.row, right.row]).astype(index_dtype, copy=False)
    columns = np.concatenate(
        [left.col.astype(index_dtype), right.col.astype(index_dtype) + left.shape[1]]
    )
    return coo_matrix((data, (rows, columns)), shape=shape)


def install_sparse_feature_join() -> None:
    """Features._combine_sparse_features through join_coo when both parts are COO."""
    from rasa.shared.nlu.training_data.features import Features
    from scipy.sparse import coo_matrix

    if getattr(Features._combine_sparse_features, "leerwijzer_join", False):
        return
    rasa_combine = Features._combine_sparse_features

    def _combine_sparse_features(self: Features, additional_features: Features) -> None:
        left, right = self.features, additional_features.features
        if (
            type(left) is coo_matrix
            and type(right) is coo_matrix
            and left.shape[0] == right.shape[0]
            and left.shape[0] > 0
        ):
            self.features = join_coo(left, right)
            self._cached_fingerprint = None
            return
        rasa_combine(self, additional_features)  # other formats, and Rasa's errors

    _combine_sparse_features.leerwijzer_join = True  # type: ignore[attr-defined]
    Features._combine_sparse_features = _combine_sparse_features


def install_shared_spacy_model() -> None:
    """SpacyNLP.load_model loads each spaCy pipeline once per process."""
    from rasa.nlu.utils.spacy_utils import SpacyNLP

    if getattr(SpacyNLP.load_model, "leerwijzer_shared", False):
        return
    rasa_load = SpacyNLP.load_model
    loaded: dict[str, Any] = {}

    def load_model(spacy_model_name: str) -> Any:
        if spacy_model_name not in loaded:
            loaded[spacy_model_name] = rasa_load(spacy_model_name)
        return loaded[spacy_model_name]

    load_model.leerwijzer_shared = True  # type: ignore[attr-defined]
    SpacyNLP.load_model = staticmethod(load_model)


def install_domain_emptiness_once() -> None:
    """Domain.is_empty is answered once per domain object."""
    from rasa.shared.core.domain import Domain

    if getattr(Domain.is_empty, "leerwijzer_once", False):
        return
    rasa_is_empty = Domain.is_empty

    def is_empty(self: Domain) -> bool:
        answer = self.__dict__.get("_leerwijzer_is_empty")
        if answer is None:
            answer = self.__dict__["_leerwijzer_is_empty"] = rasa_is_empty(self)
        return answer

    is_empty.leerwijzer_once = True  # type: ignore[attr-defined]
    Domain.is_empty = is_empty


def install() -> None:
    install_slim_action_domain()
    install_domain_emptiness_once()
    install_shared_spacy_model()
    install_keep_alive()
    install_event_class_table()
    install_sparse_feature_join()
