"""Secrets come only from the environment: nothing secret is tracked, .env is ignored."""

from __future__ import annotations

import re
import subprocess

import yaml

from bot.settings import ENV_EXAMPLE_FILE, PROJECT_ROOT, TOKEN_PLACEHOLDER, settings

SECRET_NAMES = re.compile(r"(TOKEN|SECRET|PASSWORD|_KEY)\b")


def test_dot_env_is_git_ignored():
    result = subprocess.run(["git", "check-ignore", "-q", ".env"], cwd=PROJECT_ROOT, check=False)
    assert result.returncode == 0


def test_the_example_holds_no_secret_values():
    for line in ENV_EXAMPLE_FILE.read_text(encoding="utf-8").splitlines():
        if line.startswith("#") or "=" not in line:
            continue
        name, value = line.split("=", 1)
        if SECRET_NAMES.search(name):
            assert value in ("", TOKEN_PLACEHOLDER), name


def test_channel_credentials_come_from_the_environment():
    credentials = yaml.safe_load((PROJECT_ROOT / "credentials.yml").read_text(encoding="utf-8"))
    for channel, values in credentials.items():
        for key, value in (values or {}).items():
            if SECRET_NAMES.search(key.upper()):
                assert re.fullmatch(r"\$\{\w+\}", str(value)), (channel, key)


def test_without_a_configured_token_each_start_gets_a_random_one(clean_settings):
    first = settings().rasa_auth_token
    settings.cache_clear()
    second = settings().rasa_auth_token
    assert len(first) >= 32 and first != second
    clean_settings.setenv("RASA_AUTH_TOKEN", TOKEN_PLACEHOLDER)
    settings.cache_clear()
    assert settings().rasa_auth_token != TOKEN_PLACEHOLDER
