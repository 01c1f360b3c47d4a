"""Talk to the assistant in a terminal through the REST channel.

Uses the running stack when Rasa answers on RASA_PORT; otherwise starts the stack
for the length of the conversation. Type a button's number to choose it; `/stop` ends.
"""

from __future__ import annotations

import sys
import uuid

import requests

from bot.launcher import Stack, StackError, healthy
from bot.settings import ensure_env_file, settings


def _print_answers(answers: list[dict]) -> list[dict]:
    buttons: list[dict] = []
    for answer in answers:
        if answer.get("text"):
            print(f"Leerwijzer: {answer['text']}")
        for button in answer.get("buttons") or []:
            buttons.append(button)
            print(f"  {len(buttons)}. {button.get('title')}")
    return buttons


def converse(rasa_url: str) -> None:
    sender = f"shell-{uuid.uuid4().hex[:8]}"
    webhook = f"{rasa_url}/webhooks/rest/webhook"
    buttons: list[dict] = []
    print("Typ uw bericht. Typ /stop om te stoppen.\n")
    while True:
        try:
            text = input("U: ").strip()
        except (EOFError, KeyboardInterrupt):
            print()
            return
        if text == "/stop":
            return
        if text.isdigit() and 1 <= int(text) <= len(buttons):
            text = buttons[int(text) - 1]["payload"]
        response = requests.post(webhook, json={"sender": sender, "message": text}, timeout=30)
        response.raise_for_status()
        buttons = _print_answers(response.json())


def main() -> int:
    ensure_env_file()
    config = settings()
    if healthy(f"{config.rasa_url}/"):
        converse(config.rasa_url)
        return 0
    from tools.training import ensure_model  # deferred: imports Rasa

    print("The stack is not running; starting it for this conversation ...")
    try:
        with Stack(config, ensure_model()) as stack:
            stack.start()
            converse(config.rasa_url)
    except StackError as exc:
        print(f"Leerwijzer could not start: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
