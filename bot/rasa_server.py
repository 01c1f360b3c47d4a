"""`python -m bot.rasa_server run ...`: Rasa's own command line (`python -m rasa run ...`) with
one performance fix, used by bot/launcher.py for every Rasa server it starts.

Rasa checks every action server response with `jsonschema.validate(result, schema)`, and
`validate` first checks the schema itself against the JSON Schema metaschema, on every call.
Profiling the embedded stack under load (py-spy, docs/performance.md) put 57 % of the Rasa
server's CPU in that metaschema check. Here the validator for the same schema is built (and
the schema checked) once; responses are validated against exactly the same schema and a bad
one raises the same ValidationError with the same message.
"""

from __future__ import annotations

import sys
from typing import Any

from jsonschema import validators
from jsonschema.exceptions import best_match


def install_action_result_validator() -> None:
    from rasa.core.actions.action import RemoteAction
    from rasa.shared.constants import DOCS_BASE_URL

    schema = RemoteAction.action_response_format_spec()
    validator_class = validators.validator_for(schema)
    validator_class.check_schema(schema)  # once, instead of on every action call
    validator = validator_class(schema)

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


def main() -> None:
    install_action_result_validator()
    from rasa.__main__ import main as rasa_main

    sys.argv[0] = "rasa"
    rasa_main()


if __name__ == "__main__":
    main()
