"""What happens with the citizen's data, and forgetting a conversation."""

from __future__ import annotations

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ActiveLoop, AllSlotsReset, EventType
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.contacts import message_placeholders


class ActionPrivacy(Action):
    def name(self) -> str:
        return "action_privacy"

    def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        dispatcher.utter_message(response="privacy_info", **message_placeholders())
        return []


class ActionForgetMe(Action):
    """Confirms; the tracker store deletes the conversation when it sees this action run.

    The deletion happens in bot/tracker_store.py because the Rasa server, not the action
    server, writes the conversation: deleting it here would be undone by the next save.
    """

    def name(self) -> str:
        return "action_forget_me"

    def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        dispatcher.utter_message(response="forgotten")
        return [ActiveLoop(None), AllSlotsReset()]
