"""deploy/ cannot run here; keep it consistent with the tested scale-out and the settings."""

import re
import subprocess
from pathlib import Path

import pytest
import yaml

from bot.launcher import PROCESS_NAMES, StackError
from bot.settings import PROJECT_ROOT
from tests.conftest import SETTING_NAMES
from tests.support.binaries import missing_binary
from tools.scale import PRODUCTION_NGINX, nginx_binary, nginx_config

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


def scale_config(base: Path, rules: str | None = None) -> str:
    return nginx_config(base, 18080, ["127.0.0.1:18081", "127.0.0.1:18082"], rules)


def test_the_scale_test_runs_the_production_nginx_rules(tmp_path):
    """Every line of deploy/nginx/leerwijzer.conf is in the scale config, in order, except
    the ones tools/scale.py swaps for loopback: upstream servers (Rasa's, the desk's),
    `listen`, the access log, the web root."""
    production = PRODUCTION_NGINX.read_text(encoding="utf-8").splitlines()
    scale = scale_config(tmp_path).splitlines()
    swapped = [
        line
        for line in production
        if line.strip().startswith(
            (
                "server rasa:5005 ",
                "server desk:8003",
                "listen 80;",
                "access_log /var/log/",
                "root /srv/",
            )
        )
    ]
    assert len(swapped) == 6  # three upstreams, the listen line, the access log, the web root
    kept = iter(scale)
    missing = [line for line in production if line not in swapped and line not in kept]
    assert missing == []
    assert "  listen 127.0.0.1:18080;" in scale
    assert f"  root {PROJECT_ROOT / 'web'};" in scale
    assert "  server 127.0.0.1:18082 max_fails=2 fail_timeout=5s;" in scale
    assert "  server 127.0.0.1:8003;" in scale  # the desk's
    # A POST that reached Rasa is never sent twice; a slow answer is not a failure.
    assert "  proxy_next_upstream error;" in production


def test_the_scale_config_is_not_derived_from_rules_it_does_not_know(tmp_path):
    rules = PRODUCTION_NGINX.read_text(encoding="utf-8").replace("listen 80;", "listen 8080;")
    with pytest.raises(StackError, match="listen 80"):
        scale_config(tmp_path, rules)


def test_nginx_accepts_the_config(tmp_path):
    try:
        nginx = nginx_binary()
    except StackError as exc:
        missing_binary(str(exc))
    config = tmp_path / "nginx.conf"
    config.write_text(scale_config(tmp_path), encoding="utf-8")
    checked = subprocess.run(
        [nginx, "-t", "-p", str(tmp_path), "-c", str(config)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert checked.returncode == 0, checked.stderr


def without_comments(text: str) -> str:
    return "\n".join(re.sub(r"(^|\s)#.*$", "", line) for line in text.splitlines())


def test_no_proxy_rule_sets_a_cookie(tmp_path):
    """README.md: Leerwijzer sets no cookies. That includes the proxy in front of it."""
    files = [p for p in DEPLOY.rglob("*") if p.is_file() and p.suffix != ".pyc"]
    texts = {
        p.relative_to(PROJECT_ROOT).as_posix(): p.read_text(encoding="utf-8", errors="replace")
        for p in files
    }
    texts["tools/scale.py nginx_config"] = scale_config(tmp_path)
    assert "deploy/nginx/leerwijzer.conf" in texts and "deploy/k8s/leerwijzer.yaml" in texts
    # nginx's header and variables, nginx Plus's `sticky cookie`, the old route cookie, and
    # ingress-nginx's cookie affinity (`affinity: cookie`, `session-cookie-*`).
    cookie = re.compile(
        r"set-cookie|sticky\s+cookie|lw_route|\$cookie_|ingress\.kubernetes\.io/affinity|session-cookie",
        re.IGNORECASE,
    )
    found = {
        name: cookie.findall(without_comments(text))
        for name, text in texts.items()
        if cookie.search(without_comments(text))
    }
    assert found == {}


def nginx_blocks(text: str) -> dict[str, str]:
    """`upstream x`, `map ... $y` and `location z` blocks of an nginx file, by their heading."""
    text = without_comments(text)
    return {
        " ".join(match["head"].split()): match["body"]
        for match in re.finditer(
            r"(?P<head>(?:upstream|map|location) [^{;]+)\{(?P<body>[^{}]*)\}", text
        )
    }


def test_socketio_is_routed_by_the_client_address():
    """Polling requests hash on the client's address from the first request on; a fresh
    WebSocket (no sid) gets an empty key, which nginx balances round robin."""
    blocks = nginx_blocks(PRODUCTION_NGINX.read_text(encoding="utf-8"))
    route = blocks['map "$arg_transport:$arg_sid" $socketio_route']
    assert re.findall(r"\S+ \S+;", route) == ['"websocket:" "";', "default $remote_addr;"]
    assert "hash $socketio_route consistent;" in blocks["upstream rasa_socketio"]
    assert "proxy_pass http://rasa_socketio;" in blocks["location /socket.io/"]
    # Everything else round robin: no hash, no ip_hash, no sticky.
    assert not re.search(r"hash|sticky", blocks["upstream rasa"])
    assert "proxy_pass http://rasa;" in blocks["location /"]

    ingresses = {
        d["metadata"]["name"]: d
        for d in yaml.safe_load_all((DEPLOY / "k8s" / "leerwijzer.yaml").read_text("utf-8"))
        if d["kind"] == "Ingress"
    }
    socketio = ingresses["rasa-socketio"]
    annotations = socketio["metadata"]["annotations"]
    assert annotations["nginx.ingress.kubernetes.io/upstream-hash-by"] == "$remote_addr"
    paths = socketio["spec"]["rules"][0]["http"]["paths"]
    assert [p["path"] for p in paths] == ["/socket.io/"]
    assert not any("hash" in key for key in ingresses["rasa"]["metadata"]["annotations"])


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


def test_the_image_carries_no_tooling_and_no_tests():
    """The Dockerfile copies the runtime only; tools/ is used to train at build time and removed."""
    dockerfile = (PROJECT_ROOT / "deploy" / "docker" / "Dockerfile").read_text(encoding="utf-8")
    copies = [line.split()[1] for line in dockerfile.splitlines() if line.startswith("COPY ")]
    assert not [c for c in copies if c.startswith(("tests", "deploy/local", ".venv"))]
    assert "rm -rf tools" in dockerfile
    for package in ("actions", "bot", "services", "domain"):
        assert package in copies
