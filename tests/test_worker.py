"""The worker against real local servers: an aiosmtpd SMTP server and an HTTP server.

Everything listens on 127.0.0.1 on a free port; nothing reaches the network. Time is
a hand-moved clock shared by the engine and the worker, so backoffs cost nothing.
"""

from __future__ import annotations

import datetime as dt
import doctest
import email
import email.policy
import hashlib
import hmac
import json
import logging
import random
import socket
import ssl
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, cast
from zoneinfo import ZoneInfo

import httpx
import pytest
import trustme
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

import formflow.delivery.base
import formflow.delivery.smtp
import formflow.delivery.webhooks
import formflow.worker
from formflow.catalog import Site, load_catalog, load_site
from formflow.delivery import (
    DeliveryError,
    InMemoryMailer,
    InMemoryNotifier,
    Mail,
    SmtpMailer,
    StaticDirectory,
    WebhookRequest,
    WebhookSender,
    build_email,
    message_id_for,
    verify_signature,
    vet_url,
)
from formflow.engine.cases import Actor, Case, Changes, OutboxMessage, Timer, new_id
from formflow.engine.core import Engine
from formflow.engine.effects import canonical_json
from formflow.engine.store import InMemoryStore
from formflow.worker import Report, Worker

PARIS = ZoneInfo("Europe/Paris")
SENDER = "Mairie de Testville <ne-pas-repondre@ville.example>"
SECRET = "s3cret-de-test"
SECRET_VARIABLE = "FORMFLOW_TEST_WEBHOOK_KEY"
AGENT_EMAIL = "instructeur@ville.example"
CITIZEN = Actor("citizen", "u1", "Anaïs", "anais@example.org")

WORKFLOWS = {
    # Every kind of message at once, as a real workflow would send them.
    "workflows/envoi.yaml": """
format: 1
slug: envoi
title: Envoi
roles: {receiver: Instructeur}
initial: recue
statuses:
  recue:
    label: Reçue
    on_enter:
      - do: email
        to: [submitter, receiver]
        subject: "Demande reçue — {{ answers.nom }}"
        body: "Bonjour {{ answers.nom }},\\n\\nvotre demande d'été est bien reçue. À bientôt !"
      - {do: webhook, url: "{{ answers.hook }}", secret: cle, condition: "answers.hook"}
      - {do: notify, title: "Dossier reçu", message: "Merci {{ answers.nom }}"}
    actions: [{id: clore, label: Clore, by: receiver, to: close}]
  close: {label: Close, final: true}
""",
    # Nothing on submission: tests add the messages they need.
    "workflows/calme.yaml": """
format: 1
slug: calme
title: Calme
roles: {receiver: Instructeur}
initial: ouverte
statuses:
  ouverte:
    label: Ouverte
    actions: [{id: clore, label: Clore, by: receiver, to: close}]
  close: {label: Close, final: true}
""",
    "workflows/attente.yaml": """
format: 1
slug: attente
title: Attente
roles: {receiver: Instructeur}
initial: ouverte
statuses:
  ouverte:
    label: Ouverte
    timeouts:
      - after: 2 days
        steps: [{do: email, to: receiver, subject: Relance, body: "Toujours en attente."}]
    actions: [{id: clore, label: Clore, by: receiver, to: close}]
  close: {label: Close, final: true}
""",
}


def _form(slug: str, workflow: str) -> str:
    return f"""
format: 1
slug: {slug}
title: Formulaire {slug}
workflow: {workflow}
pages:
  - id: p
    title: Page
    fields:
      - {{id: nom, type: text, label: Nom}}
      - {{id: hook, type: text, label: Adresse de rappel, required: false}}
"""


SITE = {
    "format": 1,
    "slug": "testville",
    "name": "Testville",
    "contact": {"email": "mairie@ville.example"},
    "groups": {"instructeurs": "Instructeurs"},
    "roles": {"receiver": "instructeurs"},
    "procedures": {"demande": None, "simple": None, "relance": None},
    "secrets": {"cle": f"env:{SECRET_VARIABLE}"},
}


class Clock:
    """Moved by hand; shared by the engine (timers, messages) and the worker."""

    def __init__(self) -> None:
        self.now = dt.datetime(2026, 3, 2, 9, 0, tzinfo=PARIS)

    def __call__(self) -> dt.datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += dt.timedelta(**delta)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


