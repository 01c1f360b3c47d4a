"""`python -m bot.rasa_cli ...`: Rasa's own command line (`python -m rasa ...`) with two
performance fixes. The project runs every Rasa command through it: the servers the launcher
starts (`run`), training (`train`, bot/training.py), the conversation tests (`test core`) and
the cross-validation (`test nlu`, bot/nlu_report.py); bot/validate.py installs the same fixes.

Both fixes are about `jsonschema.validate(instance, schema)`, which checks the schema itself
against the JSON Schema metaschema on every call:

- Rasa checks every action server response that way. Profiling the embedded stack under load
  (py-spy, docs/performance.md) put 57 % of the Rasa server's CPU in that metaschema check.
- Rasa checks every `{"entity": ..., "value": ...}` annotation in the NLU data that way, each
  time the data is read: 10-30 ms per annotation, about 1,700 annotations, read twice per
  training, validation or test run (cProfile, docs/performance.md).

Here each validator is built (and its schema checked) once. Data is validated against exactly
the same schema, and invalid data raises the same error with the same message as in Rasa.

It also turns Rasa's telemetry off (usage events and crash reports to Rasa's servers) unless
RASA_TELEMETRY_ENABLED says otherwise: a citizen's assistant does not phone home, and Rasa
would otherwise turn it on for any machine without a ~/.config/rasa/global.yml.
"""

from __future__ import annotations

import json
import os
import sys
from functools import cache
from typing import Any

from jsonschema import validators
from jsonschema.exceptions import best_match

TELEMETRY_SETTING = "RASA_TELEMETRY_ENABLED"
os.environ.setdefault(TELEMETRY_SETTING, "false")


@cache
def _validator(schema_json: str) -> Any:
    """One validator per schema (given as canonical JSON); its schema is checked once."""
    schema = json.loads(schema_json)
    validator_class = validators.validator_for(schema)
    validator_class.check_schema(schema)
    return validator_class(schema)


def install_action_result_validator() -> None:
    from rasa.core.actions.action import RemoteAction
    from rasa.shared.constants import DOCS_BASE_URL

    # Built (and the schema checked) once, instead of on every action call.
    validator = _validator(json.dumps(RemoteAction.action_response_format_spec(), sort_keys=True))

    def _validate_action_result(self: RemoteAction, result: dict[str, Any]) -> bool:
        error = best_match(validator.iter_errors(result))
        if error is None:
            return True
        error.message += (
            ". Failed to validate Action server response from API, "
            "make sure your response from the Action endpoint is valid. "
            f"For more information about the format visit {DOCS_BASE_URL}/custom-actions"
        )
        raise error

    RemoteAction._validate_action_result = _validate_action_result


def install_training_data_validator() -> None:
    """Validate NLU training data (entity annotations) with one validator per schema."""
    from rasa.shared.utils import validation

    rasa_validate = validation.validate_training_data
    if getattr(rasa_validate, "leerwijzer_cached", False):
        return

    def validate_training_data(json_data: dict[str, Any], schema: dict[str, Any]) -> None:
        if _validator(json.dumps(schema, sort_keys=True)).is_valid(json_data):
            return
        rasa_validate(json_data, schema)  # invalid: Rasa raises its own error and message

    validate_training_data.leerwijzer_cached = True  # type: ignore[attr-defined]
    validation.validate_training_data = validate_training_data


def install() -> None:
    """Both fixes; call before Rasa reads training data or starts a server."""
    install_action_result_validator()
    install_training_data_validator()


def main() -> None:
    install()
    from rasa.__main__ import main as rasa_main

    sys.argv[0] = "rasa"
    rasa_main()


if __name__ == "__main__":
    main()
