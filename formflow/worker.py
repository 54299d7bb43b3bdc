"""`formflow worker`: fires due timers and delivers the outbox, with retries.

::

    import threading
    from formflow.delivery import SmtpMailer, StaticDirectory, WebhookSender, InMemoryNotifier
    from formflow.worker import Worker

    worker = Worker(
        engine,
        mailer=SmtpMailer("smtp.ville.example", 587, starttls=True,
                          sender="ne-pas-repondre@ville.example"),
        webhooks=WebhookSender(),
        notifier=InMemoryNotifier(),
        directory=StaticDirectory({"receiver": ["accueil@ville.example"]}),
    )
    report = worker.run_once()          # one pass: timers, then one batch of messages
    worker.run_forever(threading.Event(), interval=5.0)   # what the CLI runs

Each pass claims due messages for a ``lease`` (another worker does not get them
before it ends; one that dies lets it lapse and the messages are tried again), then
records every outcome with `Store.record_delivery`:

* delivered: ``state="delivered"``, ``delivered_at``;
* a retryable failure (timeout, 5xx, SMTP 4xx …): ``attempts + 1`` and
  ``next_attempt_at = now + backoff_base * 2**attempts`` (±20 % jitter, so messages
  failed together do not come back together), ``last_error``;
* a permanent failure, or the ``max_attempts``-th failure: ``state="failed"`` and
  ``last_error``. Failed messages stay on their case, where agents see them.

Delivery is at least once: a worker stopped between sending and recording sends
again after the lease. Receivers drop repeats by ``Idempotency-Key`` (webhooks),
``Message-ID`` (e-mail) or key (notifications).

Logs name messages by id and kind and give the reason, never payload contents
(addresses, bodies, URLs) nor secrets.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import random
import threading
import traceback
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

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
from formflow.delivery.smtp import SmtpMailer
from formflow.delivery.webhooks import WebhookSender, build_request, resolve_secret, vet_url
from formflow.engine.cases import OutboxMessage
from formflow.engine.core import Engine
from formflow.exceptions import NotFoundError

__all__ = [
    "DeliveryError",
    "Directory",
    "InMemoryMailer",
    "InMemoryNotifier",
    "Mail",
    "Mailer",
    "Notification",
    "Notifier",
    "Report",
    "SmtpMailer",
    "StaticDirectory",
    "WebhookRequest",
    "WebhookSender",
    "WebhookTransport",
    "Worker",
    "backoff_delay",
]

logger = logging.getLogger("formflow.worker")

#: Multiplier range of the jitter applied to each backoff delay.
JITTER = 0.2


@dataclass(slots=True)
class Report:
    """What one `Worker.run_once` did.

    >>> Report(claimed=3, delivered=2, retried=1)
    Report(timers_fired=0, claimed=3, delivered=2, retried=1, failed=0, deferred=0, errors=0)
    """

    timers_fired: int = 0
    #: Messages claimed this pass: ``delivered + retried + failed + deferred`` unless
    #: recording an outcome failed (counted in ``errors``; the lease then lapses).
    claimed: int = 0
    delivered: int = 0
    retried: int = 0
    failed: int = 0
    #: Claimed but left for a later pass because the lease was running out.
    deferred: int = 0
    #: Unexpected exceptions (bugs, store outages); each is logged.
    errors: int = 0


def backoff_delay(
    attempts: int, *, base: dt.timedelta, cap: dt.timedelta, rng: random.Random
) -> dt.timedelta:
    """``base * 2**attempts``, at most ``cap``, times a random factor in 0.8–1.2.

    >>> rng = random.Random(1)
    >>> base, cap = dt.timedelta(seconds=30), dt.timedelta(hours=1)
    >>> [round(backoff_delay(n, base=base, cap=cap, rng=rng).total_seconds())
    ...  for n in (0, 1, 2, 10)]
    [26, 68, 133, 3247]
    """
    # The exponent is capped so that the multiplication cannot overflow timedelta.
    delay = min(base * (1 << min(attempts, 32)), cap)
    return delay * (1 + rng.uniform(-JITTER, JITTER))


def _frames(exc: BaseException) -> str:
    # Where it failed, without the exception's text: that may quote payload contents.
    frames = traceback.extract_tb(exc.__traceback__)[-4:]
    return " <- ".join(f"{Path(f.filename).name}:{f.lineno} {f.name}" for f in reversed(frames))


def _text(payload: Mapping[str, Any], key: str, kind: str, *, optional: bool = False) -> str:
    value = payload.get(key)
    if value is None and optional:
        return ""
    if not isinstance(value, str):
        raise DeliveryError(f"malformed {kind} payload: no text {key!r}", permanent=True)
    return value


def _valid_address(address: str) -> bool:
    # The relay checks the rest; this stops what would break or inject headers.
    local, at, domain = address.rpartition("@")
    return bool(at and local and domain) and not any(c.isspace() or c in "<>,;" for c in address)


class Worker:
    """Delivers a site's outbox and fires its timers; safe to run in several processes.

    ``clock`` defaults to the engine's. ``lease`` must be well above the transports'
    timeouts: a pass stops taking claimed messages once half of it is spent. Pass a
    seeded ``rng`` (`random.Random`) for a reproducible jitter. ``environ`` is where
    ``env:`` secrets are read. ``allow_private_networks`` lets webhooks reach
    loopback and private addresses: for tests and closed networks only.
    """

    def __init__(
        self,
        engine: Engine,
        *,
        mailer: Mailer,
        webhooks: WebhookTransport,
        notifier: Notifier,
        directory: Directory,
        clock: Callable[[], dt.datetime] | None = None,
        lease: dt.timedelta = dt.timedelta(minutes=5),
        max_attempts: int = 8,
        backoff_base: dt.timedelta = dt.timedelta(seconds=30),
        max_backoff: dt.timedelta = dt.timedelta(hours=6),
        batch_size: int = 20,
        rng: random.Random | None = None,
        allow_private_networks: bool = False,
        environ: Mapping[str, str] = os.environ,
    ) -> None:
        if max_attempts < 1 or batch_size < 1:
            raise ValueError("max_attempts and batch_size must be at least 1")
        if lease <= dt.timedelta(0) or backoff_base < dt.timedelta(0):
            raise ValueError("lease must be positive and backoff_base not negative")
        self.engine = engine
        self.mailer = mailer
        self.webhooks = webhooks
        self.notifier = notifier
        self.directory = directory
        self.clock = clock or engine.clock
        self.lease = lease
        self.max_attempts = max_attempts
        self.backoff_base = backoff_base
        self.max_backoff = max_backoff
        self.batch_size = batch_size
        self.rng = rng or random.Random()  # noqa: S311 - jitter, not cryptography
        self.allow_private_networks = allow_private_networks
        self.environ = environ

    # -- the loop ---------------------------------------------------------------------

    def run_once(self) -> Report:
        """Fire due timers, then claim one batch of due messages and deliver it."""
        report = Report()
        store = self.engine.store
        try:
            report.timers_fired = self.engine.run_timers()
        except Exception as exc:
            # Messages must still go out when a timer is broken: log it and go on.
            report.errors += 1
            logger.error("timers: unexpected %s at %s", type(exc).__name__, _frames(exc))
        start = self.clock()
        until = start + self.lease
        try:
            claimed = store.claim_messages(start, until, self.batch_size)
        except Exception as exc:
            report.errors += 1
            logger.error("claiming messages: unexpected %s at %s", type(exc).__name__, _frames(exc))
            return report
        report.claimed = len(claimed)
        # Past ``until`` another worker may claim these too; keep a margin for the
        # delivery in progress and leave the rest to a later pass.
        deadline = until - self.lease / 2
        for message in claimed:
            if self.clock() >= deadline:
                report.deferred += 1
                continue
            self._process(message, report)
        return report

    def run_forever(self, stop_event: threading.Event, interval: float = 5.0) -> None:
        """Run passes until ``stop_event`` is set, ``interval`` seconds apart when idle.

        A full batch means more may be waiting: the next pass starts at once. Nothing
        raised by a pass stops the loop.
        """
        logger.info("worker started")
        while not stop_event.is_set():
            busy = False
            try:
                report = self.run_once()
                busy = report.claimed >= self.batch_size and not report.deferred
            except Exception as exc:  # run_once guards itself; this is the last resort
                logger.error("worker pass: unexpected %s at %s", type(exc).__name__, _frames(exc))
            if not busy:
                stop_event.wait(interval)
        logger.info("worker stopped")

    # -- one message ------------------------------------------------------------------

    def _process(self, message: OutboxMessage, report: Report) -> None:
        try:
            self._deliver(message)
        except DeliveryError as exc:
            outcome = self._failure(message, exc.reason, exc.permanent, exc.retry_after)
        except Exception as exc:
            report.errors += 1
            logger.error(
                "message %s (%s): unexpected %s at %s",
                message.id,
                message.kind,
                type(exc).__name__,
                _frames(exc),
            )
            outcome = self._failure(message, f"unexpected error ({type(exc).__name__})")
        else:
            outcome = replace(
                message,
                state="delivered",
                attempts=message.attempts + 1,
                delivered_at=self.clock(),
                next_attempt_at=None,
                last_error=None,
            )
        try:
            self.engine.store.record_delivery(outcome)
        except Exception as exc:
            # The claim lapses and the message is tried again: at least once, not lost.
            report.errors += 1
            logger.error(
                "message %s: recording the outcome: unexpected %s at %s",
                message.id,
                type(exc).__name__,
                _frames(exc),
            )
            return
        if outcome.state == "delivered":
            report.delivered += 1
            logger.info("message %s (%s) delivered", message.id, message.kind)
        elif outcome.state == "failed":
            report.failed += 1
            logger.warning(
                "message %s (%s) failed: %s", message.id, message.kind, outcome.last_error
            )
        else:
            report.retried += 1
            logger.info(
                "message %s (%s) attempt %d failed, next at %s: %s",
                message.id,
                message.kind,
                outcome.attempts,
                outcome.next_attempt_at,
                outcome.last_error,
            )

    def _failure(
        self,
        message: OutboxMessage,
        reason: str,
        permanent: bool = False,
        retry_after: dt.timedelta | None = None,
    ) -> OutboxMessage:
        attempts = message.attempts + 1
        if permanent or attempts >= self.max_attempts:
            return replace(
                message,
                state="failed",
                attempts=attempts,
                next_attempt_at=None,
                last_error=reason if permanent else f"gave up after {attempts} attempts: {reason}",
            )
        delay = self.backoff(message.attempts)
        if retry_after is not None:
            delay = max(delay, min(retry_after, self.max_backoff))
        return replace(
            message, attempts=attempts, next_attempt_at=self.clock() + delay, last_error=reason
        )

    def backoff(self, attempts: int) -> dt.timedelta:
        """The delay after a failure of a message tried ``attempts`` times before."""
        return backoff_delay(attempts, base=self.backoff_base, cap=self.max_backoff, rng=self.rng)

    def _deliver(self, message: OutboxMessage) -> None:
        if message.kind == "email":
            self._email(message)
        elif message.kind == "webhook":
            self._webhook(message)
        elif message.kind == "notify":
            payload = message.payload
            self.notifier.notify(
                Notification(
                    _text(payload, "user", "notify"),
                    _text(payload, "title", "notify"),
                    _text(payload, "message", "notify", optional=True),
                    message.idempotency_key,
                )
            )
        else:
            raise DeliveryError(f"unknown message kind {message.kind!r}", permanent=True)

    def _email(self, message: OutboxMessage) -> None:
        payload = message.payload
        targets = payload.get("to")
        if not isinstance(targets, list | tuple) or not all(isinstance(t, str) for t in targets):
            raise DeliveryError("malformed email payload: no list 'to'", permanent=True)
        addresses: list[str] = []
        for target in targets:
            if target.startswith("role:"):
                addresses += self._role_emails(message, target.removeprefix("role:"))
            else:
                addresses.append(target)
        addresses = list(dict.fromkeys(a.strip() for a in addresses))
        if not addresses:
            raise DeliveryError("no recipient", permanent=True)
        if not all(_valid_address(a) for a in addresses):
            raise DeliveryError("invalid recipient address", permanent=True)
        reply_to = payload.get("reply_to")
        self.mailer.send(
            Mail(
                to=tuple(addresses),
                subject=_text(payload, "subject", "email"),
                body=_text(payload, "body", "email"),
                reply_to=reply_to if isinstance(reply_to, str) and reply_to else None,
                idempotency_key=message.idempotency_key,
                date=message.created_at,
            )
        )

    def _role_emails(self, message: OutboxMessage, role: str) -> list[str]:
        try:
            case = self.engine.store.get(message.case_id)
        except NotFoundError:
            raise DeliveryError("the case no longer exists", permanent=True) from None
        emails = self.directory.emails_for_role(case.site, case.form, role)
        if not emails:
            # Sending to the others only would hide the gap: fail where agents see it.
            raise DeliveryError(f"no agent e-mail for role {role}", permanent=True)
        return emails

    def _webhook(self, message: OutboxMessage) -> None:
        payload = message.payload
        url = _text(payload, "url", "webhook")
        name = payload.get("secret")
        secret = (
            resolve_secret(self.engine.site.definition, name, self.environ)
            if isinstance(name, str) and name
            else None
        )
        addresses = vet_url(url, allow_private_networks=self.allow_private_networks)
        request = build_request(
            url,
            payload.get("json"),
            idempotency_key=message.idempotency_key,
            secret=secret,
            # Per attempt, not the message's creation: receivers refuse old timestamps.
            now=self.clock(),
            addresses=addresses,
        )
        self.webhooks.post(request)
