"""The scaled stack on one machine, and a conversation client for it (docs/operations.md).

`ScaleStack` starts what production runs (deploy/), on loopback in throwaway directories:
PostgreSQL (conversations, call-back requests, catalog, the WhatsApp channel's state, the
insights' raw events and facts), Redis (conversation locks), RabbitMQ when
`event_broker="pika"` (Rasa's event broker; otherwise it writes the raw events to PostgreSQL),
a desk that calls back, the WhatsApp channel when `extra_env` has its
settings (`scaled_whatsapp`), the
catalog and budget services, one action server, N Rasa servers with the same model, and nginx
in front with deploy/nginx/leerwijzer.conf (round robin for the REST channel and the HTTP
API; Socket.IO by the client's address, no cookie). It is configured through the same
settings as production (.env names, bot/settings.py) and started with the launcher's own
pieces (preflight, health checks, process groups).

`Citizen` is one REST conversation through nginx with the client protocol that never loses
or doubles a message when a Rasa server dies mid-request: on 502/503/504 or a broken
connection, read the conversation (HTTP API, through nginx) and resend only when the message
was not recorded. Used by tests/scale/ and tools/bench_load.py. `socketio_visit` is the web
widget's Socket.IO (long polling or WebSocket), for the proof that the proxy keeps a
Socket.IO session on one server without a cookie.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import json
import os
import random
import re
import shutil
import signal
import subprocess
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp

from bot.launcher import Process, Stack, StackError, healthy, port_in_use
from bot.settings import Settings, settings
from deploy.local.throwaway_postgres import ThrowawayPostgres, free_port

UPSTREAM_HEADER = "X-Upstream"
CONVERSATION_HEADER = "X-Conversation"
RETRY_STATUSES = {502, 503, 504}
SERVICES = ("catalog", "budget", "desk", "actions", "rasa")
# The scaled setup's databases on its PostgreSQL ("events" and "insights": docs/insights.md).
DATABASES = ("tracker", "callbacks", "catalog", "whatsapp", "desk", "events", "insights")


# -- Redis and nginx from Debian's packages ----------------------------------------------------


def _binary(name: str, package: str) -> str:
    found = shutil.which(name) or (
        f"/usr/sbin/{name}" if Path(f"/usr/sbin/{name}").exists() else None
    )
    if not found:
        raise StackError(
            f"{name} not found; install it with 'deploy/local/apt-install.sh {package}'"
        )
    return found


class ThrowawayServer:
    """A foreground server process in its own temp dir, stopped and removed on exit."""

    name = "server"

    def __init__(self) -> None:
        self.port = free_port()
        self.base = Path(tempfile.mkdtemp(prefix=f"{self.name}-throwaway-"))
        self.log = self.base / f"{self.name}.log"
        self.popen: subprocess.Popen | None = None

    def argv(self) -> list[str]:
        raise NotImplementedError

    def start(self, timeout: float = 20.0) -> ThrowawayServer:
        with self.log.open("ab") as log:
            self.popen = subprocess.Popen(
                self.argv(),
                cwd=self.base,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        deadline = time.monotonic() + timeout
        while not port_in_use("127.0.0.1", self.port):
            if self.popen.poll() is not None or time.monotonic() > deadline:
                tail = self.log.read_text(errors="replace")[-1500:]
                self.stop()
                raise StackError(f"{self.name} did not start:\n{tail}")
            time.sleep(0.05)
        return self

    def stop(self) -> None:
        if self.popen and self.popen.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.popen.pid, signal.SIGTERM)
            try:
                self.popen.wait(timeout=5)
            except subprocess.TimeoutExpired:
                os.killpg(self.popen.pid, signal.SIGKILL)
                self.popen.wait()
        shutil.rmtree(self.base, ignore_errors=True)


class ThrowawayRedis(ThrowawayServer):
    name = "redis"

    def argv(self) -> list[str]:
        return [
            _binary("redis-server", "redis-server"),
            "--bind", "127.0.0.1", "--port", str(self.port), "--dir", str(self.base),
            "--save", "", "--appendonly", "no", "--daemonize", "no",
        ]  # fmt: skip

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/1"


# -- RabbitMQ from Debian's package (EVENT_BROKER=pika) -------------------------------------------

# Debian's /usr/sbin/rabbitmq-server is a wrapper that runs the node as the user rabbitmq in
# /var/lib/rabbitmq (or refuses); a private node runs the script it wraps.
RABBITMQ_SERVERS = (
    "/usr/lib/rabbitmq/bin/rabbitmq-server",
    "/usr/lib/rabbitmq/sbin/rabbitmq-server",
)
RABBITMQ_WRAPPER = "rabbitmq-script-wrapper"
# The throwaway node's rabbitmq.conf: the default user guest/guest (loopback only), no disk
# alarm on a full /tmp, warnings and errors on the console (the node's log file here).
RABBITMQ_CONF = """\
loopback_users.guest = true
disk_free_limit.absolute = 1MB
log.file = false
log.console = true
log.console.level = warning
"""


def rabbitmq_binary() -> str:
    """The rabbitmq-server script itself (not Debian's wrapper in /usr/sbin)."""
    for candidate in RABBITMQ_SERVERS:
        if Path(candidate).exists():
            return candidate
    found = shutil.which("rabbitmq-server")
    if found and Path(found).resolve().name != RABBITMQ_WRAPPER:
        return found
    raise StackError(
        "rabbitmq-server not found; install it with 'deploy/local/apt-install.sh rabbitmq-server'"
    )


def _free_ports(count: int) -> list[int]:
    ports: list[int] = []
    while len(ports) < count:
        port = free_port()
        if port not in ports:
            ports.append(port)
    return ports


def _descendants(pid: int) -> list[int]:
    """Every process below `pid` (from /proc), also those in sessions of their own, such as
    Erlang's erl_child_setup and inet_gethost."""
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError, ValueError, IndexError):
            fields = stat.read_text().rsplit(")", 1)[1].split()
            children.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    found, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def amqp_connects(url: str, timeout: float = 3.0) -> bool:
    """Whether a real AMQP connection to `url` opens (in a thread of its own, so that it also
    works when the caller runs an event loop)."""
    from concurrent.futures import ThreadPoolExecutor

    async def probe() -> None:
        import aio_pika

        connection = await aio_pika.connect(url, timeout=timeout)
        await connection.close()

    with ThreadPoolExecutor(max_workers=1) as pool:
        try:
            pool.submit(asyncio.run, probe()).result(timeout=timeout + 2)
        except Exception:  # noqa: BLE001 - not ready yet, whatever the reason
            return False
    return True


