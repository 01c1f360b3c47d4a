"""Static server for web/ that also answers /config.js from the settings.

The browser learns the Rasa server's port from /config.js, so the port lives in .env
only and nothing is generated into the source tree. Run: `python -m bot.web_server`.
"""

from __future__ import annotations

import contextlib
import functools
import json
import sys
from http import HTTPStatus
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer

from bot.settings import PROJECT_ROOT, Settings, settings

WEB_ROOT = PROJECT_ROOT / "web"


def browser_config(config: Settings) -> str:
    values = {"rasaPort": config.rasa_port}
    return (
        "// Served by bot/web_server.py from the settings.\n"
        f"window.LEERWIJZER_SERVER = {json.dumps(values)};\n"
        "window.LEERWIJZER_CONFIG = Object.assign({\n"
        "  serverUrl: window.location.protocol + '//' + window.location.hostname"
        " + ':' + window.LEERWIJZER_SERVER.rasaPort\n"
        "}, window.LEERWIJZER_CONFIG || {});\n"
    )


def content_security_policy(connect_sources: tuple[str, ...] = ()) -> str:
    """The one Content-Security-Policy of Leerwijzer's pages: our pages load only their own
    files and talk only to their own origin and to `connect_sources`."""
    connect = " ".join(("'self'", *connect_sources))
    return (
        f"default-src 'self'; connect-src {connect}; img-src 'self' data:; "
        "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
    )


def security_headers(rasa_port: int | None = None) -> dict[str, str]:
    """The security headers of every response of the web pages.

    Development (`rasa_port`): this server serves web/ and the browser talks to the Rasa
    server on its own port, so the pages may also connect to that port. Production (None):
    nginx serves web/ and passes /socket.io/ on to Rasa on the same origin, so 'self' is all
    they may connect to. deploy/nginx/leerwijzer.conf sends exactly these headers
    (tests/deploy/test_web_deploy.py checks it)."""
    schemes = () if rasa_port is None else ("http", "https", "ws", "wss")
    rasa = tuple(f"{scheme}://*:{rasa_port}" for scheme in schemes)
    return {
        "Content-Security-Policy": content_security_policy(rasa),
        "Referrer-Policy": "no-referrer",
        "X-Content-Type-Options": "nosniff",
    }


class WebHandler(SimpleHTTPRequestHandler):
    config_js = ""
    extra_headers: dict[str, str] = {}

    def do_GET(self) -> None:  # noqa: N802 - http.server's naming
        if self.path.split("?", 1)[0] == "/config.js":
            body = self.config_js.encode("utf-8")
            self.send_response(HTTPStatus.OK)
            self.send_header("Content-Type", "text/javascript; charset=utf-8")
            self.send_header("Cache-Control", "no-store")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            return
        super().do_GET()

    def end_headers(self) -> None:
        for name, value in self.extra_headers.items():
            self.send_header(name, value)
        super().end_headers()

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        # Request lines could carry personal data in query strings; log nothing.
        return


def main() -> int:
    config = settings()
    handler = functools.partial(WebHandler, directory=str(WEB_ROOT))
    WebHandler.config_js = browser_config(config)
    WebHandler.extra_headers = security_headers(config.rasa_port)
    server = ThreadingHTTPServer((config.host, config.web_port), handler)
    with contextlib.suppress(KeyboardInterrupt):
        server.serve_forever()
    return 0


if __name__ == "__main__":
    sys.exit(main())