# -- the SMTP server ----------------------------------------------------------------------


@dataclass
class MailSink:
    """An aiosmtpd handler keeping every DATA it sees; replies can be scripted."""

    port: int = 0
    #: Every message body offered, accepted or not.
    offered: list[bytes] = field(default_factory=list)
    #: (envelope recipients, parsed message) of accepted messages.
    accepted: list[tuple[list[str], EmailMessage]] = field(default_factory=list)
    #: Replies to the next DATA commands instead of 250.
    data_replies: list[str] = field(default_factory=list)
    #: Recipients refused at RCPT.
    refuse: set[str] = field(default_factory=set)

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, options: Any
    ) -> str:
        if address in self.refuse:
            return "550 5.1.1 Unknown user"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        content = bytes(envelope.content)
        self.offered.append(content)
        if self.data_replies:
            return self.data_replies.pop(0)
        parsed = email.message_from_bytes(content, policy=email.policy.default)
        assert isinstance(parsed, EmailMessage)
        self.accepted.append((list(envelope.rcpt_tos), parsed))
        return "250 Message accepted"


@pytest.fixture
def smtp() -> Iterator[MailSink]:
    sink = MailSink(port=_free_port())
    controller = Controller(sink, hostname="127.0.0.1", port=sink.port)
    controller.start()
    yield sink
    controller.stop()


# -- the HTTP server ----------------------------------------------------------------------


@dataclass
class Recorded:
    path: str
    headers: dict[str, str]
    body: bytes


class HookServer(ThreadingHTTPServer):
    """Records POSTs; answers from ``script`` (a status, (status, headers), or "hang")."""

    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), HookHandler)
        self.lock = threading.Lock()
        self.requests: list[Recorded] = []
        self.script: list[int | tuple[int, dict[str, str]] | str] = []
        self.release = threading.Event()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/hook"

    def next_answer(self, request: Recorded) -> int | tuple[int, dict[str, str]] | str:
        with self.lock:
            self.requests.append(request)
            return self.script.pop(0) if self.script else 200


class HookHandler(BaseHTTPRequestHandler):
    server: HookServer

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        answer = self.server.next_answer(Recorded(self.path, dict(self.headers.items()), body))
        if answer == "hang":
            self.server.release.wait(10)
            return
        status, headers = answer if isinstance(answer, tuple) else (int(answer), {})
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def hooks() -> Iterator[HookServer]:
    server = HookServer()
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield server
    server.release.set()
    server.shutdown()
    server.server_close()
    thread.join(5)


@pytest.fixture
def tls_hooks() -> Iterator[tuple[HookServer, trustme.CA]]:
    """The hook server behind TLS, with a certificate for ``hooks.test`` only."""
    ca = trustme.CA()
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("hooks.test").configure_cert(context)
    server = HookServer()
    server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield server, ca
    server.shutdown()
    server.server_close()
    thread.join(5)


# -- engine and worker --------------------------------------------------------------------


@pytest.fixture(scope="module")
def site() -> Site:
    files = {
        **WORKFLOWS,
        "forms/demande.yaml": _form("demande", "envoi"),
        "forms/simple.yaml": _form("simple", "calme"),
        "forms/relance.yaml": _form("relance", "attente"),
    }
    return load_site(SITE, load_catalog(files))


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def engine(site: Site, clock: Clock) -> Engine:
    return Engine(site, InMemoryStore(), clock=clock, base_url="https://ville.example")


MakeWorker = Callable[..., Worker]


@pytest.fixture
def make_worker(engine: Engine, smtp: MailSink, clock: Clock) -> Iterator[MakeWorker]:
    senders: list[WebhookSender] = []

    def make(**options: Any) -> Worker:
        sender = WebhookSender(timeout=options.pop("webhook_timeout", 2.0))
        senders.append(sender)
        settings: dict[str, Any] = {
            "mailer": SmtpMailer("127.0.0.1", smtp.port, sender=SENDER, timeout=5),
            "webhooks": sender,
            "notifier": InMemoryNotifier(),
            "directory": StaticDirectory({"receiver": [AGENT_EMAIL]}),
            "clock": clock,
            "backoff_base": dt.timedelta(seconds=1),
            "rng": random.Random(7),
            "allow_private_networks": True,
            "environ": {SECRET_VARIABLE: SECRET},
        }
        settings.update(options)
        return Worker(engine, **settings)

    yield make
    for sender in senders:
        sender.close()