class ThrowawayRabbitMQ(ThrowawayServer):
    """A private RabbitMQ node as the current user: node name lw<port>@localhost, AMQP on
    127.0.0.1:port, its distribution port and its own epmd on free loopback ports, every file
    (database, logs, config, Erlang cookie in HOME) in its temp dir. `launch` then `wait` lets
    the node boot (a few seconds) while other things start."""

    name = "rabbitmq"
    queue = "leerwijzer_events"

    def __init__(self) -> None:
        super().__init__()
        self.dist_port, self.epmd_port = _free_ports(2)
        while self.port in (self.dist_port, self.epmd_port):
            self.port = free_port()
        self.node = f"lw{self.port}@localhost"
        self.epmd: subprocess.Popen | None = None
        (self.base / "rabbitmq.conf").write_text(RABBITMQ_CONF, encoding="utf-8")
        (self.base / "enabled_plugins").write_text("[].\n", encoding="utf-8")
        (self.base / "rabbitmq-env.conf").write_text("", encoding="utf-8")  # not /etc's

    @property
    def url(self) -> str:
        return f"amqp://guest:guest@127.0.0.1:{self.port}/"

    def argv(self) -> list[str]:
        return [rabbitmq_binary()]

    def env(self) -> dict[str, str]:
        inherited = {k: v for k, v in os.environ.items() if not k.startswith(("RABBITMQ_", "ERL_"))}
        return {
            **inherited,
            "HOME": str(self.base),  # the Erlang cookie
            "RABBITMQ_NODENAME": self.node,
            "RABBITMQ_NODE_IP_ADDRESS": "127.0.0.1",
            "RABBITMQ_NODE_PORT": str(self.port),
            "RABBITMQ_DIST_PORT": str(self.dist_port),
            "RABBITMQ_MNESIA_BASE": str(self.base / "mnesia"),
            "RABBITMQ_LOG_BASE": str(self.base / "log"),
            "RABBITMQ_CONFIG_FILE": str(self.base / "rabbitmq.conf"),
            "RABBITMQ_ENABLED_PLUGINS_FILE": str(self.base / "enabled_plugins"),
            "RABBITMQ_CONF_ENV_FILE": str(self.base / "rabbitmq-env.conf"),
            "RABBITMQ_PID_FILE": str(self.base / "rabbitmq.pid"),
            # Its own epmd (epmd's usual port 4369 is shared by every Erlang node on the
            # machine); never a daemon epmd of its own, which would outlive the node.
            "ERL_EPMD_PORT": str(self.epmd_port),
            "ERL_EPMD_ADDRESS": "127.0.0.1",
            "RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS": (
                "-start_epmd false -kernel inet_dist_use_interface {127,0,0,1}"
            ),
        }

    def launch(self) -> ThrowawayRabbitMQ:
        """Start epmd, then the node; returns at once (see `wait`)."""
        env = self.env()
        epmd = shutil.which("epmd") or "epmd"
        with self.log.open("ab") as log:
            self.epmd = subprocess.Popen(
                [epmd, "-port", str(self.epmd_port), "-address", "127.0.0.1"],
                cwd=self.base, env=env, stdin=subprocess.DEVNULL, stdout=log,
                stderr=subprocess.STDOUT, start_new_session=True,
            )  # fmt: skip
            deadline = time.monotonic() + 10
            while not port_in_use("127.0.0.1", self.epmd_port):
                if self.epmd.poll() is not None or time.monotonic() > deadline:
                    self._fail("epmd did not start")
                time.sleep(0.02)
            self.popen = subprocess.Popen(
                self.argv(), cwd=self.base, env=env, stdin=subprocess.DEVNULL, stdout=log,
                stderr=subprocess.STDOUT, start_new_session=True,
            )  # fmt: skip
        return self

    def wait(self, timeout: float = 60.0) -> ThrowawayRabbitMQ:
        """Until the AMQP port is open and an AMQP connection succeeds."""
        deadline = time.monotonic() + timeout
        while not (port_in_use("127.0.0.1", self.port) and amqp_connects(self.url)):
            if self.popen is None or self.popen.poll() is not None:
                self._fail("rabbitmq did not start")
            if time.monotonic() > deadline:
                self._fail(f"rabbitmq did not accept AMQP connections within {timeout:.0f} s")
            time.sleep(0.1)
        return self

    def start(self, timeout: float = 60.0) -> ThrowawayRabbitMQ:
        return self.launch().wait(timeout)

    def _fail(self, message: str) -> None:
        tail = self.log.read_text(errors="replace")[-2000:] if self.log.exists() else ""
        self.stop()
        raise StackError(f"{message}:\n{tail}")

    def stop(self) -> None:
        """SIGKILL the node's process group, every process below it (erl_child_setup and
        inet_gethost have sessions of their own) and its epmd; remove the dir. A throwaway
        node has nothing to shut down gracefully."""
        for popen in (self.popen, self.epmd):
            if popen is None:
                continue
            pids = _descendants(popen.pid) if popen.poll() is None else []
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(popen.pid, signal.SIGKILL)
            for pid in pids:
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.kill(pid, signal.SIGKILL)
            with contextlib.suppress(subprocess.TimeoutExpired):
                popen.wait(timeout=10)
        self.popen = self.epmd = None
        shutil.rmtree(self.base, ignore_errors=True)


