import os
from pathlib import Path

import pytest

from bot import settings as settings_module
from bot.settings import PROJECT_ROOT, load_env_file, settings


def test_defaults_match_the_documented_ports(clean_settings):
    config = settings()
    assert (config.rasa_port, config.action_port) == (5005, 5055)
    assert (config.catalog_port, config.budget_port, config.web_port) == (8001, 8002, 8000)
    assert config.host == "127.0.0.1"
    assert config.catalog_url == "http://127.0.0.1:8001/v5"
    assert config.budget_url == "http://127.0.0.1:8002"
    assert config.service_timeout_seconds == 2.0
    assert config.tracker_db == PROJECT_ROOT / "var" / "tracker.db"


def test_urls_follow_the_ports(clean_settings):
    clean_settings.setenv("CATALOG_PORT", "9101")
    clean_settings.setenv("BUDGET_PORT", "9102")
    config = settings()
    assert config.catalog_url == "http://127.0.0.1:9101/v5"
    assert config.budget_url == "http://127.0.0.1:9102"


def test_missing_or_placeholder_token_is_replaced_by_a_random_one(clean_settings):
    clean_settings.setenv("RASA_AUTH_TOKEN", settings_module.TOKEN_PLACEHOLDER)
    token = settings().rasa_auth_token
    assert token != settings_module.TOKEN_PLACEHOLDER
    assert len(token) >= 32


def test_a_port_that_is_not_a_number_names_the_setting(clean_settings):
    clean_settings.setenv("RASA_PORT", "vijf")
    with pytest.raises(SystemExit, match="RASA_PORT"):
        settings()


def test_env_file_does_not_override_the_environment(clean_settings, tmp_path: Path):
    clean_settings.setattr(os, "environ", dict(os.environ))  # load_env_file writes here
    env_file = tmp_path / ".env"
    env_file.write_text("RASA_PORT=6000\nWEB_PORT=6001\n", encoding="utf-8")
    clean_settings.setenv("RASA_PORT", "7000")
    load_env_file(env_file)
    config = settings()
    assert config.rasa_port == 7000
    assert config.web_port == 6001


def test_env_example_documents_every_setting():
    from tests.conftest import SETTING_NAMES

    example = (PROJECT_ROOT / ".env.example").read_text(encoding="utf-8")
    missing = [name for name in SETTING_NAMES if name not in example]
    assert missing == []


def test_first_run_creates_env_with_a_fresh_token(tmp_path, monkeypatch):
    example = tmp_path / ".env.example"
    example.write_text(f"RASA_AUTH_TOKEN={settings_module.TOKEN_PLACEHOLDER}\n", encoding="utf-8")
    target = tmp_path / ".env"
    monkeypatch.setattr(settings_module, "ENV_EXAMPLE_FILE", example)
    monkeypatch.setattr(settings_module, "ENV_FILE", target)
    settings_module.ensure_env_file()
    text = target.read_text(encoding="utf-8")
    assert settings_module.TOKEN_PLACEHOLDER not in text
    assert oct(target.stat().st_mode & 0o777) == "0o600"