def submit(engine: Engine, form: str = "simple", **answers: Any) -> Case:
    return engine.submit(form, {"nom": "Anaïs", **answers}, CITIZEN)


def enqueue(engine: Engine, kind: str, payload: dict[str, Any]) -> OutboxMessage:
    """Add a message to a new case, as a transition would."""
    case = submit(engine)
    now = engine.clock()
    message = OutboxMessage(
        id=new_id(),
        case_id=case.id,
        kind=kind,  # type: ignore[arg-type]
        payload=payload,
        created_at=now,
        idempotency_key=f"{case.id}:{case.version}:test:{new_id()[:6]}",
        next_attempt_at=now,
    )
    engine.store.save(case, Changes(messages=[message]), expected_version=case.version)
    return message


def stored(engine: Engine, message: OutboxMessage) -> OutboxMessage:
    return next(m for m in engine.store.messages(message.case_id) if m.id == message.id)


def webhook(url: str, secret: str | None = "cle") -> dict[str, Any]:
    return {"url": url, "json": {"dossier": "D-1", "nom": "Anaïs"}, "secret": secret}


# -- e-mail -------------------------------------------------------------------------------


def test_submission_mails_submitter_and_role_agents_in_utf8(
    engine: Engine, make_worker: MakeWorker, smtp: MailSink, clock: Clock
) -> None:
    worker = make_worker()
    case = submit(engine, "demande")

    report = worker.run_once()

    assert report == Report(claimed=2, delivered=2)
    [(recipients, mail)] = smtp.accepted
    assert recipients == ["anais@example.org", AGENT_EMAIL]
    assert mail["Subject"] == "Demande reçue — Anaïs"
    body = mail.get_content().replace("\r\n", "\n")  # CRLF is the wire form of text
    assert body == "Bonjour Anaïs,\n\nvotre demande d'été est bien reçue. À bientôt !\n"
    assert mail["From"] == SENDER
    assert mail["Reply-To"] == "mairie@ville.example"
    assert mail["Auto-Submitted"] == "auto-generated"
    [message, notice] = engine.store.messages(case.id)
    assert mail["Message-ID"] == message_id_for(message.idempotency_key, SENDER)
    assert (message.state, message.attempts, message.delivered_at) == ("delivered", 1, clock.now)
    assert notice.state == "delivered"
    notifier = cast(InMemoryNotifier, worker.notifier)
    assert [(n.title, n.message) for n in notifier.for_user("u1")] == [
        ("Dossier reçu", "Merci Anaïs")
    ]


def test_a_temporary_smtp_refusal_is_retried_with_the_same_message_id(
    engine: Engine, make_worker: MakeWorker, smtp: MailSink, clock: Clock
) -> None:
    worker = make_worker()
    smtp.data_replies.append("451 4.3.0 Try again later")
    message = enqueue(
        engine, "email", {"to": ["anais@example.org"], "subject": "Reçu", "body": "Été"}
    )

    assert worker.run_once().retried == 1
    retried = stored(engine, message)
    assert (retried.state, retried.attempts, retried.last_error) == (
        "pending",
        1,
        "SMTP 451: message refused",
    )
    assert retried.next_attempt_at is not None
    assert 0.8 <= (retried.next_attempt_at - clock.now).total_seconds() <= 1.2
    assert worker.run_once().claimed == 0  # not due yet

    clock.advance(seconds=2)
    assert worker.run_once().delivered == 1
    first, second = (
        email.message_from_bytes(raw, policy=email.policy.default) for raw in smtp.offered
    )
    assert first["Message-ID"] == second["Message-ID"]
    assert first["Date"] == second["Date"]
    delivered = stored(engine, message)
    assert (delivered.state, delivered.attempts, delivered.last_error) == ("delivered", 2, None)