# deploy/nginx/leerwijzer.conf is the one nginx config; the scale test runs it with these
# lines changed for loopback (each must be in the file, or the config is not derived).
PRODUCTION_NGINX = Path(__file__).resolve().parent.parent / "deploy" / "nginx" / "leerwijzer.conf"
PRODUCTION_SERVER = re.compile(r"^(?P<indent>[ \t]*)server rasa:5005(?P<options>[^;]*);$", re.M)
PRODUCTION_DESK = re.compile(r"^(?P<indent>[ \t]*)server desk:8003(?P<options>[^;]*);$", re.M)
PRODUCTION_LISTEN = re.compile(r"^(?P<indent>[ \t]*)listen 80;$", re.M)
PRODUCTION_ACCESS_LOG = re.compile(r"^access_log /var/log/nginx/access\.log leerwijzer;$", re.M)
# web/ is in /srv/leerwijzer/web in the leerwijzer-web image; here the checkout's web/.
PRODUCTION_ROOT = re.compile(r"^(?P<indent>[ \t]*)root /srv/leerwijzer/web;$", re.M)
WEB_ROOT = PRODUCTION_NGINX.parents[2] / "web"
# Which Rasa server answered, for the test's proof; production logs it instead (no internal
# addresses in public responses).
TEST_HEADER = f"add_header {UPSTREAM_HEADER} $upstream_addr always;"


