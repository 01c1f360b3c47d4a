"""The assistant's side of the live hand-over (docs/desk.md): pause, relay, deliver.

- When a citizen joins a desk's queue, action_start_live_chat pauses the Rasa conversation
  (Rasa's own ConversationPaused event, stored in the shared tracker store).
- A message in a paused conversation goes to the desk instead of the dialogue
  (`install_paused_relay` wraps Rasa's prediction loop): while waiting, the citizen is told
  their place in the queue; while an advisor has it, the assistant stays silent. "stop" leaves
  the queue and the assistant answers again.
- The desk's messages come back through bot/channels/desk.py, which hands them to the
  channel the conversation is on: each channel registers a `Deliverer` here when Rasa builds
  its blueprint (Socket.IO for the widget and kiosk, WhatsApp).
"""

from __future__ import annotations

import asyncio
import contextvars
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from rasa.shared.core.constants import ACTION_LISTEN_NAME
from rasa.shared.core.events import ActionExecuted, ConversationResumed

from actions.clients.desk import DeskClient
from actions.clients.errors import ServiceUnavailable
from actions.dutch import format_wait
from actions.i18n import DEFAULT_LANGUAGE, LANGUAGES, say
from bot.privacy import mask_personal_numbers

logger = logging.getLogger(__name__)

# channel name -> coroutine(sender_id, message) that sends a Rasa-style message
# ({"text", "buttons"?, "person"?}) to that conversation; False when it could not.
Deliverer = Callable[[str, dict[str, Any]], Awaitable[bool]]
_deliverers: dict[str, Deliverer] = {}
# channel name -> coroutine(sender_id) that forgets what delivering needed (WhatsApp: the
# citizen's WhatsApp id), called when the hand-over ends.
Releaser = Callable[[str], Awaitable[None]]
_releasers: dict[str, Releaser] = {}
LEAVE_INTENTS = ("stop", "restart", "forget_me")


def register(channel: str, deliver: Deliverer, release: Releaser | None = None) -> None:
    _deliverers[channel] = deliver
    if release is not None:
        _releasers[channel] = release


async def release(channel: str, sender_id: str) -> None:
    """The hand-over ended: the channel forgets what it kept to deliver the desk's messages."""
    releaser = _releasers.get(channel)
    if releaser is not None:
        await releaser(sender_id)


def deliverer(channel: str) -> Deliverer | None:
    return _deliverers.get(channel)


@dataclass
class Turn:
    """What the channel's fail-safe needs to know of a turn: it was relayed to the desk, so
    silence is right (bot/channels/failsafe.py)."""

    relayed: bool = False
    paused: bool = False  # the conversation is handed over (waiting or with an advisor)


_turn: contextvars.ContextVar[Turn | None] = contextvars.ContextVar("desk_turn", default=None)


def begin_turn() -> Turn:
    turn = Turn()
    _turn.set(turn)
    return turn


def current_turn() -> Turn | None:
    """The turn begun by the channel's fail-safe (after it returns: the turn just handled)."""
    return _turn.get()


def _mark_relayed() -> None:
    turn = _turn.get()
    if turn is not None:
        turn.relayed = turn.paused = True


def language_of_tracker(tracker: Any) -> str:
    value = tracker.get_slot("language")
    return value if value in LANGUAGES else DEFAULT_LANGUAGE


def listen(tracker: Any) -> None:
    """End the turn as if the assistant listened. Rasa stops a paused conversation's turn
    without its `action_listen`; without one, the next message after the hand-over would be
    read as the answer to the action that paused it (the policies then repeat that action)."""
    if tracker.latest_action_name != ACTION_LISTEN_NAME:
        tracker.update(ActionExecuted(ACTION_LISTEN_NAME))


def desk_client() -> DeskClient:
    return DeskClient.from_settings()


async def relay_paused_turn(tracker: Any, output_channel: Any) -> bool:
    """A message in a paused conversation: to the desk. False when the conversation must go
    on with the assistant (the citizen left the queue, or the desk knows no open hand-over)."""
    latest = tracker.latest_message
    intent = (latest.intent or {}).get("name") if latest else None
    text = mask_personal_numbers(latest.text or "") if latest else ""
    client = desk_client()
    if intent in LEAVE_INTENTS:
        try:
            await asyncio.to_thread(client.leave, tracker.sender_id)
        except ServiceUnavailable as exc:
            logger.warning("Telling the desk that a citizen left failed: %s", exc.reason)
        tracker.update(ConversationResumed())
        return False
    try:
        status = await asyncio.to_thread(client.citizen_message, tracker.sender_id, text)
    except ServiceUnavailable as exc:
        logger.error("Relaying a message to the desk failed: %s", exc.reason)
        status = {"status": "unreachable"}
    if status is None:  # the desk has no open hand-over: the assistant answers again
        tracker.update(ConversationResumed())
        return False
    tracker.update(ActionExecuted(ACTION_LISTEN_NAME))  # the message is answered by a person
    language = language_of_tracker(tracker)
    _mark_relayed()
    if status["status"] == "waiting":
        await output_channel.send_response(
            tracker.sender_id,
            {
                "text": say(
                    language,
                    "desk.still_waiting",
                    position=status["position"],
                    wait=format_wait(status["expected_wait_minutes"], language),
                )
            },  # fmt: skip
        )
    elif status["status"] == "unreachable":
        await output_channel.send_response(
            tracker.sender_id, {"text": say(language, "desk.not_relayed")}
        )
    return True


def install_paused_relay() -> None:
    """Wrap Rasa 3.6's MessageProcessor._run_prediction_loop: a paused conversation's message
    goes to the desk. The tracker is saved by Rasa after the loop, resumed or not."""
    from rasa.core.processor import MessageProcessor

    original = MessageProcessor._run_prediction_loop
    if getattr(original, "_desk_relay", False):
        return

    async def _run_prediction_loop(self: Any, output_channel: Any, tracker: Any) -> None:
        if tracker.is_paused() and await relay_paused_turn(tracker, output_channel):
            return None
        result = await original(self, output_channel, tracker)
        if tracker.is_paused():  # action_start_live_chat paused it
            listen(tracker)
            turn = _turn.get()
            if turn is not None:
                turn.paused = True
        return result

    _run_prediction_loop._desk_relay = True  # type: ignore[attr-defined]
    MessageProcessor._run_prediction_loop = _run_prediction_loop  # type: ignore[method-assign]