def test_a_refused_recipient_fails_at_once(
    engine: Engine, make_worker: MakeWorker, smtp: MailSink
) -> None:
    smtp.refuse = {"inconnu@example.org"}
    alone = enqueue(engine, "email", {"to": ["inconnu@example.org"], "subject": "S", "body": "B"})
    shared = enqueue(
        engine, "email", {"to": ["inconnu@example.org", AGENT_EMAIL], "subject": "S", "body": "B"}
    )

    assert make_worker().run_once().failed == 2

    assert stored(engine, alone).last_error == "SMTP 550: every recipient refused"
    assert stored(engine, shared).last_error == (
        "SMTP 550: refused for 1 of 2 recipients, the others received it"
    )
    assert [recipients for recipients, _ in smtp.accepted] == [[AGENT_EMAIL]]


def test_a_role_without_agent_email_fails_before_anything_is_sent(
    engine: Engine, make_worker: MakeWorker, smtp: MailSink
) -> None:
    message = enqueue(
        engine, "email", {"to": ["anais@example.org", "role:receiver"], "subject": "S", "body": "B"}
    )

    make_worker(directory=StaticDirectory({})).run_once()

    failed = stored(engine, message)
    assert (failed.state, failed.last_error) == ("failed", "no agent e-mail for role receiver")
    assert smtp.offered == []


def test_an_unreachable_smtp_server_is_retried(engine: Engine, make_worker: MakeWorker) -> None:
    message = enqueue(engine, "email", {"to": ["anais@example.org"], "subject": "S", "body": "B"})
    closed = SmtpMailer("127.0.0.1", _free_port(), sender=SENDER, timeout=2)

    assert make_worker(mailer=closed).run_once().retried == 1

    assert stored(engine, message).last_error == (
        "cannot reach the SMTP server (ConnectionRefusedError)"
    )


# aiosmtpd 1.4 warns about its own legacy attribute on every successful AUTH.
@pytest.mark.filterwarnings("ignore:Session.login_data is deprecated:DeprecationWarning")
def test_starttls_and_login(
    engine: Engine, make_worker: MakeWorker, smtp: MailSink, clock: Clock
) -> None:
    ca = trustme.CA()
    server_side = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1").configure_cert(server_side)
    trust = ssl.create_default_context()
    ca.configure_trust(trust)

    def authenticate(*args: Any) -> AuthResult:
        data = args[-1]
        ok = isinstance(data, LoginPassword) and data == (b"formflow", b"mot-de-passe")
        return AuthResult(success=ok, handled=False, auth_data=data)

    port = _free_port()
    controller = Controller(
        smtp,
        hostname="127.0.0.1",
        port=port,
        tls_context=server_side,
        require_starttls=True,
        authenticator=authenticate,
    )
    controller.start()
    try:
        right, wrong = (
            SmtpMailer(
                "127.0.0.1",
                port,
                starttls=True,
                ssl_context=trust,
                username="formflow",
                password=password,
                sender=SENDER,
                timeout=5,
            )
            for password in ("mot-de-passe", "faux")
        )
        message = enqueue(engine, "email", {"to": [AGENT_EMAIL], "subject": "S", "body": "B"})
        assert make_worker(mailer=wrong).run_once().retried == 1
        assert "faux" not in repr(wrong)
        assert stored(engine, message).last_error == (
            "SMTP authentication refused: check the credentials"
        )
        clock.advance(minutes=1)
        assert make_worker(mailer=right).run_once().delivered == 1
    finally:
        controller.stop()
    assert [recipients for recipients, _ in smtp.accepted] == [[AGENT_EMAIL]]


# -- webhooks -----------------------------------------------------------------------------


def test_webhook_is_signed_with_the_site_secret(
    engine: Engine, make_worker: MakeWorker, hooks: HookServer, clock: Clock
) -> None:
    case = submit(engine, "demande", hook=hooks.url + "?source=formflow")

    make_worker().run_once()

    [request] = hooks.requests
    [_, message, _] = engine.store.messages(case.id)
    assert message.kind == "webhook"
    assert message.state == "delivered"
    assert request.path == "/hook?source=formflow"
    assert request.body == canonical_json(message.payload["json"])
    assert json.loads(request.body)["case"]["id"] == case.id
    headers = {name.lower(): value for name, value in request.headers.items()}
    assert headers["content-type"] == "application/json"
    assert headers["host"] == hooks.url.split("/")[2]
    assert headers["idempotency-key"] == message.idempotency_key
    timestamp = headers["x-formflow-timestamp"]
    assert timestamp == str(int(clock.now.timestamp()))
    # Computed here independently of formflow.delivery.webhooks.sign.
    expected = hmac.new(SECRET.encode(), f"{timestamp}.".encode() + request.body, hashlib.sha256)
    assert headers["x-formflow-signature"] == "sha256=" + expected.hexdigest()
    assert verify_signature(
        SECRET.encode(),
        timestamp,
        request.body,
        headers["x-formflow-signature"],
        now=clock.now.timestamp(),
    )


