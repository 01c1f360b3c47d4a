"""Serving web/ in production: deploy/nginx, the image, Compose and Kubernetes agree.

Docker and Kubernetes cannot run here; these checks keep the files consistent with each other,
with web/ and with the development server (bot/web_server.py). The running proof, Debian's
nginx in front of the stack with Chromium, is tests/browser/test_production_nginx.py.
"""

from __future__ import annotations

import re
import shlex
import subprocess
from pathlib import Path
from types import SimpleNamespace

import yaml

from bot.launcher import StackError
from bot.settings import PROJECT_ROOT
from bot.web_server import WEB_ROOT, browser_config, security_headers
from tests.support.binaries import missing_binary
from tools.scale import (
    PRODUCTION_ACCESS_LOG,
    PRODUCTION_DESK,
    PRODUCTION_NGINX,
    PRODUCTION_SERVER,
    nginx_binary,
)

DEPLOY = PROJECT_ROOT / "deploy"
MAIN_NGINX = DEPLOY / "nginx" / "nginx.conf"
DOCKERFILE = DEPLOY / "docker" / "Dockerfile"
COMPOSE = DEPLOY / "docker" / "docker-compose.yml"
K8S = DEPLOY / "k8s" / "leerwijzer.yaml"
# Locations that pass requests on to Rasa or the desk; every other location serves web/.
PROXIED_LOCATIONS = {"/socket.io/", "/", "/desk/"}


def without_comments(text: str) -> str:
    return "\n".join(re.sub(r"(^|\s)#.*$", "", line) for line in text.splitlines())


def rules() -> str:
    return without_comments(PRODUCTION_NGINX.read_text(encoding="utf-8"))


def server_block() -> str:
    text = rules()
    return text[text.index("server {") :]


def server_level(text: str) -> str:
    """The server block without its location blocks: what every location inherits."""
    return re.sub(r"\n\s*location [^{]*\{[^{}]*\}", "", text)


def locations() -> dict[tuple[str, str], str]:
    """(modifier, path) -> body of every location block ("=" or "" for a prefix)."""
    return {
        (match["modifier"] or "", match["path"]): match["body"]
        for match in re.finditer(
            r"location (?:(?P<modifier>=) )?(?P<path>\S+) \{(?P<body>[^{}]*)\}", server_block()
        )
    }


def static_locations() -> dict[tuple[str, str], str]:
    return {
        key: body
        for key, body in locations().items()
        if not (key[0] == "" and key[1] in PROXIED_LOCATIONS)
    }


def directive(text: str, name: str) -> list[str]:
    """The arguments of every `name ...;` directive in `text`, as written."""
    pattern = rf"(?m)^\s*{name}\s+((?:[^;\"]|\"[^\"]*\")*);"
    return [match[1].strip() for match in re.finditer(pattern, text)]


def dockerfile_copies(stage: str) -> list[list[str]]:
    """The COPY instructions (their arguments) of one stage of the Dockerfile."""
    text = DOCKERFILE.read_text(encoding="utf-8")
    stages = re.split(r"(?m)^FROM ", text)
    body = next(s for s in stages if re.fullmatch(rf"\S+ AS {stage}", s.splitlines()[0]))
    return [line.split()[1:] for line in body.splitlines() if line.startswith("COPY ")]


def csp(policy: str) -> dict[str, list[str]]:
    directives = [part.strip().split() for part in policy.split(";") if part.strip()]
    return {name: values for name, *values in directives}


# -- the same security headers as in development ---------------------------------------------


def test_nginx_sends_the_security_headers_of_the_development_server():
    """One source: bot/web_server.py's security_headers(). In production the pages reach Rasa
    through their own origin, so connect-src lacks only the Rasa port of development."""
    sent = {}
    for arguments in directive(server_level(server_block()), "add_header"):
        name, value, *flags = shlex.split(arguments)
        assert flags == ["always"], f"{name}: on error pages too"
        sent[name] = value
    assert sent == security_headers()

    production, development = (
        csp(sent["Content-Security-Policy"]),
        csp(security_headers(5005)["Content-Security-Policy"]),
    )
    assert production.keys() == development.keys()
    assert {k: v for k, v in production.items() if k != "connect-src"} == {
        k: v for k, v in development.items() if k != "connect-src"
    }
    assert production["connect-src"] == ["'self'"]
    assert development["connect-src"] == [
        "'self'",
        *(f"{scheme}://*:5005" for scheme in ("http", "https", "ws", "wss")),
    ]


