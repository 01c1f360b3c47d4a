import responses
from rasa_sdk.executor import CollectingDispatcher

from actions.clients.catalog import CatalogClient
from actions.contacts import fallback_contact
from actions.support import ActionFindSupport, ActionOfferHuman, right_help_kind
from tests.actions.conftest import make_tracker

BASE = "http://catalog.test/v5"


def organization(name="Taalhuis Breda", phone="076 529 1234"):
    return {
        "name": [{"language": "nl-NL", "value": name}],
        "addresses": [{"street": "Molenstraat", "streetNumber": "6", "city": "Breda"}],
        "ext": {"phone": phone, "walkInHours": ["dinsdag 10:00-12:00"], "helpsWith": ["dutch"]},
    }


def run(action, slots):
    dispatcher = CollectingDispatcher()
    events = action.run(dispatcher, make_tracker(slots), {})
    return dispatcher.messages, events


@responses.activate
def test_help_nearby_lists_name_address_hours_and_phone():
    responses.get(
        f"{BASE}/organizations",
        json={"items": [organization(), organization("Bibliotheek Breda")]},
        match=[
            responses.matchers.query_param_matcher(
                {"helpsWith": "dutch", "municipality": "Breda", "pageSize": "10"}
            )
        ],
    )
    messages, _ = run(
        ActionFindSupport(CatalogClient(BASE)), {"help_kind": "dutch", "municipality": "Breda"}
    )
    assert messages[0]["response"] == "support_found"
    assert messages[1]["text"].splitlines() == [
        "Taalhuis Breda",
        "Adres: Molenstraat 6, Breda",
        "Inloop: dinsdag 10:00-12:00",
        "Bellen: 076 529 1234",
    ]


@responses.activate
def test_a_person_means_the_right_organization_with_phone_and_a_call_back_offer(desk):
    responses.get(f"{BASE}/organizations", json={"items": [organization()]})
    messages, events = run(
        ActionOfferHuman(CatalogClient(BASE)), {"topic": "dutch", "municipality": "Breda"}
    )
    assert "helpsWith=dutch" in responses.calls[0].request.url
    assert messages[0]["response"] == "offer_human"
    assert messages[0]["phone"] == "076 529 1234"
    assert "dinsdag" in messages[0]["visit"]
    # The call-back is offered by the desk that agreed to call back, with when it calls.
    assert messages[1]["response"] == "offer_callback"
    assert (messages[1]["desk"], messages[1]["days"]) == ("Leerwerkloket West-Brabant", 2)
    assert {"callback_organization": "Leerwerkloket West-Brabant"}.items() <= {
        e["name"]: e["value"] for e in events
    }.items()


@responses.activate
def test_without_a_desk_that_calls_back_no_call_back_is_offered(no_desk):
    responses.get(f"{BASE}/organizations", json={"items": [organization()]})
    messages, events = run(
        ActionOfferHuman(CatalogClient(BASE)), {"topic": "dutch", "municipality": "Breda"}
    )
    assert [m["response"] for m in messages] == ["offer_human"]
    assert messages[0]["phone"] == "076 529 1234"
    assert "callback_organization" not in {e["name"] for e in events}


@responses.activate
def test_a_person_when_the_catalog_is_down_is_the_fallback_desk():
    responses.get(f"{BASE}/organizations", status=500)
    messages, _ = run(ActionOfferHuman(CatalogClient(BASE)), {})
    assert messages[0]["phone"] == fallback_contact().phone


def test_right_organization_follows_the_conversation():
    assert right_help_kind(make_tracker({"topic": "digital"})) == "digital-government"
    assert right_help_kind(make_tracker({"goal": "dutch_language"})) == "dutch"
    assert right_help_kind(make_tracker({"help_kind": "integration"})) == "integration"
    assert right_help_kind(make_tracker({})) == "work-learning-advice"


@responses.activate
def test_a_subject_without_a_word_for_a_person_is_a_request_not_a_hand_over():
    # The model may take "... görüntülü konuşmak istiyorum" ("I want to video call") for "a
    # person, please": the subject is answered. With a word for a person it stays a hand-over.
    responses.get(f"{BASE}/organizations", json={"items": [organization()]})
    text = "TORUNLARIMLA WHATSAPPTAN GORUNTULU KONUSMAK ISTIYORUM"
    tracker = make_tracker({"language": "tr"}, text=text, intent="human_handoff")
    dispatcher = CollectingDispatcher()
    events = ActionOfferHuman(CatalogClient(BASE)).run(dispatcher, tracker, {})
    assert events[-1] == {"event": "active_loop", "timestamp": None, "name": "course_form"}
    assert "offer_human" not in [m.get("response") for m in dispatcher.messages]

    text = "Ik wil een mens spreken over een computercursus"
    tracker = make_tracker({"municipality": "Breda"}, text=text, intent="human_handoff")
    dispatcher = CollectingDispatcher()
    ActionOfferHuman(CatalogClient(BASE)).run(dispatcher, tracker, {})
    assert dispatcher.messages[0]["response"] == "offer_human"


def test_a_desk_that_works_by_appointment_never_reads_walk_in_by_appointment():
    from actions.support import hours_line

    assert (
        hours_line("op afspraak", "nl", "walk_in")
        == "Langskomen kan alleen op afspraak. Bel eerst."
    )
    assert hours_line("dinsdag 10:00-12:00", "nl", "walk_in") == "Inloop: dinsdag 10:00-12:00"
    assert "Inloop" not in hours_line("Op afspraak", "nl", "walk_in")


def test_the_menu_questions_read_as_plain_dutch_and_turkish():
    import yaml

    from actions.i18n import DOMAIN_FILE

    text = DOMAIN_FILE.read_text(encoding="utf-8")
    assert "Waarbij zoekt u hulp" not in text and "Waar wilt u hulp bij?" in text
    assert "Yakında yardım" not in text and "Yakınınızda yardım" in text  # "nearby", not "soon"
    assert yaml.safe_load(text)["responses"]


def test_made_up_hours_are_not_shown_the_person_is_told_to_check_first():
    from actions.clients.catalog import Organization
    from actions.i18n import say
    from actions.support import describe_organization

    item = organization()
    item["ext"]["unverified"] = ["walkInHours"]
    text = describe_organization(Organization.from_ooapi(item), "nl")
    assert "dinsdag 10:00-12:00" not in text
    assert say("nl", "hours_unsure") in text
    item["link"] = "https://www.nieuweveste.nl"
    text = describe_organization(Organization.from_ooapi(item), "ar")
    assert say("ar", "hours_unsure_link", link="https://www.nieuweveste.nl") in text


def test_a_national_organization_without_a_desk_shows_its_web_site():
    from actions.clients.catalog import Organization
    from actions.i18n import say
    from actions.support import describe_organization

    item = {
        "name": [{"language": "nl-NL", "value": "DigiD helpdesk"}],
        "link": "https://www.digid.nl",
    }
    text = describe_organization(Organization.from_ooapi(item), "tr")
    assert say("tr", "apply_at", url="https://www.digid.nl") in text


def test_walk_in_hours_say_their_weekday_in_the_persons_language():
    from actions.support import hours_line

    assert hours_line("dinsdag 10:00-12:00", "en", "walk_in").endswith("Tuesday 10:00-12:00")
    assert "wtorek 10:00-12:00" in hours_line("dinsdag 10:00-12:00", "pl", "walk_in")