def test_webhook_without_secret_is_not_signed(
    engine: Engine, make_worker: MakeWorker, hooks: HookServer
) -> None:
    enqueue(engine, "webhook", webhook(hooks.url, secret=None))

    assert make_worker().run_once().delivered == 1

    assert "X-Formflow-Signature" not in hooks.requests[0].headers
    assert "X-Formflow-Timestamp" in hooks.requests[0].headers


def test_webhook_retries_with_backoff_until_it_succeeds(
    engine: Engine, make_worker: MakeWorker, hooks: HookServer, clock: Clock
) -> None:
    hooks.script = [500, 500, 200]
    message = enqueue(engine, "webhook", webhook(hooks.url))
    worker = make_worker()

    delays = []
    for _ in range(2):
        assert worker.run_once().retried == 1
        pending = stored(engine, message)
        assert (pending.state, pending.last_error) == ("pending", "HTTP 500")
        assert pending.next_attempt_at is not None
        delays.append((pending.next_attempt_at - clock.now).total_seconds())
        clock.advance(minutes=1)
    assert worker.run_once().delivered == 1

    assert 0.8 <= delays[0] <= 1.2  # backoff_base * 2**0, ±20 %
    assert 1.6 <= delays[1] <= 2.4  # backoff_base * 2**1
    delivered = stored(engine, message)
    assert (delivered.state, delivered.attempts, delivered.last_error) == ("delivered", 3, None)
    assert len({r.headers["Idempotency-Key"] for r in hooks.requests}) == 1
    assert len({r.headers["X-Formflow-Timestamp"] for r in hooks.requests}) == 3


def test_webhook_gives_up_after_max_attempts(
    engine: Engine, make_worker: MakeWorker, hooks: HookServer, clock: Clock
) -> None:
    hooks.script = [503] * 10
    message = enqueue(engine, "webhook", webhook(hooks.url))
    worker = make_worker(max_attempts=3)

    reports = []
    for _ in range(4):
        reports.append(worker.run_once())
        clock.advance(hours=1)

    assert [(r.retried, r.failed) for r in reports] == [(1, 0), (1, 0), (0, 1), (0, 0)]
    failed = stored(engine, message)
    assert (failed.state, failed.attempts) == ("failed", 3)
    assert failed.last_error == "gave up after 3 attempts: HTTP 503"
    assert len(hooks.requests) == 3


@pytest.mark.parametrize(
    ("status", "state", "error"),
    [
        (400, "failed", "HTTP 400"),
        (404, "failed", "HTTP 404"),
        (302, "failed", "HTTP 302: webhooks do not follow redirects, update the URL"),
        (408, "pending", "HTTP 408"),
        (429, "pending", "HTTP 429"),
        (502, "pending", "HTTP 502"),
    ],
)
def test_webhook_answers_decide_between_retry_and_failure(
    engine: Engine,
    make_worker: MakeWorker,
    hooks: HookServer,
    status: int,
    state: str,
    error: str,
) -> None:
    hooks.script = [status]
    message = enqueue(engine, "webhook", webhook(hooks.url))

    make_worker().run_once()

    outcome = stored(engine, message)
    assert (outcome.state, outcome.attempts, outcome.last_error) == (state, 1, error)
    assert len(hooks.requests) == 1


def test_webhook_retry_after_is_honoured(
    engine: Engine, make_worker: MakeWorker, hooks: HookServer, clock: Clock
) -> None:
    hooks.script = [(429, {"Retry-After": "120"})]
    message = enqueue(engine, "webhook", webhook(hooks.url))

    make_worker().run_once()

    next_attempt = stored(engine, message).next_attempt_at
    assert next_attempt is not None
    assert next_attempt - clock.now == dt.timedelta(seconds=120)


