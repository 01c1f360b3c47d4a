"""data/rules/interruptions.yml is generated; it must match its tables."""

from __future__ import annotations

import yaml

from tools import dialogue_rules


def test_generated_rules_file_is_up_to_date():
    on_disk = dialogue_rules.RULES_FILE.read_text(encoding="utf-8")
    assert on_disk == dialogue_rules.render(), "run: python -m tools.dialogue_rules"


def test_every_form_answers_every_interruption_and_resumes():
    rules = {r["rule"]: r for r in yaml.safe_load(dialogue_rules.render())["rules"]}
    for form in dialogue_rules.FORMS:
        for intent, action in dialogue_rules.ANSWER_THEN_CONTINUE.items():
            name = f"{intent} during {form}"
            if form == "callback_form" and intent == "human_handoff":
                assert name not in rules
                continue
            steps = rules[name]["steps"]
            assert steps[0] == {"intent": intent}
            assert steps[1] == {"action": action}
            assert steps[-1] == {"active_loop": form}, "the form asks its open question again"


def test_leaving_and_switching_close_or_replace_the_form():
    rules = {r["rule"]: r for r in yaml.safe_load(dialogue_rules.render())["rules"]}
    for form in dialogue_rules.FORMS:
        assert rules[f"forget_me during {form}"]["steps"][-1] == {"active_loop": None}
        assert rules[f"stop during {form}"]["steps"][-1] == {"active_loop": None}
        for intent in dialogue_rules.SWITCH:
            name = f"{intent} during {form}"
            target = dialogue_rules.SWITCH_TARGET[intent]
            if target == form:
                assert name not in rules
            else:
                assert rules[name]["steps"][-1] == {"active_loop": target}