def nginx_config(
    base: Path,
    port: int,
    upstreams: list[str],
    rules: str | None = None,
    desk: str = "127.0.0.1:8003",
) -> str:
    """The proxy of the scaled setup: `rules` (deploy/nginx/leerwijzer.conf) with loopback
    addresses for `server rasa:5005` and `server desk:8003` (`desk`; nothing need listen
    there), `listen 127.0.0.1:port`, the checkout's web/ as root, the test's access log and
    the X-Upstream header, in a main config whose files stay in `base` (otherwise like
    deploy/nginx/nginx.conf, the image's)."""
    rules = PRODUCTION_NGINX.read_text(encoding="utf-8") if rules is None else rules

    def servers(match: re.Match) -> str:
        return "\n".join(f"{match['indent']}server {u}{match['options']};" for u in upstreams)

    def listen(match: re.Match) -> str:
        return f"{match['indent']}listen 127.0.0.1:{port};\n{match['indent']}{TEST_HEADER}"

    rules = _substitute(PRODUCTION_SERVER, servers, rules)
    rules = _substitute(
        PRODUCTION_DESK,
        lambda m: f"{m['indent']}server {desk}{m['options']};",
        rules,
        exactly_once=True,
    )
    rules = _substitute(PRODUCTION_LISTEN, listen, rules, exactly_once=True)
    rules = _substitute(
        PRODUCTION_ACCESS_LOG, f"access_log {base}/access.log scale;", rules, exactly_once=True
    )
    rules = _substitute(
        PRODUCTION_ROOT, lambda m: f"{m['indent']}root {WEB_ROOT};", rules, exactly_once=True
    )
    user = "user root root;" if os.geteuid() == 0 else ""
    return f"""{user}
worker_processes 1;
error_log {base}/error.log warn;
pid {base}/nginx.pid;
events {{ worker_connections 2048; }}
http {{
include /etc/nginx/mime.types;
default_type application/octet-stream;
types_hash_max_size 2048;
sendfile on;
client_body_temp_path {base}/client_body;
proxy_temp_path {base}/proxy;
fastcgi_temp_path {base}/fastcgi;
uwsgi_temp_path {base}/uwsgi;
scgi_temp_path {base}/scgi;
log_format scale '$msec $request_method $uri $status "$upstream_addr" '
                 '"$upstream_status" "$http_x_conversation" $request_time';

# ---- {PRODUCTION_NGINX.name}, for loopback ----
{rules}
}}
"""


def _substitute(
    pattern: re.Pattern,
    replacement: str | Callable[[re.Match], str],
    text: str,
    exactly_once: bool = False,
) -> str:
    text, count = pattern.subn(replacement, text)
    if count == 0 or (exactly_once and count != 1):
        raise StackError(
            f"{PRODUCTION_NGINX.name}: expected {'one line' if exactly_once else 'lines'} "
            f"matching {pattern.pattern!r}, found {count}; tools/scale.py derives the scale "
            "test's nginx config from it"
        )
    return text


def nginx_binary() -> str:
    return _binary("nginx", "nginx")


class ThrowawayNginx(ThrowawayServer):
    name = "nginx"

    def __init__(self, upstreams: list[str], desk: str = "127.0.0.1:8003") -> None:
        super().__init__()
        os.chmod(self.base, 0o755)  # noqa: S103 - nginx workers read it
        self.conf = self.base / "nginx.conf"
        self.conf.write_text(
            nginx_config(self.base, self.port, upstreams, desk=desk), encoding="utf-8"
        )
        self.access_log = self.base / "access.log"

    def argv(self) -> list[str]:
        return [nginx_binary(), "-p", str(self.base), "-c", str(self.conf), "-g", "daemon off;"]

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


# -- the scaled stack ----------------------------------------------------------------------------


# A desk that calls back (CALLBACK_DESK_*): the call-back requests go to PostgreSQL.
SCALED_DESK = {
    "CALLBACK_DESK_NAME": "Leerwerkloket West-Brabant",
    "CALLBACK_DESK_PHONE": "076 000 0000",
    "CALLBACK_DESK_HOURS": "maandag tot en met vrijdag 9:00-17:00",
    "CALLBACK_DESK_WORKING_DAYS": "2",
}


def scaled_whatsapp(
    graph_api_base_url: str, phone_number_id: str, app_secret: str, verify_token: str
) -> dict[str, str]:
    """The WhatsApp channel's settings, pointed at a (fake) Graph API."""
    return {
        "WHATSAPP_API_BASE_URL": graph_api_base_url,
        "WHATSAPP_PHONE_NUMBER_ID": phone_number_id,
        "WHATSAPP_ACCESS_TOKEN": "scale-access-token",
        "WHATSAPP_APP_SECRET": app_secret,
        "WHATSAPP_VERIFY_TOKEN": verify_token,
        "WHATSAPP_SENDER_ID_KEY": "scale-sender-id-key-0123456789abcdef",
    }


def scaled_settings(env: dict[str, str]) -> Settings:
    """Settings as bot/settings.py reads them, with `env` put into the environment first."""
    os.environ.update(env)
    settings.cache_clear()
    return settings()