def test_a_hanging_webhook_times_out_and_is_retried(
    engine: Engine, make_worker: MakeWorker, hooks: HookServer
) -> None:
    hooks.script = ["hang"]
    message = enqueue(engine, "webhook", webhook(hooks.url))

    started = time.monotonic()
    assert make_worker(webhook_timeout=0.3).run_once().retried == 1

    assert time.monotonic() - started < 3
    assert stored(engine, message).last_error == "the webhook host did not answer in time"


LOOPBACK = "the webhook host resolves to a loopback address: refused"


@pytest.mark.parametrize(
    ("url", "error"),
    [
        ("http://127.0.0.1:{port}/hook", LOOPBACK),
        ("http://localhost:{port}/hook", LOOPBACK),
        ("http://[::ffff:127.0.0.1]:{port}/", LOOPBACK),
        ("file:///etc/passwd", "webhook URLs must be http or https, not 'file'"),
        ("gopher://127.0.0.1:{port}/", "webhook URLs must be http or https, not 'gopher'"),
        ("", "webhook URLs must be http or https, not ''"),
    ],
)
def test_webhooks_to_local_addresses_are_refused_by_default(
    engine: Engine, make_worker: MakeWorker, hooks: HookServer, url: str, error: str
) -> None:
    port = hooks.server_address[1]
    message = enqueue(engine, "webhook", webhook(url.format(port=port)))

    make_worker(allow_private_networks=False).run_once()

    failed = stored(engine, message)
    assert (failed.state, failed.last_error) == ("failed", error)
    assert hooks.requests == []


@pytest.mark.parametrize(
    ("address", "kind"),
    [
        ("10.0.0.5", "private"),
        ("192.168.1.20", "private"),
        ("169.254.169.254", "link-local"),
        ("fe80::1", "link-local"),
        ("fd00::5", "private"),
        ("224.0.0.1", "multicast"),
        ("0.0.0.0", "unspecified"),
        ("100.64.0.1", "non-public"),
    ],
)
def test_vet_url_refuses_names_resolving_to_internal_addresses(address: str, kind: str) -> None:
    # A name with one public and one internal address is refused too.
    with pytest.raises(DeliveryError, match=f"resolves to a {kind} address") as raised:
        vet_url("https://intranet.example/x", resolve=lambda host, port: ["93.184.215.14", address])
    assert raised.value.permanent


def test_vet_url_keeps_public_addresses_and_retries_dns_failures() -> None:
    def no_dns(host: str, port: int) -> list[str]:
        raise socket.gaierror("temporary failure")

    public = vet_url("https://hooks.example/x", resolve=lambda host, port: ["93.184.215.14"])
    assert public == ("93.184.215.14",)
    with pytest.raises(DeliveryError, match="cannot resolve") as raised:
        vet_url("https://hooks.example/x", resolve=no_dns)
    assert not raised.value.permanent


UNSET = f"environment variable {SECRET_VARIABLE} (secret 'cle') is not set"


def test_https_goes_to_the_vetted_address_and_checks_the_certificate_name(
    tls_hooks: tuple[HookServer, trustme.CA],
) -> None:
    server, ca = tls_hooks
    port = server.server_address[1]
    trust = ssl.create_default_context()
    ca.configure_trust(trust)

    def request(host: str) -> WebhookRequest:
        # "hooks.test" resolves nowhere: the sender must use the vetted address.
        return WebhookRequest(f"https://{host}:{port}/hook", ("127.0.0.1",), b"{}", {})

    with httpx.Client(verify=trust, timeout=2) as client:
        sender = WebhookSender(client)
        sender.post(request("hooks.test"))
        with pytest.raises(DeliveryError, match="certificate is not valid") as raised:
            sender.post(request("autre.test"))

    assert not raised.value.permanent
    assert [r.headers["Host"] for r in server.requests] == [f"hooks.test:{port}"]