def test_every_location_inherits_the_security_headers():
    """nginx drops the server's add_header lines in a location that has one of its own. Only
    /desk/ has one, which adds nothing (an empty value): the desk sends its own headers, each
    of these among them, and nginx must not add a second copy."""
    from services.desk.app import SECURITY_HEADERS

    own = {path: body for (_, path), body in locations().items() if "add_header" in body}
    assert list(own) == ["/desk/"]
    (arguments,) = directive(own["/desk/"], "add_header")
    assert shlex.split(arguments)[1:] == [""]
    assert set(security_headers()) <= set(SECURITY_HEADERS)


def test_config_js_points_the_pages_at_their_own_origin():
    """The global the development server's /config.js sets, with the page's own origin as the
    Rasa address (no port, no token); a page's own LEERWIJZER_CONFIG.serverUrl wins."""
    (script,) = shlex.split(directive(static_locations()[("=", "/config.js")], "return")[0])[1:]
    development = browser_config(SimpleNamespace(rasa_port=5005))
    assert "window.LEERWIJZER_CONFIG = Object.assign(" in development
    assert script.startswith("window.LEERWIJZER_CONFIG = Object(window.LEERWIJZER_CONFIG);")
    assert (
        "window.LEERWIJZER_CONFIG.serverUrl = window.LEERWIJZER_CONFIG.serverUrl"
        " || window.location.origin;"
    ) in script
    assert not re.search(r"\d|token|\$", script, re.IGNORECASE)


# -- web/ and the static locations ------------------------------------------------------------


def test_the_static_locations_serve_all_of_web_and_nothing_else():
    """Every file and folder of web/ has a location (a new one needs one in leerwijzer.conf
    and in the web Ingress), except the build script. The desk's pages are not in web/: the
    desk serves them at /desk/."""
    served = {path.strip("/").split("/")[0] for (_, path) in static_locations()}
    present = {p.name for p in WEB_ROOT.iterdir()} - {"build.mjs"}
    assert present - served == set()
    # Besides: "/" (index.html), config.js (nginx answers it), vendor/ (web/build.mjs writes
    # it; git-ignored) and themes/ (a library's own tokens, docs/widget-and-kiosk.md).
    assert served - present - {"", "config.js", "vendor", "themes"} == set()
    assert directive(static_locations()[("=", "/")], "try_files") == ["/index.html =404"]


def test_caching_long_for_vendor_and_revalidated_for_the_rest():
    expires = {path: directive(body, "expires") for (_, path), body in static_locations().items()}
    assert expires.pop("/vendor/") == ["7d"]
    expires.pop("/kiosk")  # the redirect to /kiosk/
    assert expires == {path: ["epoch"] for path in expires}  # Cache-Control: no-cache


def test_gzip_compresses_the_types_of_javascript_and_css():
    server = server_level(server_block())
    assert directive(server, "gzip") == ["on"]
    types = set(directive(server, "gzip_types")[0].split())
    mime = Path("/etc/nginx/mime.types")
    if mime.exists():  # Debian's nginx-common
        text = mime.read_text(encoding="utf-8")
        for extension in ("js", "css"):
            mapped = re.search(rf"(?m)^\s*(\S+)\s+[^;\n]*\b{extension}\b[^;\n]*;", text)
            assert mapped and mapped[1] in types, extension
    assert {"application/javascript", "text/javascript", "text/css"} <= types


# -- one config in the image, Compose and Kubernetes ------------------------------------------


def test_the_web_image_carries_the_config_and_web_where_the_config_expects_them():
    copies = {tuple(c[:-1]): c[-1] for c in dockerfile_copies("web")}
    conf = copies[("deploy/nginx/leerwijzer.conf",)]
    main = copies[("deploy/nginx/nginx.conf",)]
    web = copies[("--from=web-build", "/build/web")]
    assert main == "/etc/nginx/nginx.conf"
    # The main config includes conf.d/*.conf, where the rules go.
    included = directive(without_comments(MAIN_NGINX.read_text(encoding="utf-8")), "include")
    assert "/etc/nginx/conf.d/*.conf" in included
    assert Path(conf).parent == Path("/etc/nginx/conf.d") and conf.endswith(".conf")
    assert directive(server_block(), "root") == [web]
    # vendor/ is built in the image from the lock file, as `npm run build` does here.
    build = DOCKERFILE.read_text(encoding="utf-8")
    assert ["package.json", "package-lock.json", "./"] in dockerfile_copies("web-build")
    assert "npm ci" in build and "node web/build.mjs" in build
    # The Python image stays the default target: it is the last stage, on Ubuntu 22.04 LTS,
    # whose python3.10 still gets security fixes (docs/operations.md, "Python runtime").
    assert re.findall(r"(?m)^FROM (\S+)", build)[-1] == "ubuntu:22.04"
    assert "python3.10 -m venv" in build
    # Logs go to the container's output, in leerwijzer.conf's format only.
    assert directive(without_comments(MAIN_NGINX.read_text(encoding="utf-8")), "access_log") == []


