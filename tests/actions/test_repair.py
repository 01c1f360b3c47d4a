from rasa_sdk.executor import CollectingDispatcher

from actions.privacy import ActionForgetMe
from actions.repair import ActionFallback, ActionRepeat, ActionSimplify, ActionStopForm
from actions.router import ActionRoute
from actions.welcome import ActionOutOfScope
from tests.actions.conftest import make_tracker

DOMAIN = {
    "responses": {
        "greeting": [
            {"condition": [{"type": "slot", "name": "plain_language", "value": True}],
             "text": "Hallo. Ik ben een computer.",
             "buttons": [{"title": "Cursus", "payload": "/x"}]},
            {"text": "Hallo! Ik ben Leerwijzer, een computerprogramma."},
        ],
        "utter_ask_age": [
            {"condition": [{"type": "slot", "name": "plain_language", "value": True}],
             "text": "Hoe oud bent u?"},
            {"text": "Hoe oud bent u? Sommige regelingen hebben een leeftijdsgrens."},
        ],
    }
}  # fmt: skip


def user(text, intent="inform"):
    return {"event": "user", "text": text, "parse_data": {"intent": {"name": intent}}}


def bot(text, response, buttons=None):
    return {
        "event": "bot",
        "text": text,
        "data": {"buttons": buttons},
        "metadata": {"utter_action": response},
    }


def run(action, events, active_loop=None):
    dispatcher = CollectingDispatcher()
    result = action.run(dispatcher, make_tracker(events=events, active_loop=active_loop), DOMAIN)
    return dispatcher.messages, result


def test_repeat_sends_the_previous_turn_again():
    events = [
        user("hallo", "greet"),
        bot("Hallo! Ik ben Leerwijzer.", "greeting", [{"title": "Cursus", "payload": "/x"}]),
        user("wat zei u", "repeat"),
    ]
    messages, _ = run(ActionRepeat(), events)
    assert [(m["text"], m["buttons"]) for m in messages] == [
        ("Hallo! Ik ben Leerwijzer.", [{"title": "Cursus", "payload": "/x"}])
    ]


def test_repeat_in_a_form_leaves_the_question_to_the_form():
    events = [
        user("wie betaalt", "ask_budget"),
        bot("Ik stel u een paar vragen.", "budget_intro"),
        bot("Hoe oud bent u?", "utter_ask_age"),
        user("wat", "repeat"),
    ]
    messages, _ = run(ActionRepeat(), events, active_loop="budget_form")
    assert [m["text"] for m in messages] == ["Ik stel u een paar vragen."]


def test_simplify_sends_the_plain_variation_and_stays_plain():
    events = [user("hallo", "greet"), bot("Hallo! Ik ben...", "greeting"), user("snap ik niet")]
    messages, result = run(ActionSimplify(), events)
    assert messages[0]["text"] == "Hallo. Ik ben een computer."
    assert messages[0]["buttons"] == [{"title": "Cursus", "payload": "/x"}]
    assert result == [{"event": "slot", "timestamp": None, "name": "plain_language", "value": True}]


def test_simplify_in_a_form_lets_the_form_ask_again_simply():
    events = [user("geld", "ask_budget"), bot("Hoe oud...", "utter_ask_age"), user("huh")]
    messages, result = run(ActionSimplify(), events, active_loop="budget_form")
    assert messages == []
    assert result[0]["value"] is True


def test_second_misunderstanding_in_a_row_offers_a_person():
    first = [user("xyz", "nlu_fallback")]
    assert run(ActionFallback(), first)[0][0]["response"] == "utter_default"
    second = [*first, bot("Sorry", "utter_default"), user("qqq", "nlu_fallback")]
    messages, _ = run(ActionFallback(), second)
    assert messages[0]["response"] == "utter_offer_human_after_misunderstanding"


def test_stop_leaves_the_form():
    messages, events = run(ActionStopForm(), [], active_loop="course_form")
    assert messages[0]["response"] == "stopped_questions"
    assert events[0] == {"event": "active_loop", "timestamp": None, "name": None}


def test_forget_me_confirms_and_clears_the_conversation_state():
    messages, events = run(ActionForgetMe(), [])
    assert messages[0]["response"] == "forgotten"
    assert [e["event"] for e in events] == ["active_loop", "reset_slots"]


def test_municipal_questions_go_to_the_municipality():
    dispatcher = CollectingDispatcher()
    tracker = make_tracker(text="waar vraag ik een nieuw paspoort aan", intent="out_of_scope")
    ActionOutOfScope().run(dispatcher, tracker, {})
    assert dispatcher.messages[0]["response"] == "municipal_question"
    assert dispatcher.messages[0]["subject"] == "een paspoort of ID-kaart"


def test_other_questions_say_what_the_assistant_can_do():
    dispatcher = CollectingDispatcher()
    ActionOutOfScope().run(dispatcher, make_tracker(text="wat is het weer"), {})
    assert dispatcher.messages[0]["response"] == "utter_out_of_scope"


def test_facts_without_a_question_start_the_task_they_fit():
    cases = {
        "computer": "course_form",
        "ik kan niet goed lezen": "support_form",
        "ik ben werkloos": "budget_form",
    }
    for text, form in cases.items():
        dispatcher = CollectingDispatcher()
        tracker = make_tracker(text=text, intent="inform")
        events = ActionRoute().run(dispatcher, tracker, {})
        assert events[-1] == {"event": "active_loop", "timestamp": None, "name": form}, text
    dispatcher = CollectingDispatcher()
    events = ActionRoute().run(dispatcher, make_tracker(text="hm", intent="inform"), {})
    assert not [e for e in events if e.get("event") == "active_loop"]
    assert dispatcher.messages[0]["response"] == "utter_menu"
