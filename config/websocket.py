"""The WebSocket Origin check: a socket is accepted only from this site's own pages.

Channels' ``AllowedHostsOriginValidator`` compares only the Origin's host name with
``ALLOWED_HOSTS``, so a page on ``http://decoupled.example.org:8080`` (another service on the
same host) or plain-http ``http://decoupled.example.org`` could open a learner's socket. This
validator compares scheme, host and port, the way Django's CSRF check compares a POST's Origin:

- the page's own origin: the Origin equals ``<scheme>://<Host header>``, where the Host is one
  of ``ALLOWED_HOSTS`` and the scheme is ``https`` when the site runs on HTTPS (a secure scope,
  the proxy's ``SECURE_PROXY_SSL_HEADER``, or secure-only cookies) and ``http`` otherwise;
- or an origin listed in ``CSRF_TRUSTED_ORIGINS`` (``https://decoupled.example.org``, or
  ``https://*.example.org`` for its subdomains), for proxies that rewrite the Host header.

Everything else behaves as before: no Origin is refused, a refused socket is closed (HTTP 403)
before any consumer runs, and DEBUG with empty ``ALLOWED_HOSTS`` allows the local hosts.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from channels.security.websocket import WebsocketDenier
from django.conf import settings
from django.http.request import split_domain_port, validate_host

DEFAULT_PORTS = {"http": 80, "https": 443}
DEBUG_HOSTS = [".localhost", "127.0.0.1", "[::1]"]  # Django's own default under DEBUG


def _header(scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", []):
        if key == name:
            return value.decode("latin1")
    return None


def _origin(text: str) -> tuple[str, str, int] | None:
    """(scheme, host, port) of an origin such as ``https://example.org:8443``; None if malformed."""
    try:
        parts = urlsplit(text.strip().lower())
        port = parts.port
    except ValueError:
        return None
    if parts.scheme not in DEFAULT_PORTS or not parts.hostname:
        return None
    return parts.scheme, parts.hostname, port or DEFAULT_PORTS[parts.scheme]


def _secure(scope) -> bool:
    """Whether the page that opened this socket was served over HTTPS."""
    if scope.get("scheme") in {"wss", "https"}:
        return True
    proxy = getattr(settings, "SECURE_PROXY_SSL_HEADER", None)
    if proxy:
        name, expected = proxy
        header = name.removeprefix("HTTP_").replace("_", "-").lower().encode("latin1")
        if (_header(scope, header) or "").split(",")[0].strip() == expected:
            return True
    # Secure-only cookies: the site is served on HTTPS only, so its pages have https origins.
    return bool(settings.SESSION_COOKIE_SECURE)


def _own_origin(scope) -> tuple[str, str, int] | None:
    """The origin of this site's pages, as the browser reached this server; None if unknown."""
    host = _header(scope, b"host")
    if not host:
        return None
    domain, port = split_domain_port(host.lower())
    allowed = settings.ALLOWED_HOSTS or (DEBUG_HOSTS if settings.DEBUG else [])
    if not domain or not validate_host(domain, allowed):
        return None
    scheme = "https" if _secure(scope) else "http"
    return _origin(f"{scheme}://{host}")


def _trusted(origin: tuple[str, str, int]) -> bool:
    scheme, host, port = origin
    for pattern in settings.CSRF_TRUSTED_ORIGINS:
        wildcard = "://*." in pattern
        trusted = _origin(pattern.replace("://*.", "://", 1))
        if trusted is None or trusted[0] != scheme or trusted[2] != port:
            continue
        if host == trusted[1] or (wildcard and host.endswith("." + trusted[1])):
            return True
    return False


def websocket_origin_allowed(scope) -> bool:
    """True when the socket's Origin is this site's own (scheme, host and port) or trusted."""
    text = _header(scope, b"origin")
    origin = _origin(text) if text else None
    if origin is None:
        return False
    return origin == _own_origin(scope) or _trusted(origin)


class SiteOriginValidator:
    """ASGI wrapper: refuse a WebSocket whose Origin is not this site's (see the module doc)."""

    def __init__(self, application):
        self.application = application

    async def __call__(self, scope, receive, send):
        if scope["type"] != "websocket":
            raise ValueError("SiteOriginValidator only guards WebSocket connections")
        if websocket_origin_allowed(scope):
            return await self.application(scope, receive, send)
        return await WebsocketDenier()(scope, receive, send)