def test_compose_runs_the_web_image_with_the_same_config_file():
    compose = yaml.safe_load(COMPOSE.read_text(encoding="utf-8"))
    nginx = compose["services"]["nginx"]
    assert nginx["build"]["target"] == "web"
    assert (
        COMPOSE.parent / nginx["build"]["context"] / nginx["build"]["dockerfile"]
    ).resolve() == (DOCKERFILE.resolve())
    assert nginx["image"].startswith("leerwijzer-web:")
    web_copies = {tuple(c[:-1]): c[-1] for c in dockerfile_copies("web")}
    (mount,) = nginx["volumes"]
    source, target, mode = mount.split(":")
    assert (COMPOSE.parent / source).resolve() == PRODUCTION_NGINX.resolve()
    assert target == web_copies[("deploy/nginx/leerwijzer.conf",)] and mode == "ro"
    assert nginx["ports"] == ["80:80"] and directive(server_block(), "listen") == ["80"]


def test_kubernetes_sends_exactly_the_static_paths_to_the_web_image():
    documents = list(yaml.safe_load_all(K8S.read_text(encoding="utf-8")))
    by_kind = {(d["kind"], d["metadata"]["name"]): d for d in documents}
    deployment = by_kind[("Deployment", "web")]
    (container,) = deployment["spec"]["template"]["spec"]["containers"]
    compose = yaml.safe_load(COMPOSE.read_text(encoding="utf-8"))
    assert container["image"].split(":")[0] == compose["services"]["nginx"]["image"].split(":")[0]
    assert container["ports"] == [{"containerPort": 80}]
    assert container["readinessProbe"]["httpGet"]["path"] == "/config.js"
    service = by_kind[("Service", "web")]
    assert service["spec"]["ports"] == [{"port": 80, "targetPort": 80}]

    paths = by_kind[("Ingress", "web")]["spec"]["rules"][0]["http"]["paths"]
    assert {p["backend"]["service"]["name"] for p in paths} == {"web"}
    routed = {("=" if p["pathType"] == "Exact" else "", p["path"]) for p in paths}
    assert routed == set(static_locations())
    # Rasa's paths (REST, webhooks, API, Socket.IO) still go straight to the rasa pods.
    rasa = by_kind[("Ingress", "rasa")]["spec"]["rules"][0]["http"]["paths"]
    assert [(p["path"], p["backend"]["service"]["name"]) for p in rasa] == [("/", "rasa")]
    # The site's own origin may open a socket: the kiosk and the pages are served there.
    host = by_kind[("Ingress", "web")]["spec"]["rules"][0]["host"]
    config = by_kind[("ConfigMap", "leerwijzer-config")]["data"]
    assert f"https://{host}" in config["CORS_ORIGINS"].split(",")


def test_nginx_accepts_the_image_config(tmp_path):
    """deploy/nginx/nginx.conf with leerwijzer.conf in conf.d, as in the image: Debian's nginx
    takes it (no directive twice, every module there). Paths that would touch this machine
    point into tmp_path; `rasa` and `desk` become loopback addresses."""
    try:
        nginx = nginx_binary()
    except StackError as exc:
        missing_binary(str(exc))
    (tmp_path / "conf.d").mkdir()
    conf = PRODUCTION_NGINX.read_text(encoding="utf-8")
    conf = PRODUCTION_SERVER.sub(r"\g<indent>server 127.0.0.1:5005\g<options>;", conf)
    conf = PRODUCTION_DESK.sub(r"\g<indent>server 127.0.0.1:8003\g<options>;", conf)
    conf = PRODUCTION_ACCESS_LOG.sub(f"access_log {tmp_path}/access.log leerwijzer;", conf)
    (tmp_path / "conf.d" / "leerwijzer.conf").write_text(conf, encoding="utf-8")
    main = MAIN_NGINX.read_text(encoding="utf-8")
    for path, replacement in {
        "/run/nginx.pid": f"{tmp_path}/nginx.pid",
        "/var/log/nginx/error.log": f"{tmp_path}/error.log",
        "/etc/nginx/conf.d/": f"{tmp_path}/conf.d/",
    }.items():
        assert path in main
        main = main.replace(path, replacement)
    (tmp_path / "nginx.conf").write_text(main, encoding="utf-8")
    checked = subprocess.run(
        [nginx, "-t", "-p", str(tmp_path), "-c", str(tmp_path / "nginx.conf")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert checked.returncode == 0, checked.stderr
    warnings = [line for line in checked.stderr.splitlines() if "[warn]" in line]
    assert [line for line in warnings if '"user" directive' not in line] == []
