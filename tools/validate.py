"""`rasa data validate --fail-on-warnings`, with Rasa's known false positives understood.

Rasa warns "The utterance 'X' is not used in any story or rule" for responses that only
custom actions send (dispatcher.utter_message(response="X")). Such a response *is* used,
so this check accepts that warning exactly when an action under actions/ sends X, when X is
a question a form asks by itself (utter_ask_<slot>), or when a default action sends it
(utter_restart). Likewise an
intent without NLU examples is accepted when a button sends it ("/request_callback"). It also
skips the warnings Rasa itself lists as expected (rasa.utils.common.EXPECTED_WARNINGS) and
fails on every other warning, and on an action that sends a response the domain lacks.
Run: `python -m tools.validate`.
"""

from __future__ import annotations

import re
import sys
import warnings
from pathlib import Path

from bot.rasa_cli import DOMAIN_PATH
from bot.settings import PROJECT_ROOT

UNUSED_UTTERANCE = re.compile(r"The utterance '([^']+)' is not used in any story or rule\.")
SENT_BY_ACTION = re.compile(r"""response\s*=\s*["']([A-Za-z0-9_/]+)["']""")
INTENT_WITHOUT_EXAMPLES = re.compile(
    r"The intent '([^']+)' is listed in the domain file, but is not found in the NLU training data"
)
BUTTON_PAYLOAD = re.compile(r"""["']/([a-z_]+)""")
MAX_HISTORY = 5


def responses_sent_by_actions(actions_dir: Path = PROJECT_ROOT / "actions") -> set[str]:
    names: set[str] = set()
    for source in actions_dir.rglob("*.py"):
        names.update(SENT_BY_ACTION.findall(source.read_text(encoding="utf-8")))
    return names


# Responses that Rasa's default actions send by name (action_restart, action_back, ...).
DEFAULT_ACTION_RESPONSES = {"utter_restart", "utter_back", "utter_default"}


def form_questions(domain: dict) -> set[str]:
    """utter_ask_<slot> and utter_ask_<form>_<slot>: the questions a form asks by itself."""
    names: set[str] = set()
    for form, spec in (domain.get("forms") or {}).items():
        for slot in (spec or {}).get("required_slots", []):
            names |= {f"utter_ask_{slot}", f"utter_ask_{form}_{slot}"}
    return names


def intents_sent_by_buttons(root: Path = PROJECT_ROOT) -> set[str]:
    """Intents that a button payload ("/intent{...}") sends, in the domain or in actions."""
    sources = [*(root / DOMAIN_PATH).rglob("*.yml"), *(root / "actions").rglob("*.py")]
    names: set[str] = set()
    for source in sources:
        names.update(BUTTON_PAYLOAD.findall(source.read_text(encoding="utf-8")))
    return names


def validate(root: Path = PROJECT_ROOT) -> list[str]:
    """Return the problems found; an empty list means the project is valid."""
    from rasa.shared.importers.importer import TrainingDataImporter
    from rasa.utils.common import EXPECTED_WARNINGS
    from rasa.validator import Validator

    from bot import rasa_cli

    rasa_cli.install_training_data_validator()

    importer = TrainingDataImporter.load_from_config(
        config_path=str(root / "config.yml"),
        domain_path=str(root / DOMAIN_PATH),
        training_data_paths=[str(root / "data")],
    )
    sent = responses_sent_by_actions(root / "actions")
    buttons = intents_sent_by_buttons(root)
    problems: list[str] = []
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        validator = Validator.from_importer(importer)
        checks = {
            "domain validity": validator.verify_domain_validity(),
            "actions in stories and rules": validator.verify_actions_in_stories_rules(),
            "forms in stories and rules": validator.verify_forms_in_stories_rules(),
            "form slots": validator.verify_form_slots(),
            "slot mappings": validator.verify_slot_mappings(),
            "nlu": validator.verify_nlu(ignore_warnings=True),
            "story structure": validator.verify_story_structure(
                ignore_warnings=False, max_history=MAX_HISTORY
            ),
        }
        domain = importer.get_domain()
        domain_responses = set(domain.responses)
        used_by_rasa = form_questions(domain.as_dict()) | DEFAULT_ACTION_RESPONSES
    problems += [f"Rasa validation failed: {name}" for name, ok in checks.items() if not ok]
    for warning in caught:
        if not issubclass(warning.category, UserWarning):
            continue
        message = str(warning.message)
        if any(
            issubclass(warning.category, category) and re.match(pattern, message)
            for category, pattern in EXPECTED_WARNINGS  # Rasa's own list of known noise
        ):
            continue
        unused = UNUSED_UTTERANCE.search(message)
        if unused and unused.group(1) in sent | used_by_rasa:
            continue
        button_only = INTENT_WITHOUT_EXAMPLES.search(message)
        if button_only and button_only.group(1) in buttons:
            continue
        problems.append(message.strip())
    problems += [
        f"An action sends response '{name}', which the domain does not define."
        for name in sorted(sent - domain_responses)
    ]
    return problems


def main() -> int:
    problems = validate()
    for problem in problems:
        print(f"FAIL: {problem}", file=sys.stderr)
    if problems:
        return 1
    print("Training data and domain are valid (warnings count as failures).")
    return 0


if __name__ == "__main__":
    sys.exit(main())
