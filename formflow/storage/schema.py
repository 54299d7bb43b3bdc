"""The tables of formflow, in SQLAlchemy Core, on one `metadata`.

============================  ================================================================
table                         one row per
============================  ================================================================
``formflow_cases``            case: the columns the back office filters and sorts on, the
                              answers as JSON, the rest of the case as JSON (``document``)
                              and the optimistic-lock version
``formflow_history``          history entry; append-only, numbered per case (``seq``)
``formflow_outbox``           e-mail, webhook or notification to deliver, with its state
``formflow_timers``           pending timer (a fired or cancelled one is deleted)
``formflow_drafts``           form being filled in, saved to be resumed
``formflow_attachments``      uploaded file a case refers to; the bytes are in a blob store
``formflow_cards``            card record of a site (``record`` as JSON)
============================  ================================================================

Tables are prefixed so that formflow can share a database with its host application;
Alembic's own bookkeeping is in ``formflow_alembic_version`` for the same reason.

Timestamps are stored in UTC (`UtcDateTime`) and read back as aware UTC datetimes, on
SQLite too, whose column type has no time zone. JSON columns are ``JSONB`` on PostgreSQL.

The migrations in ``formflow/storage/migrations`` create exactly these tables; a test
compares them with Alembic's ``compare_metadata``.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from sqlalchemy.engine import Dialect

__all__ = [
    "Json",
    "UtcDateTime",
    "attachments",
    "cards",
    "cases",
    "drafts",
    "history",
    "metadata",
    "outbox",
    "timers",
]

#: Deterministic constraint names: Alembic can then drop or alter them by name later.
NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
}

metadata = sa.MetaData(naming_convention=NAMING_CONVENTION)

#: JSON everywhere; ``JSONB`` on PostgreSQL (smaller, indexable, compared by value).
Json = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")

#: An auto-incremented integer key: ``BIGSERIAL`` on PostgreSQL, SQLite's rowid alias.
_SERIAL = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


class UtcDateTime(sa.TypeDecorator[dt.datetime]):
    """An aware datetime stored in UTC, read back as an aware UTC datetime.

    A naive datetime is refused: its meaning depends on where the process runs.
    """

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Dialect) -> Any:
        if value is None:
            return None
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError(f"naive datetime {value.isoformat()}: give a time zone")
        utc = value.astimezone(dt.UTC)
        # SQLite's DATETIME has no zone: store the UTC wall clock, which also sorts and
        # compares as text in time order.
        return utc.replace(tzinfo=None) if dialect.name == "sqlite" else utc

    def process_result_value(self, value: Any, dialect: Dialect) -> dt.datetime | None:
        if value is None:
            return None
        assert isinstance(value, dt.datetime)
        if value.tzinfo is None:
            return value.replace(tzinfo=dt.UTC)
        return value.astimezone(dt.UTC)


def _slug(name: str, **kwargs: Any) -> sa.Column[str]:
    return sa.Column(name, sa.String(100), **kwargs)


def _case_fk() -> sa.ForeignKey:
    # Purging a case (retention) takes its history, messages, timers and files along.
    return sa.ForeignKey("formflow_cases.id", ondelete="CASCADE")


cases = sa.Table(
    "formflow_cases",
    metadata,
    sa.Column("id", sa.String(64), primary_key=True),
    _slug("site", nullable=False),
    _slug("form", nullable=False),
    sa.Column("form_version", sa.String(128), nullable=False),
    _slug("workflow", nullable=False),
    sa.Column("workflow_version", sa.String(128), nullable=False),
    _slug("status", nullable=False),
    sa.Column("tracking_code", sa.String(32)),
    sa.Column("submitter_id", sa.String(255)),
    sa.Column("channel", sa.String(16), nullable=False),
    sa.Column("urgent", sa.Boolean(), nullable=False),
    sa.Column("anonymised", sa.Boolean(), nullable=False),
    sa.Column("created_at", UtcDateTime(), nullable=False),
    sa.Column("updated_at", UtcDateTime(), nullable=False),
    sa.Column("status_since", UtcDateTime(), nullable=False),
    sa.Column("closed_at", UtcDateTime()),
    sa.Column("answers", Json, nullable=False),
    #: What `case_to_json` writes less the history and the fields with a column here;
    #: the times are in it too, with the offset the engine gave them.
    sa.Column("document", Json, nullable=False),
    sa.Column("version", sa.Integer(), nullable=False),
    #: The idempotency token of the submission; UNIQUE makes a replay one case.
    sa.Column("submit_token", sa.String(255)),
    sa.UniqueConstraint("site", "tracking_code"),
    sa.UniqueConstraint("submit_token"),
    # Listing: newest first within a site, keyset-paginated on (created_at, id).
    sa.Index(None, "site", "created_at", "id"),
    sa.Index(None, "site", "form", "status", "created_at"),
    sa.Index(None, "site", "status", "created_at"),
    sa.Index(None, "site", "updated_at"),
    sa.Index(None, "submitter_id", "created_at"),
)

history = sa.Table(
    "formflow_history",
    metadata,
    sa.Column("case_id", sa.String(64), _case_fk(), primary_key=True),
    #: 0, 1, 2 … within the case: the order of the history.
    sa.Column("seq", sa.Integer(), primary_key=True, autoincrement=False),
    sa.Column("at", UtcDateTime(), nullable=False),
    sa.Column("event", sa.String(100), nullable=False),
    sa.Column("actor_kind", sa.String(16), nullable=False),
    sa.Column("actor_id", sa.String(255)),
    sa.Column("to_status", sa.String(100), nullable=False),
    #: The entry as `case_to_json` writes it (times keep the offset they were written with).
    sa.Column("entry", Json, nullable=False),
    # "What did this agent do": audits and statistics.
    sa.Index(None, "actor_id", "at"),
)

outbox = sa.Table(
    "formflow_outbox",
    metadata,
    #: Insertion order: messages created at one instant keep the order they were made in.
    sa.Column("seq", _SERIAL, primary_key=True, autoincrement=True),
    sa.Column("id", sa.String(64), nullable=False, unique=True),
    sa.Column("case_id", sa.String(64), _case_fk(), nullable=False),
    sa.Column("kind", sa.String(16), nullable=False),
    sa.Column("payload", Json, nullable=False),
    sa.Column("created_at", UtcDateTime(), nullable=False),
    sa.Column("idempotency_key", sa.String(255), nullable=False),
    sa.Column("state", sa.String(16), nullable=False),
    sa.Column("attempts", sa.Integer(), nullable=False),
    sa.Column("next_attempt_at", UtcDateTime()),
    sa.Column("last_error", sa.Text()),
    sa.Column("delivered_at", UtcDateTime()),
    sa.Index(None, "case_id", "created_at"),
    # The workers' question: what is pending and due.
    sa.Index(None, "state", "next_attempt_at"),
)

timers = sa.Table(
    "formflow_timers",
    metadata,
    sa.Column("seq", _SERIAL, primary_key=True, autoincrement=True),
    sa.Column("id", sa.String(64), nullable=False, unique=True),
    sa.Column("case_id", sa.String(64), _case_fk(), nullable=False),
    sa.Column("due_at", UtcDateTime(), nullable=False),
    sa.Column("kind", sa.String(16), nullable=False),
    sa.Column("status", sa.String(100)),
    sa.Column("timeout_index", sa.Integer()),
    sa.Column("action", sa.String(100)),
    sa.Index(None, "due_at"),
    sa.Index(None, "case_id", "kind"),
)

drafts = sa.Table(
    "formflow_drafts",
    metadata,
    sa.Column("id", sa.String(64), primary_key=True),
    _slug("site", nullable=False),
    _slug("form", nullable=False),
    sa.Column("form_version", sa.String(128), nullable=False),
    sa.Column("state", Json, nullable=False),
    sa.Column("updated_at", UtcDateTime(), nullable=False),
    sa.Column("owner_id", sa.String(255)),
    sa.Column("secret_hash", sa.String(128)),
    sa.Index(None, "owner_id"),
    # Purging drafts left unfinished for too long.
    sa.Index(None, "updated_at"),
)

attachments = sa.Table(
    "formflow_attachments",
    metadata,
    sa.Column("case_id", sa.String(64), _case_fk(), primary_key=True),
    #: The answer (or back-office field) that holds the file.
    sa.Column("field", sa.String(100), primary_key=True),
    #: The blob store's id of the content.
    sa.Column("blob_id", sa.String(128), primary_key=True),
    sa.Column("name", sa.String(255), nullable=False),
    sa.Column("content_type", sa.String(255), nullable=False),
    sa.Column("size", sa.BigInteger(), nullable=False),
    sa.Column("sha256", sa.String(64), nullable=False),
    # "Is this blob still referenced?" before deleting it from the blob store.
    sa.Index(None, "blob_id"),
)

cards = sa.Table(
    "formflow_cards",
    metadata,
    sa.Column("id", _SERIAL, primary_key=True, autoincrement=True),
    _slug("site", nullable=False),
    _slug("card", nullable=False),
    sa.Column("record", Json, nullable=False),
    sa.Index(None, "site", "card", "id"),
)
