"""Transports the worker delivers outbox messages with: SMTP, webhooks, notifications.

::

    from formflow.delivery import SmtpMailer, StaticDirectory, WebhookSender

    mailer = SmtpMailer("smtp.ville.example", 587, starttls=True,
                        sender="ne-pas-repondre@ville.example")
    webhooks = WebhookSender(timeout=10)
    directory = StaticDirectory({"receiver": ["accueil@ville.example"]})

Modules: `formflow.delivery.base` (protocols, `DeliveryError`, in-memory transports),
`formflow.delivery.smtp` (`SmtpMailer`), `formflow.delivery.webhooks` (`WebhookSender`,
signing, the SSRF check). `formflow.worker.Worker` ties them to an engine.
"""

from __future__ import annotations

from formflow.delivery.base import (
    DeliveryError,
    Directory,
    InMemoryMailer,
    InMemoryNotifier,
    Mail,
    Mailer,
    Notification,
    Notifier,
    StaticDirectory,
    WebhookRequest,
    WebhookTransport,
)
from formflow.delivery.files import FileMailer
from formflow.delivery.smtp import SmtpMailer, build_email, message_id_for
from formflow.delivery.webhooks import (
    WebhookSender,
    build_request,
    resolve_secret,
    sign,
    verify_signature,
    vet_url,
)

__all__ = [
    "DeliveryError",
    "Directory",
    "FileMailer",
    "InMemoryMailer",
    "InMemoryNotifier",
    "Mail",
    "Mailer",
    "Notification",
    "Notifier",
    "SmtpMailer",
    "StaticDirectory",
    "WebhookRequest",
    "WebhookSender",
    "WebhookTransport",
    "build_email",
    "build_request",
    "message_id_for",
    "resolve_secret",
    "sign",
    "verify_signature",
    "vet_url",
]
