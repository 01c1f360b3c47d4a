"""The desk's command line (docs/desk.md):

    python -m services.desk add-user USERNAME --name "Anna de Vries" --role admin [--desk ID ...]
    python -m services.desk add-user gemeente-breda --name "Gemeente Breda" --role partner
    python -m services.desk add-desk ID --name "Taalhuis Breda" --hours "ma-vr 09:00-17:00" ...
    python -m services.desk unlock USERNAME
    python -m services.desk password USERNAME
    python -m services.desk list

A password is asked twice on the terminal (never on the command line, where it would stay in
the shell's history); `--password-stdin` reads it from standard input, for scripts.
"""

from __future__ import annotations

import argparse
import getpass
import sys

from bot.settings import settings
from services.desk.accounts import MIN_PASSWORD_LENGTH, hash_password
from services.desk.hours import HoursError, parse_hours
from services.desk.store import ROLES, Desk, DeskStore


def _password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\n")
    first = getpass.getpass(f"Password (at least {MIN_PASSWORD_LENGTH} characters): ")
    if getpass.getpass("Once more: ") != first:
        raise SystemExit("The passwords differ; nothing changed.")
    return first


def _hash(from_stdin: bool) -> str:
    try:
        return hash_password(_password(from_stdin))
    except ValueError as exc:
        raise SystemExit(f"{exc}; nothing changed.") from None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m services.desk")
    commands = parser.add_subparsers(dest="command", required=True)
    add_user = commands.add_parser("add-user", help="add an account (the first admin too)")
    add_user.add_argument("username")
    add_user.add_argument("--name", required=True)
    add_user.add_argument("--role", choices=ROLES, default="advisor")
    add_user.add_argument("--desk", action="append", default=[], help="a desk id; repeat")
    add_user.add_argument("--password-stdin", action="store_true")
    add_user.add_argument(
        "--no-password", action="store_true", help="signs in through the identity provider only"
    )
    add_desk = commands.add_parser("add-desk", help="add or change a desk")
    add_desk.add_argument("id")
    add_desk.add_argument("--name", required=True)
    add_desk.add_argument("--phone", default="")
    add_desk.add_argument("--hours", default="", help='e.g. "ma-vr 09:00-17:00; za 10:00-12:00"')
    add_desk.add_argument("--topic", action="append", default=[], help="a subject; repeat")
    add_desk.add_argument("--max-wait", type=int, default=5, help="minutes before a call-back")
    unlock = commands.add_parser("unlock", help="unlock an account after failed sign-ins")
    unlock.add_argument("username")
    password = commands.add_parser("password", help="set a new password (ends its sessions)")
    password.add_argument("username")
    password.add_argument("--password-stdin", action="store_true")
    commands.add_parser("list", help="desks and accounts")
    args = parser.parse_args(argv)

    config = settings()
    store = DeskStore(config.desk_database_url, config.retention_days)
    if args.command == "add-user":
        username = args.username.strip().lower()
        if store.user(username):
            raise SystemExit(f"{username} exists already.")
        unknown = [d for d in args.desk if store.desk(d) is None]
        if unknown:
            raise SystemExit(f"Unknown desk: {', '.join(unknown)} (add-desk first).")
        hashed = None if args.no_password else _hash(args.password_stdin)
        user = store.add_user(username, args.name, args.role, hashed, args.desk)
        store.log("command line", "added account", f"{user.username} ({user.role})")
        print(f"Added {user.username} ({user.role}; desks: {', '.join(user.desks) or '-'}).")
    elif args.command == "add-desk":
        try:
            parse_hours(args.hours)
        except HoursError as exc:
            raise SystemExit(f"--hours: {exc}") from None
        desk = Desk(args.id, args.name, args.phone, args.hours, tuple(args.topic), args.max_wait)
        store.save_desk(desk)
        store.log("command line", "saved desk", desk.id)
        print(f"Saved desk {desk.id}: {desk.name}, {desk.hours or 'no live chat (no hours)'}.")
    elif args.command in ("unlock", "password"):
        user = store.user(args.username.strip().lower())
        if user is None:
            raise SystemExit(f"No account {args.username}.")
        if args.command == "unlock":
            store.clear_failures(user.id)
        else:
            store.update_user(user.username, password_hash=_hash(args.password_stdin))
            store.end_sessions_of(user.id)
        store.log("command line", f"{args.command} account", user.username)
        print(f"Done: {args.command} {user.username}.")
    else:
        for desk in store.desks():
            print(f"desk  {desk.id:20} {desk.name} | {desk.hours or '-'} | {','.join(desk.topics)}")
        for user in store.users():
            print(f"user  {user.username:20} {user.role:8} {','.join(user.desks)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