@dataclass
class ScaleStack:
    model: Path
    rasa_instances: int = 2
    log_dir: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="scale-logs-")))
    postgres: ThrowawayPostgres | None = None
    redis: ThrowawayRedis | None = None
    nginx: ThrowawayNginx | None = None
    stack: Stack | None = None
    config: Settings | None = None
    # Settings on top of the scaled ones: the WhatsApp channel's (scaled_whatsapp), say.
    extra_env: dict[str, str] = field(default_factory=dict)
    # Rasa's event broker (bot/event_broker.py): "sql" into the events database on PostgreSQL,
    # or "pika" to a throwaway RabbitMQ, drained into that database by the insights job.
    event_broker: str = "sql"
    rabbitmq: ThrowawayRabbitMQ | None = None

    def start(self, timeout: float = 240.0, report=print) -> ScaleStack:  # noqa: ANN001
        if self.event_broker not in ("sql", "pika"):
            raise ValueError(f"event_broker is 'sql' or 'pika', not {self.event_broker!r}")
        started = time.monotonic()
        if self.event_broker == "pika":  # it boots while PostgreSQL and Redis start
            self.rabbitmq = ThrowawayRabbitMQ().launch()
        self.postgres = ThrowawayPostgres().start()
        urls = {name: self.postgres.create_database(name) for name in DATABASES}
        self.redis = ThrowawayRedis().start()
        report(f"  ready: postgres, redis ({time.monotonic() - started:.0f} s)")
        broker = {"EVENT_BROKER": self.event_broker}
        if self.rabbitmq is not None:
            self.rabbitmq.wait()
            broker.update(RABBITMQ_URL=self.rabbitmq.url, RABBITMQ_QUEUE=self.rabbitmq.queue)
            report(
                f"  ready: rabbitmq port {self.rabbitmq.port} ({time.monotonic() - started:.0f} s)"
            )
        var_dir = self.log_dir / "var"
        env = {
            "VAR_DIR": str(var_dir),
            "TRACKER_STORE_URL": urls["tracker"],
            "LOCK_STORE_URL": self.redis.url,
            "LOCK_LIFETIME_SECONDS": os.environ.get("LOCK_LIFETIME_SECONDS", "20"),
            "CALLBACK_DATABASE_URL": urls["callbacks"],
            "CATALOG_DATABASE_URL": urls["catalog"],
            # What docs/whatsapp.md tells operators: the channel's store on PostgreSQL too.
            "WHATSAPP_STORE_URL": urls["whatsapp"],
            # The desk (docs/desk.md): its store on PostgreSQL; the Rasa servers share their
            # Socket.IO rooms through Redis, so the desk's messages reach any widget.
            "DESK_DATABASE_URL": urls["desk"],
            "REDIS_URL": self.redis.url.rsplit("/", 1)[0] + "/0",
            # The anonymous insights (docs/insights.md): raw events and facts on PostgreSQL;
            # a conversation counts as finished at once and the desk never runs the job, so
            # that a test runs it by hand (services.insights.job.InsightsJob).
            **broker,
            "EVENT_BROKER_URL": urls["events"],
            "INSIGHTS_DATABASE_URL": urls["insights"],
            "INSIGHTS_CLOSE_AFTER_MINUTES": "0",
            "INSIGHTS_K": "2",
            "INSIGHTS_EVERY_MINUTES": "0",
            **SCALED_DESK,
            "LEERWIJZER_HOST": "127.0.0.1",
            **{
                name: str(free_port())
                for name in (
                    "RASA_PORT",
                    "ACTION_PORT",
                    "CATALOG_PORT",
                    "BUDGET_PORT",
                    "WEB_PORT",
                    "DESK_PORT",
                )
            },  # fmt: skip
        }
        env.update(self.extra_env)
        for inherited in ("CATALOG_URL", "BUDGET_URL", "ACTION_SERVER_URL", "TRACKER_DB"):
            os.environ.pop(inherited, None)
        self.config = scaled_settings(env)
        self.stack = Stack(self.config, self.model, log_dir=self.log_dir, only=set(SERVICES))
        first = next(p for p in self.stack.processes if p.name == "rasa")
        first.name = "rasa-1"
        for number in range(2, self.rasa_instances + 1):
            self.stack.processes.append(rasa_instance(first, number, free_port()))
        self.nginx = ThrowawayNginx(
            [f"127.0.0.1:{p.port}" for p in self.rasa_processes],
            desk=f"127.0.0.1:{self.config.desk_port}",
        )
        # The desk calls the assistant through nginx: any Rasa server may take its messages.
        os.environ["ASSISTANT_URL"] = self.nginx.url
        self.stack.start(timeout=timeout, report=report)
        self.nginx.start()
        report(f"  ready: nginx    port {self.nginx.port} ({time.monotonic() - started:.0f} s)")
        return self

    @property
    def rasa_processes(self) -> list[Process]:
        return [p for p in self.stack.processes if p.name.startswith("rasa")] if self.stack else []

    def kill(self, name: str) -> None:
        """SIGKILL one Rasa server and its process group: a crash, nothing is flushed."""
        process = next(p for p in self.rasa_processes if p.name == name)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.popen.pid, signal.SIGKILL)
        process.popen.wait()

    def upstream_names(self) -> dict[str, str]:
        return {f"127.0.0.1:{p.port}": p.name for p in self.rasa_processes}

    def stored_conversations(self, senders: list[str]) -> dict[str, list[dict]]:
        """Every stored event of these conversations, in insertion order, from PostgreSQL."""
        rows = self.postgres.psql(
            "SELECT sender_id, id, data FROM events WHERE sender_id LIKE 'scale-%' ORDER BY id",
            database="tracker",
        )
        wanted = set(senders)
        events: dict[str, list[dict]] = {s: [] for s in senders}
        for line in rows.splitlines():
            sender, _, rest = line.partition("|")
            _, _, data = rest.partition("|")
            if sender in wanted:
                events[sender].append(json.loads(data))
        return events

    def stop(self) -> None:
        for part in (self.nginx, self.stack, self.rabbitmq, self.redis, self.postgres):
            if part is not None:
                with contextlib.suppress(Exception):
                    part.stop()
        settings.cache_clear()

    def __enter__(self) -> ScaleStack:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def rasa_instance(first: Process, number: int, port: int) -> Process:
    """Another Rasa server like `first` (same model, endpoints and token) on `port`."""
    argv = list(first.argv)
    argv[argv.index("--port") + 1] = str(port)
    health = first.health_url.replace(f":{first.port}/", f":{port}/")
    return dataclasses.replace(
        first,
        name=f"rasa-{number}",
        argv=argv,
        port=port,
        health_url=health,
        popen=None,
        log_path=None,
    )


