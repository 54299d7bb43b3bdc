"""E-mail over SMTP with the standard library.

::

    mailer = SmtpMailer("smtp.ville.example", 587, starttls=True,
                        username="formflow", password=os.environ["SMTP_PASSWORD"],
                        sender="Ville de Démoville <ne-pas-repondre@ville.example>")

Every e-mail is UTF-8 text, carries ``Auto-Submitted: auto-generated`` (RFC 3834: no
vacation replies to a robot) and a ``Message-ID`` derived from the outbox message's
idempotency key, so the copy sent by a retry is recognised as the same message.
"""

from __future__ import annotations

import email.errors
import email.policy
import email.utils
import hashlib
import smtplib
import ssl as ssl_module
from collections.abc import Iterable
from email.message import EmailMessage

from formflow.delivery.base import DeliveryError, Mail

__all__ = ["SmtpMailer", "build_email", "message_id_for"]


def message_id_for(idempotency_key: str, sender: str) -> str:
    """The ``Message-ID`` of the e-mail of an outbox message: the same on every try.

    The key is hashed: it holds characters a Message-ID may not, and ids of cases
    have no business in headers.

    >>> message_id_for("c1:0:submit:0", "Mairie <mairie@ville.example>")
    '<82680075ac3934c81492bba1fff8c64a@ville.example>'
    """
    domain = email.utils.parseaddr(sender)[1].rpartition("@")[2] or "formflow.invalid"
    digest = hashlib.sha256(idempotency_key.encode()).hexdigest()[:32]
    return f"<{digest}@{domain}>"


def build_email(mail: Mail, sender: str) -> EmailMessage:
    """The `EmailMessage` for ``mail`` from ``sender``.

    Raises `DeliveryError` (permanent) when a header cannot be written, e.g. an
    address with a line break: sending it again would fail the same way.

    >>> import datetime as dt
    >>> mail = Mail(("ana@example.org",), "Demande reçue", "Bonjour Anaïs", None, "k",
    ...             dt.datetime(2026, 1, 5, 9, 0, tzinfo=dt.UTC))
    >>> message = build_email(mail, "mairie@ville.example")
    >>> message["Subject"], message["Auto-Submitted"], message.get_content().strip()
    ('Demande reçue', 'auto-generated', 'Bonjour Anaïs')
    """
    try:
        message = EmailMessage(policy=email.policy.SMTP)
        message["From"] = sender
        message["To"] = ", ".join(mail.to)
        message["Subject"] = mail.subject
        message["Date"] = email.utils.format_datetime(mail.date)
        message["Message-ID"] = message_id_for(mail.idempotency_key, sender)
        if mail.reply_to:
            message["Reply-To"] = mail.reply_to
        message["Auto-Submitted"] = "auto-generated"
        # Exchange ignores RFC 3834; this keeps its out-of-office replies away too.
        message["X-Auto-Response-Suppress"] = "All"
        # Quoted-printable rather than 8bit: every relay accepts it, 8BITMIME or not.
        message.set_content(mail.body, charset="utf-8", cte="quoted-printable")
    except (ValueError, email.errors.MessageError) as exc:
        raise DeliveryError(
            f"cannot write the e-mail: invalid header ({type(exc).__name__})", permanent=True
        ) from None
    return message


def _by_codes(codes: Iterable[int], what: str) -> DeliveryError:
    # 5xx is the server's final word; 4xx (greylisting, full mailbox, rate limit) passes.
    codes = sorted(set(codes))
    permanent = all(code >= 500 for code in codes)
    shown = "/".join(str(code) for code in codes)
    return DeliveryError(f"SMTP {shown}: {what}", permanent=permanent)


class SmtpMailer:
    """A `Mailer` talking SMTP to a relay; one connection per e-mail.

    ``ssl`` connects with implicit TLS (port 465), ``starttls`` upgrades a plain
    connection (port 587); certificates are checked with the system's CAs unless an
    ``ssl_context`` says otherwise. ``timeout`` (seconds) bounds each network call.

    Failures before the e-mail is handed over (connection, TLS, authentication) are
    retryable: they are outages or settings to fix, and the e-mails must survive
    them. A 5xx refusal of the e-mail itself is permanent.
    """

    def __init__(
        self,
        host: str,
        port: int = 25,
        *,
        username: str | None = None,
        password: str | None = None,
        starttls: bool = False,
        ssl: bool = False,
        sender: str,
        timeout: float = 30.0,
        ssl_context: ssl_module.SSLContext | None = None,
    ) -> None:
        if ssl and starttls:
            raise ValueError("choose ssl (implicit TLS) or starttls, not both")
        if not email.utils.parseaddr(sender)[1]:
            raise ValueError("sender needs an e-mail address")
        self.host = host
        self.port = port
        self.username = username
        self.password = password
        self.starttls = starttls
        self.ssl = ssl
        self.sender = sender
        self.timeout = timeout
        self.ssl_context = ssl_context

    def __repr__(self) -> str:  # no password in reprs, logs or tracebacks
        return f"SmtpMailer({self.host!r}, {self.port}, sender={self.sender!r})"

    def _connect(self) -> smtplib.SMTP:
        context = self.ssl_context or ssl_module.create_default_context()
        smtp: smtplib.SMTP
        if self.ssl:
            smtp = smtplib.SMTP_SSL(self.host, self.port, timeout=self.timeout, context=context)
        else:
            smtp = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
        try:
            if self.starttls:
                smtp.starttls(context=context)
            if self.username is not None:
                smtp.login(self.username, self.password or "")
        except BaseException:
            smtp.close()
            raise
        return smtp

    def send(self, mail: Mail) -> None:
        """Send ``mail``; raises `DeliveryError` saying whether to try again.

        An e-mail refused for some recipients only is a permanent failure: the others
        have it, and sending it again would give them a second copy.
        """
        message = build_email(mail, self.sender)
        envelope_from = email.utils.parseaddr(self.sender)[1]
        try:
            smtp = self._connect()
        except smtplib.SMTPAuthenticationError:
            raise DeliveryError("SMTP authentication refused: check the credentials") from None
        except smtplib.SMTPNotSupportedError:
            raise DeliveryError("the SMTP server does not offer STARTTLS") from None
        except (smtplib.SMTPException, OSError) as exc:
            raise DeliveryError(f"cannot reach the SMTP server ({type(exc).__name__})") from None
        with smtp:
            try:
                refused = smtp.send_message(
                    message, from_addr=envelope_from, to_addrs=list(mail.to)
                )
            except smtplib.SMTPRecipientsRefused as exc:
                raise _by_codes(
                    (code for code, _ in exc.recipients.values()), "every recipient refused"
                ) from None
            except smtplib.SMTPSenderRefused as exc:
                raise _by_codes([exc.smtp_code], "sender refused") from None
            except smtplib.SMTPDataError as exc:
                raise _by_codes([exc.smtp_code], "message refused") from None
            except smtplib.SMTPNotSupportedError:
                # Non-ASCII addresses need SMTPUTF8; this server will never take them.
                raise DeliveryError(
                    "the SMTP server cannot take these addresses (no SMTPUTF8)", permanent=True
                ) from None
            except (smtplib.SMTPException, OSError) as exc:
                raise DeliveryError(f"SMTP connection lost ({type(exc).__name__})") from None
        if refused:
            codes = ", ".join(sorted({str(code) for code, _ in refused.values()}))
            raise DeliveryError(
                f"SMTP {codes}: refused for {len(refused)} of {len(mail.to)} recipients, "
                "the others received it",
                permanent=True,
            )
