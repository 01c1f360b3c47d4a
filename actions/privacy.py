"""What happens with the citizen's data, and forgetting it ("wis mijn gegevens")."""

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
    """Confirms; the tracker store deletes everything linked to the person when it sees this
    action run: the conversation, its call-back requests and the WhatsApp channel's row.

    The deletion happens in bot/tracker_store.py (`forget_linked_records`) because the Rasa
    server, not the action server, writes the conversation: deleting it here would be undone
    by the next save. What the citizen reads is the `forgotten` response only.
    """

    def name(self) -> str:
        return "action_forget_me"

    def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        dispatcher.utter_message(response="forgotten")
        return [ActiveLoop(None), AllSlotsReset()]