@pytest.mark.parametrize(
    ("environ", "secrets_name", "error"),
    [
        ({}, "cle", UNSET),
        ({SECRET_VARIABLE: ""}, "cle", UNSET),
        (
            {SECRET_VARIABLE: SECRET},
            "autre",
            "secret 'autre' is not declared in the site file's secrets",
        ),
    ],
)
def test_a_missing_secret_fails_with_a_clear_error(
    engine: Engine,
    make_worker: MakeWorker,
    hooks: HookServer,
    environ: dict[str, str],
    secrets_name: str,
    error: str,
) -> None:
    message = enqueue(engine, "webhook", webhook(hooks.url, secret=secrets_name))

    make_worker(environ=environ).run_once()

    failed = stored(engine, message)
    assert (failed.state, failed.last_error) == ("failed", error)
    assert hooks.requests == []


# -- the loop -----------------------------------------------------------------------------


def test_two_workers_deliver_each_message_exactly_once(
    engine: Engine, make_worker: MakeWorker, hooks: HookServer
) -> None:
    messages = [enqueue(engine, "webhook", webhook(hooks.url)) for _ in range(40)]
    workers = [make_worker(batch_size=3), make_worker(batch_size=3)]
    start = threading.Barrier(2)
    reports: list[Report] = []

    def drain(worker: Worker) -> None:
        start.wait()
        while (report := worker.run_once()).claimed:
            reports.append(report)

    threads = [threading.Thread(target=drain, args=(w,)) for w in workers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(15)

    keys = sorted(r.headers["Idempotency-Key"] for r in hooks.requests)
    assert keys == sorted(m.idempotency_key for m in messages)
    assert sum(r.delivered for r in reports) == 40
    assert {stored(engine, m).state for m in messages} == {"delivered"}


def test_run_once_fires_due_timers_and_delivers_what_they_send(
    engine: Engine, make_worker: MakeWorker, smtp: MailSink, clock: Clock
) -> None:
    worker = make_worker()
    case = submit(engine, "relance")
    assert worker.run_once() == Report()

    clock.advance(days=3)
    report = worker.run_once()

    assert (report.timers_fired, report.delivered) == (1, 1)
    [(recipients, mail)] = smtp.accepted
    assert (recipients, mail["Subject"]) == ([AGENT_EMAIL], "Relance")
    assert engine.store.timers(case.id) == []


class FlakyStore(InMemoryStore):
    """A store whose next ``record_delivery`` calls and timer reads fail."""

    def __init__(self) -> None:
        super().__init__()
        self.failing_records = 0
        self.failing_timers = False

    def record_delivery(self, message: OutboxMessage) -> None:
        if self.failing_records:
            self.failing_records -= 1
            raise OSError("database unavailable")
        super().record_delivery(message)

    def due_timers(self, now: dt.datetime, limit: int = 100) -> list[Timer]:
        if self.failing_timers:
            raise OSError("database unavailable")
        return super().due_timers(now, limit)


def test_store_failures_are_logged_and_the_message_comes_back(
    site: Site, make_worker: MakeWorker, clock: Clock
) -> None:
    store = FlakyStore()
    engine = Engine(site, store, clock=clock)
    message = enqueue(engine, "email", {"to": [AGENT_EMAIL], "subject": "S", "body": "B"})
    mailer = InMemoryMailer()
    worker = Worker(
        engine,
        mailer=mailer,
        webhooks=make_worker().webhooks,
        notifier=InMemoryNotifier(),
        directory=StaticDirectory({}),
    )
    store.failing_records, store.failing_timers = 1, True

    assert worker.run_once() == Report(claimed=1, errors=2)

    assert stored(engine, message).state == "pending"
    clock.advance(minutes=6)  # the claim lapses: sent again, at least once
    assert worker.run_once() == Report(claimed=1, delivered=1, errors=1)
    assert len(mailer.sent) == 2


class ExplodingMailer(InMemoryMailer):
    """Fails on one subject with an exception quoting the payload, as libraries do."""

    def send(self, mail: Mail) -> None:
        if mail.subject == "Boum":
            raise RuntimeError(f"cannot send {mail.body!r} to {mail.to}")
        super().send(mail)


def test_one_bad_message_does_not_stop_the_others_and_logs_stay_clean(
    engine: Engine,
    make_worker: MakeWorker,
    hooks: HookServer,
    caplog: pytest.LogCaptureFixture,
) -> None:
    # httpx logs request URLs at INFO: the CLI keeps the "httpx" logger at WARNING.
    caplog.set_level(logging.DEBUG, logger="formflow")
    mailer = ExplodingMailer()
    bad = enqueue(engine, "email", {"to": ["anais@example.org"], "subject": "Boum", "body": "NIR"})
    malformed = enqueue(engine, "email", {"to": "anais@example.org", "subject": "S", "body": "B"})
    unknown = enqueue(engine, "fax", {"number": "0102030405"})
    good = enqueue(engine, "email", {"to": ["anais@example.org"], "subject": "Bien", "body": "B"})
    signed = enqueue(engine, "webhook", webhook(hooks.url + "?token=jeton-prive"))

    report = make_worker(mailer=mailer).run_once()

    assert report == Report(claimed=5, delivered=2, retried=1, failed=2, errors=1)
    assert stored(engine, bad).last_error == "unexpected error (RuntimeError)"
    assert stored(engine, malformed).last_error == "malformed email payload: no list 'to'"
    assert stored(engine, unknown).last_error == "unknown message kind 'fax'"
    assert [m.subject for m in mailer.sent] == ["Bien"]
    assert stored(engine, good).state == stored(engine, signed).state == "delivered"
    logged = caplog.text
    assert bad.id in logged
    for private in ("anais@example.org", "NIR", "Boum", SECRET, "jeton-prive", "0102030405"):
        assert private not in logged


def test_a_pass_leaves_claimed_messages_when_its_lease_runs_out(
    engine: Engine, make_worker: MakeWorker, clock: Clock
) -> None:
    class SlowMailer(InMemoryMailer):
        def send(self, mail: Mail) -> None:
            clock.advance(minutes=3)  # a slow relay, as the clock sees it
            super().send(mail)

    mailer = SlowMailer()
    for subject in ("un", "deux"):
        enqueue(engine, "email", {"to": ["anais@example.org"], "subject": subject, "body": "B"})
    worker = make_worker(mailer=mailer, lease=dt.timedelta(minutes=5))

    assert worker.run_once() == Report(claimed=2, delivered=1, deferred=1)
    assert worker.run_once().claimed == 0  # still claimed by the first pass
    clock.advance(minutes=3)  # the claim has lapsed
    assert worker.run_once() == Report(claimed=1, delivered=1)
    assert [m.subject for m in mailer.sent] == ["un", "deux"]


def test_run_forever_delivers_until_stopped(
    engine: Engine, make_worker: MakeWorker, hooks: HookServer
) -> None:
    stop = threading.Event()
    worker = make_worker()
    thread = threading.Thread(target=worker.run_forever, args=(stop, 0.02))
    thread.start()
    try:
        message = enqueue(engine, "webhook", webhook(hooks.url))
        deadline = time.monotonic() + 5
        while stored(engine, message).state == "pending" and time.monotonic() < deadline:
            time.sleep(0.02)
    finally:
        stop.set()
        thread.join(5)
    assert not thread.is_alive()
    assert stored(engine, message).state == "delivered"


# -- pieces -------------------------------------------------------------------------------


def test_header_injection_is_a_permanent_failure() -> None:
    mail = Mail(
        ("a@example.org",), "Objet\r\nBcc: x@evil.example", "B", None, "k", dt.datetime.now(dt.UTC)
    )
    with pytest.raises(DeliveryError, match="invalid header") as raised:
        build_email(mail, SENDER)
    assert raised.value.permanent


def test_configuration_mistakes_are_refused_early(engine: Engine) -> None:
    with pytest.raises(ValueError, match="not both"):
        SmtpMailer("smtp.example", 465, ssl=True, starttls=True, sender=SENDER)
    with WebhookSender() as sender, pytest.raises(ValueError, match="max_attempts"):
        Worker(
            engine,
            mailer=InMemoryMailer(),
            webhooks=sender,
            notifier=InMemoryNotifier(),
            directory=StaticDirectory({}),
            max_attempts=0,
        )


@pytest.mark.parametrize(
    "module",
    [formflow.worker, formflow.delivery.base, formflow.delivery.smtp, formflow.delivery.webhooks],
)
def test_docstring_examples_hold(module: Any) -> None:
    failed, attempted = doctest.testmod(module, verbose=False)
    assert attempted > 0
    assert failed == 0
