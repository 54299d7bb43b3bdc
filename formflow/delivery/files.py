"""`FileMailer`: e-mails written as ``.eml`` files, for development and demos.

The embedded default has no mail server; writing each e-mail to a folder lets a
developer (or a collectivity trying formflow) open exactly what citizens and agents
would receive. Files are named by the message's idempotency key, so a retry
rewrites the same file instead of adding one.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path

from formflow.delivery.base import Mail
from formflow.delivery.smtp import build_email

__all__ = ["FileMailer"]


class FileMailer:
    """A `Mailer` that writes ``<folder>/<date>-<key hash>.eml`` files.

    >>> import datetime as dt, tempfile
    >>> folder = tempfile.mkdtemp()
    >>> mailer = FileMailer(folder, "mairie@ville.example")
    >>> mailer.send(Mail(("a@b.fr",), "Reçu", "Bonjour", None, "k1",
    ...                  dt.datetime(2026, 1, 5, tzinfo=dt.UTC)))
    >>> [p.suffix for p in Path(folder).iterdir()]
    ['.eml']
    """

    def __init__(self, folder: str | os.PathLike[str], sender: str) -> None:
        self.folder = Path(folder)
        self.sender = sender

    def send(self, mail: Mail) -> None:
        message = build_email(mail, self.sender)
        self.folder.mkdir(parents=True, exist_ok=True)
        digest = hashlib.sha256(mail.idempotency_key.encode()).hexdigest()[:16]
        target = self.folder / f"{mail.date:%Y%m%d-%H%M%S}-{digest}.eml"
        # Written aside then renamed: a reader never sees half an e-mail.
        with tempfile.NamedTemporaryFile("wb", dir=self.folder, delete=False) as handle:
            handle.write(message.as_bytes())
        os.replace(handle.name, target)
