"""What the worker hands to transports, the transport protocols, and in-memory helpers.

A transport delivers one thing (an e-mail, a webhook call, a notification) and either
returns, meaning *delivered*, or raises `DeliveryError`, saying whether trying again
may help (``permanent=False``) or not. Any other exception is a bug or an outage the
transport did not foresee: the worker treats it as retryable.

Reasons are written for agents and operators and end up in logs: they never contain
payload contents (addresses, bodies, URLs) nor secrets.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

__all__ = [
    "DeliveryError",
    "Directory",
    "InMemoryMailer",
    "InMemoryNotifier",
    "Mail",
    "Mailer",
    "Notification",
    "Notifier",
    "StaticDirectory",
    "WebhookRequest",
    "WebhookTransport",
]


class DeliveryError(Exception):
    """A delivery attempt failed; ``permanent`` when retrying cannot help.

    >>> error = DeliveryError("HTTP 503", retry_after=dt.timedelta(seconds=60))
    >>> error.permanent, error.reason
    (False, 'HTTP 503')
    """

    def __init__(
        self, reason: str, *, permanent: bool = False, retry_after: dt.timedelta | None = None
    ) -> None:
        super().__init__(reason)
        #: Short, safe to log and to show agents: no payload contents, no secrets.
        self.reason = reason
        self.permanent = permanent
        #: The receiver asked for this delay (``Retry-After``); the worker honours it.
        self.retry_after = retry_after


@dataclass(frozen=True, slots=True)
class Mail:
    """One e-mail, recipients resolved to plain addresses."""

    to: tuple[str, ...]
    subject: str
    body: str
    reply_to: str | None
    #: The outbox message's key: the ``Message-ID`` is derived from it, so a retried
    #: e-mail carries the same id and mail clients show it once.
    idempotency_key: str
    #: When the message was created (the ``Date`` header): stable across retries.
    date: dt.datetime


@dataclass(frozen=True, slots=True)
class WebhookRequest:
    """A signed POST, ready to send (see `formflow.delivery.webhooks.build_request`)."""

    #: The URL as written by the workflow (http or https).
    url: str
    #: The vetted IP addresses ``url``'s host resolved to. A transport connects to one
    #: of them rather than resolving the name again, so a DNS answer that changes
    #: between the check and the connection cannot steer it to a private address.
    addresses: tuple[str, ...]
    body: bytes
    headers: Mapping[str, str]


@dataclass(frozen=True, slots=True)
class Notification:
    """A notification for a citizen's account."""

    user: str
    title: str
    message: str
    idempotency_key: str


@runtime_checkable
class Mailer(Protocol):
    """Sends e-mails; `formflow.delivery.smtp.SmtpMailer` is the real one."""

    def send(self, mail: Mail) -> None:
        """Deliver ``mail`` or raise `DeliveryError`."""


@runtime_checkable
class WebhookTransport(Protocol):
    """POSTs webhooks; `formflow.delivery.webhooks.WebhookSender` is the real one."""

    def post(self, request: WebhookRequest) -> None:
        """Deliver ``request`` (a 2xx answer) or raise `DeliveryError`."""


@runtime_checkable
class Notifier(Protocol):
    """Puts notifications in citizens' accounts (comes with the citizen accounts)."""

    def notify(self, notification: Notification) -> None:
        """Deliver ``notification`` or raise `DeliveryError`."""


@runtime_checkable
class Directory(Protocol):
    """Who plays a workflow role: the e-mail addresses of its agents."""

    def emails_for_role(self, site: str, form: str, role: str) -> list[str]:
        """Addresses of the agents playing ``role`` for ``form`` on ``site`` (maybe none)."""


class StaticDirectory:
    """A `Directory` from fixed addresses, until the agent accounts exist.

    ``roles`` maps a role to addresses for every form; ``forms`` overrides it for one
    form, as the site file's per-procedure ``roles`` do.

    >>> directory = StaticDirectory(
    ...     {"receiver": ["accueil@ville.example"]},
    ...     forms={"demande-de-bac": {"receiver": ["proprete@ville.example"]}},
    ... )
    >>> directory.emails_for_role("ville", "demande-de-bac", "receiver")
    ['proprete@ville.example']
    >>> directory.emails_for_role("ville", "etat-civil", "receiver")
    ['accueil@ville.example']
    >>> directory.emails_for_role("ville", "etat-civil", "manager")
    []
    """

    def __init__(
        self,
        roles: Mapping[str, Sequence[str]],
        *,
        forms: Mapping[str, Mapping[str, Sequence[str]]] | None = None,
    ) -> None:
        self._roles = {role: list(emails) for role, emails in roles.items()}
        self._forms = {
            form: {role: list(emails) for role, emails in by_role.items()}
            for form, by_role in (forms or {}).items()
        }

    def emails_for_role(self, site: str, form: str, role: str) -> list[str]:
        by_role = self._forms.get(form, {})
        return list(by_role[role] if role in by_role else self._roles.get(role, []))


class InMemoryMailer:
    """A `Mailer` that keeps e-mails in a list: for tests, demos and development.

    >>> mailer = InMemoryMailer()
    >>> mailer.send(Mail(("a@b.fr",), "Objet", "Corps", None, "k1", dt.datetime(2026, 1, 1)))
    >>> [m.subject for m in mailer.sent]
    ['Objet']
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.sent: list[Mail] = []

    def send(self, mail: Mail) -> None:
        with self._lock:
            self.sent.append(mail)


class InMemoryNotifier:
    """A `Notifier` keeping notifications by user; a repeated key is ignored.

    >>> notifier = InMemoryNotifier()
    >>> note = Notification("u1", "Dossier reçu", "Merci", "k1")
    >>> notifier.notify(note)
    >>> notifier.notify(note)
    >>> [n.title for n in notifier.for_user("u1")]
    ['Dossier reçu']
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._keys: set[str] = set()
        self._by_user: dict[str, list[Notification]] = {}

    def notify(self, notification: Notification) -> None:
        with self._lock:
            # Deliveries are at least once: the key makes a repeat invisible to the citizen.
            if notification.idempotency_key in self._keys:
                return
            self._keys.add(notification.idempotency_key)
            self._by_user.setdefault(notification.user, []).append(notification)

    def for_user(self, user: str) -> list[Notification]:
        """The notifications of ``user``, oldest first."""
        with self._lock:
            return list(self._by_user.get(user, []))
