import socket
import sys
import time
from pathlib import Path

import pytest

from bot.launcher import Process, Stack, StackError, child_environment, stack_processes
from bot.settings import settings


@pytest.fixture
def config(clean_settings, tmp_path):
    clean_settings.setenv("VAR_DIR", str(tmp_path / "var"))
    return settings()


def test_every_process_listens_on_the_configured_host_and_port(config, tmp_path):
    processes = stack_processes(config, tmp_path / "model.tar.gz")
    assert {p.name for p in processes} == {"catalog", "budget", "desk", "actions", "rasa", "web"}
    for process in processes:
        assert process.health_url.startswith(f"http://{config.host}:{process.port}/")
    rasa = next(p for p in processes if p.name == "rasa")
    assert "--enable-api" in rasa.argv
    assert f"--auth-token={config.rasa_auth_token}" in rasa.argv


def test_a_token_that_starts_with_a_dash_stays_the_token(clean_settings, tmp_path):
    clean_settings.setenv("RASA_AUTH_TOKEN", "-8Qm3xYtoken")
    rasa = next(p for p in stack_processes(settings(), tmp_path / "m.tar.gz") if p.name == "rasa")
    assert "--auth-token=-8Qm3xYtoken" in rasa.argv


def test_web_server_serves_the_rasa_port_from_settings(config):
    from bot.web_server import browser_config

    assert f'"rasaPort": {config.rasa_port}' in browser_config(config)


def test_children_get_the_urls_that_endpoints_and_actions_read(config):
    env = child_environment(config)
    assert env["ACTION_ENDPOINT_URL"] == f"http://{config.host}:{config.action_port}/webhook"
    assert env["CATALOG_URL"] == config.catalog_url
    assert env["SANIC_HOST"] == config.host  # the action server listens on loopback only


def test_a_busy_port_is_named_in_a_clear_message(config, tmp_path):
    with socket.socket() as busy:
        busy.bind((config.host, 0))
        busy.listen()
        port = busy.getsockname()[1]
        stack = Stack(config, tmp_path / "model.tar.gz", log_dir=tmp_path)
        stack.processes = [Process("catalog", ["true"], port, f"http://127.0.0.1:{port}/")]
        with pytest.raises(StackError, match=rf"Port already in use: {port} \(catalog\)"):
            stack.start(timeout=5)


def test_a_child_that_dies_while_starting_is_reported_with_its_log(config, tmp_path):
    stack = Stack(config, tmp_path / "model.tar.gz", log_dir=tmp_path)
    script = "import sys; print('database is locked'); sys.exit(3)"
    stack.processes = [Process("budget", [sys.executable, "-c", script], 1, "http://127.0.0.1:1/")]
    with pytest.raises(StackError, match="exit code 3") as error, stack:
        stack.start(timeout=10)
    assert "database is locked" in str(error.value)


def test_stop_leaves_no_process_behind(config, tmp_path):
    with socket.socket() as probe:
        probe.bind((config.host, 0))
        port = probe.getsockname()[1]
    # A child that ignores SIGTERM and starts a grandchild in its process group.
    script = (
        "import signal, subprocess, sys, time, http.server, threading;"
        "signal.signal(signal.SIGTERM, signal.SIG_IGN);"
        "subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(600)']);"
        f"server = http.server.HTTPServer(('127.0.0.1', {port}),"
        " http.server.SimpleHTTPRequestHandler);"
        "server.serve_forever()"
    )
    stack = Stack(config, tmp_path / "model.tar.gz", log_dir=tmp_path)
    stack.processes = [
        Process("web", [sys.executable, "-c", script], port, f"http://127.0.0.1:{port}/")
    ]
    import bot.launcher as launcher

    launcher.STOP_GRACE_SECONDS = 1.0
    with stack:
        stack.start(timeout=20)
        pgid = stack.processes[0].popen.pid
    deadline = time.monotonic() + 5
    while living_processes_in_group(pgid) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert living_processes_in_group(pgid) == []


def living_processes_in_group(pgid: int) -> list[int]:
    """Processes of a group that are not zombies (a killed orphan waits for init to reap it)."""
    living = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        state, group = fields[0], int(fields[2])
        if group == pgid and state != "Z":
            living.append(int(stat.parent.name))
    return living