LOCK_ERRORS = ("LockError", "Could not acquire lock")


def rasa_log_errors(stack: ScaleStack, markers: tuple[str, ...] = LOCK_ERRORS) -> list[str]:
    """Lines of the Rasa logs with one of `markers` (by default lock errors: there must be
    none)."""
    found = []
    for process in stack.rasa_processes:
        if process.log_path and process.log_path.exists():
            for line in process.log_path.read_text(errors="replace").splitlines():
                if any(marker in line for marker in markers):
                    found.append(f"{process.name}: {line}")
    return found


def wait_healthy(url: str, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if healthy(url):
            return True
        time.sleep(0.2)
    return False


# -- the client ----------------------------------------------------------------------------------


@dataclass
class Turn:
    text: str
    answers: list[dict]
    upstream: str
    latency: float
    attempts: int = 1
    recovered_from_tracker: bool = False
    failures: list[str] = field(default_factory=list)
    finished_at: float = field(default_factory=time.monotonic)

    @property
    def started_at(self) -> float:
        return self.finished_at - self.latency


class Citizen:
    """One REST conversation through the proxy, with the resend-only-if-not-recorded protocol."""

    def __init__(
        self,
        session: aiohttp.ClientSession,
        base_url: str,
        token: str,
        sender: str,
        doubt_seconds: float = 300.0,
    ) -> None:
        self.session = session
        self.base_url = base_url
        self.token = token
        self.sender = sender
        self.turns: list[Turn] = []
        self.doubt_seconds = doubt_seconds

    async def say(self, text: str, max_attempts: int = 4) -> Turn:
        """Send one message; answers exactly once whatever server fails (docs/operations.md)."""
        started = time.monotonic()
        failures: list[str] = []
        for attempt in range(1, max_attempts + 1):
            in_doubt = False  # the server may still be working on the message
            try:
                async with self.session.post(
                    f"{self.base_url}/webhooks/rest/webhook",
                    json={"sender": self.sender, "message": text},
                    headers={CONVERSATION_HEADER: self.sender},
                ) as response:
                    # "a, b" when nginx passed a refused connection on: b answered.
                    upstream = response.headers.get(UPSTREAM_HEADER, "").split(",")[-1].strip()
                    if response.status == 200:
                        answers = await response.json()
                        turn = Turn(text, answers, upstream, time.monotonic() - started, attempt)
                        turn.failures = failures
                        self.turns.append(turn)
                        return turn
                    failures.append(f"{response.status} from {upstream or 'proxy'}")
                    if response.status not in RETRY_STATUSES:
                        raise RuntimeError(f"{self.sender}: {text!r} got {response.status}")
                    in_doubt = response.status == 504
            except asyncio.TimeoutError:
                failures.append("client timeout")
                in_doubt = True
            except aiohttp.ClientConnectionError as exc:
                failures.append(type(exc).__name__)
            # 502/503 or a broken connection: the server that had the message is gone, so the
            # conversation shows at once whether it was recorded. 504 or a client timeout: it
            # may still be running, so wait until it is recorded or its lock has surely expired.
            waited = 0.0
            while True:
                recorded = await self.recorded_answers()
                if recorded is not None:
                    turn = Turn(text, recorded, "tracker", time.monotonic() - started, attempt)
                    turn.recovered_from_tracker, turn.failures = True, failures
                    self.turns.append(turn)
                    return turn
                if not in_doubt or waited >= self.doubt_seconds:
                    break
                await asyncio.sleep(1.0)
                waited += 1.0
            await asyncio.sleep(0.2 * attempt)
        raise RuntimeError(f"{self.sender}: {text!r} failed {max_attempts} times: {failures}")

    async def recorded_answers(self) -> list[dict] | None:
        """The bot's answers to the latest message when the conversation has recorded it."""
        for _ in range(60):  # nginx may have no live server for a few seconds after a crash
            try:
                async with self.session.get(
                    f"{self.base_url}/conversations/{self.sender}/tracker",
                    params={"token": self.token},
                    headers={CONVERSATION_HEADER: self.sender},
                ) as response:
                    if response.status == 200:
                        events = (await response.json()).get("events") or []
                        break
            except (aiohttp.ClientConnectionError, asyncio.TimeoutError):
                pass
            await asyncio.sleep(1.0)
        else:
            raise RuntimeError(f"{self.sender}: the conversation could not be read")
        user_events = [i for i, e in enumerate(events) if e.get("event") == "user"]
        if len(user_events) <= len(self.turns):
            return None  # not recorded: safe to resend
        return [bot_message(e) for e in events[user_events[-1] + 1 :] if e.get("event") == "bot"]


def bot_message(event: dict) -> dict:
    data = event.get("data") or {}
    message = {"recipient_id": "", "text": event.get("text")}
    if data.get("buttons"):
        message["buttons"] = data["buttons"]
    return message


def answer_texts(answers: list[dict]) -> list[str]:
    return [a.get("text") or "" for a in answers]


def buttons(answers: list[dict]) -> list[dict]:
    return [b for a in answers for b in a.get("buttons") or []]


SEARCHES = [
    ("computercursus", "Breda"),
    ("cursus Nederlands", "Roosendaal"),
    ("computercursus", "Tilburg"),
    ("taalcursus", "Breda"),
    ("cursus rekenen", "Bergen op Zoom"),
    ("computercursus", "Etten-Leur"),
]


async def course_search(
    citizen: Citizen, rng: random.Random, think: tuple[float, float], follow_ups: int = 3
) -> None:
    """A realistic conversation: greet, a course search with a place, then `follow_ups` of
    (course details, more results, thanks), each after a pause of `think` seconds."""

    async def pause() -> None:
        await asyncio.sleep(rng.uniform(*think))

    await citizen.say(rng.choice(["hallo", "goedemiddag", "hoi"]))
    await pause()
    topic, place = rng.choice(SEARCHES)
    found = await citizen.say(f"Ik zoek een {topic} in {place}")
    payloads = [b["payload"] for b in buttons(found.answers)]
    details = next((p for p in payloads if p.startswith("/course_details")), None)
    steps = [details or "/more_results", "/more_results", rng.choice(["dank u wel", "bedankt"])]
    if follow_ups == 1:
        steps = [rng.choice(steps[:2])]
    for message in steps[:follow_ups]:
        await pause()
        await citizen.say(message)


@contextlib.contextmanager
def timed() -> Iterator[dict]:
    result: dict[str, float] = {}
    started = time.monotonic()
    try:
        yield result
    finally:
        result["seconds"] = time.monotonic() - started


# -- the web widget's Socket.IO, spoken by hand -------------------------------------------------


@dataclass
class SocketIOVisit:
    """One widget visit over Socket.IO: connect, `session_request`, one message and its first
    answer (web/widget/conversation.js), with the server and cookies of every HTTP response."""

    transport: str  # "polling" (a handshake, then one request per exchange) or "websocket"
    session_id: str = field(default_factory=lambda: uuid.uuid4().hex)
    upstreams: list[str] = field(default_factory=list)
    cookies: list[str] = field(default_factory=list)
    answer: str | None = None


async def socketio_visit(
    base_url: str,
    text: str,
    transport: str = "polling",
    local_address: str | None = None,
    timeout: float = 60.0,
) -> SocketIOVisit:
    """Engine.IO 4 / Socket.IO 5, as the widget's Socket.IO client sends it, from
    `local_address` (any 127.x.y.z on loopback: a citizen's own address)."""
    visit = SocketIOVisit(transport)

    async def response_seen(_session, _context, params) -> None:  # noqa: ANN001
        headers = params.response.headers
        # "a, b" when nginx passed a refused connection on: b answered.
        visit.upstreams.append(headers.get(UPSTREAM_HEADER, "").split(",")[-1].strip())
        visit.cookies.extend(headers.getall("Set-Cookie", []))

    trace = aiohttp.TraceConfig()
    trace.on_request_end.append(response_seen)
    connector = aiohttp.TCPConnector(local_addr=(local_address, 0) if local_address else None)
    async with aiohttp.ClientSession(
        connector=connector,
        trace_configs=[trace],
        timeout=aiohttp.ClientTimeout(total=timeout),
    ) as session:
        url = f"{base_url}/socket.io/"
        channel = _Polling(session, url) if transport == "polling" else _WebSocket(session, url)
        try:
            await channel.open()
            await channel.send("40")  # connect to the namespace "/"
            await _receive(channel, lambda packet: packet.startswith("40"))
            await channel.send(_event("session_request", {"session_id": visit.session_id}))
            await _receive(channel, _is_event("session_confirm"))
            message = {"message": text, "session_id": visit.session_id, "metadata": {}}
            await channel.send(_event("user_uttered", message))
            answer = await _receive(channel, _is_event("bot_uttered"))
            visit.answer = json.loads(answer[2:])[1].get("text")
        finally:
            await channel.close()
    return visit


def _event(name: str, data: object) -> str:
    return "42" + json.dumps([name, data])


def _is_event(name: str) -> Callable[[str], bool]:
    return lambda packet: packet.startswith(f'42["{name}"')


async def _receive(channel: _Polling | _WebSocket, wanted: Callable[[str], bool]) -> str:
    """The next packet that `wanted` accepts; answers the server's pings on the way."""
    while True:
        for packet in await channel.receive():
            if packet == "2":
                await channel.send("3")
            elif wanted(packet):
                return packet


class _Polling:
    """Engine.IO long polling: GET receives, POST sends; every request after the handshake
    carries the session's `sid`, so each must reach the server of the handshake."""

    def __init__(self, session: aiohttp.ClientSession, url: str) -> None:
        self.session = session
        self.url = url
        self.params = {"EIO": "4", "transport": "polling"}

    async def open(self) -> None:
        handshake = (await self.receive())[0]
        if not handshake.startswith("0"):
            raise RuntimeError(f"no Engine.IO handshake: {handshake[:200]!r}")
        self.params["sid"] = json.loads(handshake[1:])["sid"]

    async def receive(self) -> list[str]:
        params = {**self.params, "t": uuid.uuid4().hex[:7]}  # like the client's cache buster
        async with self.session.get(self.url, params=params) as response:
            body = await response.text()
            if response.status != 200:
                raise RuntimeError(f"GET {response.status}: {body[:200]}")
        return body.split("\x1e")

    async def send(self, packet: str) -> None:
        params = {**self.params, "t": uuid.uuid4().hex[:7]}
        async with self.session.post(
            self.url, params=params, data=packet, headers={"Content-Type": "text/plain"}
        ) as response:
            body = await response.text()
            if response.status != 200:
                raise RuntimeError(f"POST {response.status}: {body[:200]}")

    async def close(self) -> None:
        if "sid" in self.params:
            with contextlib.suppress(aiohttp.ClientError, RuntimeError, asyncio.TimeoutError):
                await self.send("1")


class _WebSocket:
    """Engine.IO over one WebSocket from the start, as the widget tries first."""

    def __init__(self, session: aiohttp.ClientSession, url: str) -> None:
        self.session = session
        self.url = url
        self.socket: aiohttp.ClientWebSocketResponse | None = None

    async def open(self) -> None:
        self.socket = await self.session.ws_connect(
            self.url, params={"EIO": "4", "transport": "websocket"}
        )
        handshake = (await self.receive())[0]
        if not handshake.startswith("0"):
            raise RuntimeError(f"no Engine.IO handshake: {handshake[:200]!r}")

    async def receive(self) -> list[str]:
        assert self.socket is not None
        message = await self.socket.receive()
        if message.type != aiohttp.WSMsgType.TEXT:
            raise RuntimeError(f"WebSocket closed: {message.type.name}")
        return [message.data]

    async def send(self, packet: str) -> None:
        assert self.socket is not None
        await self.socket.send_str(packet)

    async def close(self) -> None:
        if self.socket is not None:
            await self.socket.close()
