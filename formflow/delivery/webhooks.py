"""Webhooks: signed JSON POSTs, sent only where it is safe to send them.

A webhook call carries the canonical JSON of the payload (`canonical_json`) and::

    Content-Type: application/json
    Idempotency-Key: <the outbox message's key: drop a call you have already seen>
    X-Formflow-Timestamp: <Unix time of this attempt>
    X-Formflow-Signature: sha256=<hex HMAC-SHA256 of "<timestamp>.<body>" with the secret>

the last two when the workflow names a ``secret``. A receiver checks them with
`verify_signature` (or the same three lines in its own language) and refuses
timestamps more than a few minutes old, so a captured call cannot be replayed later.

Webhook URLs are templates: a citizen's answer can end up in them. Before any call,
`vet_url` refuses schemes other than http(s) and hosts resolving to loopback, private,
link-local or otherwise non-public addresses (SSRF: making the server call into the
internal network), and `WebhookSender` then connects to the vetted address itself.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import ipaddress
import os
import socket
import time
from collections.abc import Callable, Mapping, Sequence
from types import TracebackType
from typing import Any

import httpx

from formflow.definitions.sites import SiteDefinition
from formflow.delivery.base import DeliveryError, WebhookRequest
from formflow.engine.effects import canonical_json

__all__ = [
    "SIGNATURE_HEADER",
    "TIMESTAMP_HEADER",
    "WebhookSender",
    "build_request",
    "resolve_secret",
    "sign",
    "verify_signature",
    "vet_url",
]

SIGNATURE_HEADER = "X-Formflow-Signature"
TIMESTAMP_HEADER = "X-Formflow-Timestamp"

#: ``(host, port) -> IP addresses``; `socket.getaddrinfo` by default.
Resolver = Callable[[str, int], Sequence[str]]


def sign(secret: bytes, timestamp: str, body: bytes) -> str:
    """The signature header value of ``body`` sent at ``timestamp``.

    >>> sign(b"s3cret", "1767600000", b'{"a":1}')
    'sha256=8c144b950650b4ef3df63baa99839407646f6e136258e6a48af5ca6868643d00'
    """
    mac = hmac.new(secret, timestamp.encode("ascii") + b"." + body, hashlib.sha256)
    return f"sha256={mac.hexdigest()}"


def verify_signature(
    secret: bytes,
    timestamp: str,
    body: bytes,
    signature: str,
    *,
    now: float | None = None,
    max_age: float = 300.0,
) -> bool:
    """What a receiver checks: the signature matches, and the call is recent.

    ``now`` (Unix time) defaults to the current time; a timestamp further than
    ``max_age`` seconds from it is refused, so a captured call cannot be replayed.

    >>> body = b'{"case":"c1"}'
    >>> verify_signature(b"k", "1000", body, sign(b"k", "1000", body), now=1100)
    True
    >>> verify_signature(b"k", "1000", body, sign(b"k", "1000", body), now=5000)
    False
    >>> verify_signature(b"other", "1000", body, sign(b"k", "1000", body), now=1000)
    False
    """
    try:
        sent = int(timestamp)
    except ValueError:
        return False
    if abs((time.time() if now is None else now) - sent) > max_age:
        return False
    return hmac.compare_digest(sign(secret, timestamp, body), signature)


def resolve_secret(
    site: SiteDefinition, name: str, environ: Mapping[str, str] = os.environ
) -> bytes:
    """The value of the site's secret ``name`` (``secrets: {name: env:VARIABLE}``).

    Read at each call, so a rotated secret applies without a restart. A secret that is
    not declared, or whose variable is unset or empty, is a permanent `DeliveryError`
    naming the variable (never its value).
    """
    reference = site.secrets.get(name)
    if reference is None:
        raise DeliveryError(
            f"secret {name!r} is not declared in the site file's secrets", permanent=True
        )
    variable = reference.removeprefix("env:")
    value = environ.get(variable)
    if not value:
        raise DeliveryError(
            f"environment variable {variable} (secret {name!r}) is not set", permanent=True
        )
    return value.encode()


def _getaddrinfo(host: str, port: int) -> list[str]:
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


def _non_public(address: str) -> str | None:
    """What is wrong with ``address`` as a webhook target, or None if it is public."""
    ip = ipaddress.ip_address(address)
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped  # ::ffff:127.0.0.1 is 127.0.0.1
    for kind in ("loopback", "link_local", "multicast", "unspecified", "reserved", "private"):
        if getattr(ip, f"is_{kind}"):
            return kind.replace("_", "-")
    # Shared (100.64/10), documentation and other special ranges are not global.
    return None if ip.is_global else "non-public"


def vet_url(
    url: str, *, allow_private_networks: bool = False, resolve: Resolver = _getaddrinfo
) -> tuple[str, ...]:
    """The addresses a webhook to ``url`` may connect to; `DeliveryError` if none.

    >>> vet_url("ftp://example.org/x")
    Traceback (most recent call last):
    ...
    formflow.delivery.base.DeliveryError: webhook URLs must be http or https, not 'ftp'
    >>> vet_url("http://127.0.0.1:8080/hook")
    Traceback (most recent call last):
    ...
    formflow.delivery.base.DeliveryError: the webhook host resolves to a loopback address: refused
    >>> vet_url("http://127.0.0.1:8080/hook", allow_private_networks=True)
    ('127.0.0.1',)
    """
    try:
        parsed = httpx.URL(url)
    except (httpx.InvalidURL, TypeError):
        raise DeliveryError("invalid webhook URL", permanent=True) from None
    if parsed.scheme not in ("http", "https"):
        raise DeliveryError(
            f"webhook URLs must be http or https, not {parsed.scheme[:10]!r}", permanent=True
        )
    if not parsed.raw_host:
        raise DeliveryError("webhook URL without a host", permanent=True)
    host = parsed.raw_host.decode("ascii")
    port = parsed.port or (443 if parsed.scheme == "https" else 80)
    try:
        addresses = tuple(resolve(host, port))
    except (OSError, UnicodeError) as exc:
        # A DNS failure is usually an outage, or a typo someone will fix: try again.
        raise DeliveryError(f"cannot resolve the webhook host ({type(exc).__name__})") from None
    if not addresses:
        raise DeliveryError("the webhook host has no address")
    if not allow_private_networks:
        for address in addresses:
            # One bad address is enough to refuse: a name may round-robin onto it.
            problem = _non_public(address)
            if problem is not None:
                raise DeliveryError(
                    f"the webhook host resolves to a {problem} address: refused", permanent=True
                )
    return addresses


def build_request(
    url: str,
    content: Any,
    *,
    idempotency_key: str,
    secret: bytes | None,
    now: dt.datetime,
    addresses: tuple[str, ...],
) -> WebhookRequest:
    """The request of one attempt: canonical JSON body, headers, signature if a secret.

    >>> request = build_request("https://hooks.example/x", {"b": 1, "a": "é"},
    ...     idempotency_key="k1", secret=b"s", addresses=("203.0.113.7",),
    ...     now=dt.datetime(2026, 1, 5, tzinfo=dt.UTC))
    >>> request.body.decode(), request.headers["X-Formflow-Timestamp"]
    ('{"a":"é","b":1}', '1767571200')
    >>> request.headers["X-Formflow-Signature"] == sign(b"s", "1767571200", request.body)
    True
    """
    body = canonical_json(content)
    timestamp = str(int(now.timestamp()))
    headers = {
        "Content-Type": "application/json",
        "Idempotency-Key": idempotency_key,
        "User-Agent": "formflow-webhooks",
        TIMESTAMP_HEADER: timestamp,
    }
    if secret is not None:
        headers[SIGNATURE_HEADER] = sign(secret, timestamp, body)
    return WebhookRequest(url, addresses, body, headers)


def _retry_after(response: httpx.Response) -> dt.timedelta | None:
    value = response.headers.get("Retry-After", "")
    # Seconds only: the HTTP-date form is rare for APIs, and the backoff covers it.
    return dt.timedelta(seconds=int(value)) if value.isdigit() else None


class WebhookSender:
    """A `WebhookTransport` on httpx; redirects are never followed.

    Without a ``client``, it makes one with ``timeout`` seconds and no proxy from the
    environment (a proxy would resolve names itself, out of `vet_url`'s sight); pass
    your own client to use a proxy. Close it with `close` or a ``with`` block.

    It connects to the vetted address and sends the URL's host in ``Host`` and, for
    https, in the TLS SNI, where the certificate is checked against it.

    httpx logs every request's URL at INFO on the ``httpx`` logger; URLs may carry
    tokens, so a deployment keeps that logger at WARNING.
    """

    def __init__(self, client: httpx.Client | None = None, *, timeout: float = 10.0) -> None:
        self._owns_client = client is None
        self._client = client or httpx.Client(
            timeout=timeout, follow_redirects=False, trust_env=False
        )

    def close(self) -> None:
        """Close the client if this sender made it."""
        if self._owns_client:
            self._client.close()

    def __enter__(self) -> WebhookSender:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def post(self, request: WebhookRequest) -> None:
        """POST ``request``; returns on 2xx, raises `DeliveryError` otherwise."""
        url = httpx.URL(request.url)
        host = (url.raw_host or b"").decode("ascii")
        headers = {**request.headers, "Host": url.netloc.decode("ascii")}
        extensions = {"sni_hostname": host} if url.scheme == "https" else {}
        status: int | None = None
        retry_after: dt.timedelta | None = None
        for index, address in enumerate(request.addresses):
            outgoing = self._client.build_request(
                "POST",
                url.copy_with(host=address),
                content=request.body,
                headers=headers,
                extensions=extensions,
            )
            try:
                # Streamed and closed unread: the answer's body is of no use to us.
                response = self._client.send(outgoing, stream=True)
                response.close()
                status, retry_after = response.status_code, _retry_after(response)
                break
            except httpx.ConnectError as exc:
                if index == len(request.addresses) - 1:
                    raise DeliveryError(_connect_failure(exc)) from None
            except httpx.TimeoutException:
                raise DeliveryError("the webhook host did not answer in time") from None
            except httpx.TransportError as exc:
                raise DeliveryError(f"webhook call failed ({type(exc).__name__})") from None
        if status is None:
            raise DeliveryError("the webhook host has no address", permanent=True)
        _check_status(status, retry_after)


def _connect_failure(exc: httpx.ConnectError) -> str:
    # httpx wraps the ssl error; its text is the only portable way to tell them apart.
    if "CERTIFICATE_VERIFY_FAILED" in str(exc):
        return "the webhook host's TLS certificate is not valid for its name"
    return "cannot connect to the webhook host"


def _check_status(status: int, retry_after: dt.timedelta | None) -> None:
    if 200 <= status < 300:
        return
    if status in (408, 429) or status >= 500:
        raise DeliveryError(f"HTTP {status}", retry_after=retry_after)
    if 300 <= status < 400:
        raise DeliveryError(
            f"HTTP {status}: webhooks do not follow redirects, update the URL", permanent=True
        )
    raise DeliveryError(f"HTTP {status}", permanent=True)
