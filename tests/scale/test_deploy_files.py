"""deploy/ cannot run here; keep it consistent with the tested scale-out and the settings."""

from pathlib import Path

import yaml

from bot.launcher import PROCESS_NAMES
from bot.scale import PRODUCTION_NGINX, production_nginx_config
from bot.settings import PROJECT_ROOT
from tests.conftest import SETTING_NAMES

DEPLOY = PROJECT_ROOT / "deploy"


def launcher_commands(documents: list[dict]) -> list[list[str]]:
    found = []

    def walk(node: object) -> None:
        if isinstance(node, dict):
            command = node.get("command")
            if isinstance(command, list) and "bot.launcher" in command:
                found.append(command)
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(documents)
    return found


def test_production_nginx_is_the_tested_proxy():
    assert PRODUCTION_NGINX.read_text(encoding="utf-8") == production_nginx_config()
    text = PRODUCTION_NGINX.read_text(encoding="utf-8")
    # A POST that reached Rasa is never sent twice; a slow answer is not a failure.
    assert "    proxy_next_upstream error;\n" in text
    assert "hash $lw_route consistent" in text


def test_containers_start_one_process_each_through_the_launcher():
    documents = [
        *yaml.safe_load_all((DEPLOY / "k8s" / "leerwijzer.yaml").read_text(encoding="utf-8")),
        yaml.safe_load((DEPLOY / "docker" / "docker-compose.yml").read_text(encoding="utf-8")),
    ]
    commands = launcher_commands(documents)
    started = {command[command.index("--only") + 1] for command in commands}
    assert started == set(PROCESS_NAMES) - {"web"}
    assert all("--console-logs" in command for command in commands)


def test_production_settings_are_known_settings():
    known = set(SETTING_NAMES) | {"CATALOG_DATABASE_URL", "POSTGRES_PASSWORD", "REDIS_PASSWORD"}
    lines = (DEPLOY / "docker" / "production.env.example").read_text(encoding="utf-8")
    names = {line.split("=", 1)[0] for line in lines.splitlines() if "=" in line and line[0] != "#"}
    assert names - known == set()
    assert {"TRACKER_STORE_URL", "LOCK_STORE_URL", "RASA_AUTH_TOKEN"} <= names


def test_the_k8s_config_names_only_known_settings():
    documents = list(
        yaml.safe_load_all((DEPLOY / "k8s" / "leerwijzer.yaml").read_text(encoding="utf-8"))
    )
    config_map = next(d for d in documents if d["kind"] == "ConfigMap")
    assert set(config_map["data"]) <= set(SETTING_NAMES)


def test_docs_describe_the_deploy_files():
    operations = Path(PROJECT_ROOT / "docs" / "operations.md").read_text(encoding="utf-8")
    for name in ("docker-compose.yml", "leerwijzer.yaml", "leerwijzer.conf", "make test-scale"):
        assert name in operations
