"""The first schema: cases, history, outbox, timers, drafts, attachments, cards.

Revision ID: 0001
Revises:
Create Date: 2026-11-23

Written out in full rather than importing `formflow.storage.schema`: a migration must
create the schema as it was at this revision, whatever the module says later.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

__all__: list[str] = []

revision: str = "0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _json() -> sa.types.TypeEngine[Any]:
    return sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def _when() -> sa.DateTime:
    return sa.DateTime(timezone=True)


def _serial() -> sa.types.TypeEngine[int]:
    return sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def _case_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["case_id"],
        ["formflow_cases.id"],
        name=f"fk_{table}_case_id_formflow_cases",
        ondelete="CASCADE",
    )


def upgrade() -> None:
    op.create_table(
        "formflow_cases",
        sa.Column("id", sa.String(64), nullable=False),
        sa.Column("site", sa.String(100), nullable=False),
        sa.Column("form", sa.String(100), nullable=False),
        sa.Column("form_version", sa.String(128), nullable=False),
        sa.Column("workflow", sa.String(100), nullable=False),
        sa.Column("workflow_version", sa.String(128), nullable=False),
        sa.Column("status", sa.String(100), nullable=False),
        sa.Column("tracking_code", sa.String(32), nullable=True),
        sa.Column("submitter_id", sa.String(255), nullable=True),
        sa.Column("channel", sa.String(16), nullable=False),
        sa.Column("urgent", sa.Boolean(), nullable=False),
        sa.Column("anonymised", sa.Boolean(), nullable=False),
        sa.Column("created_at", _when(), nullable=False),
        sa.Column("updated_at", _when(), nullable=False),
        sa.Column("status_since", _when(), nullable=False),
        sa.Column("closed_at", _when(), nullable=True),
        sa.Column("answers", _json(), nullable=False),
        sa.Column("document", _json(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("submit_token", sa.String(255), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_formflow_cases"),
        sa.UniqueConstraint("site", "tracking_code", name="uq_formflow_cases_site_tracking_code"),
        sa.UniqueConstraint("submit_token", name="uq_formflow_cases_submit_token"),
    )
    for columns in (
        ["site", "created_at", "id"],
        ["site", "form", "status", "created_at"],
        ["site", "status", "created_at"],
        ["site", "updated_at"],
        ["submitter_id", "created_at"],
    ):
        op.create_index(f"ix_formflow_cases_{'_'.join(columns)}", "formflow_cases", columns)

    op.create_table(
        "formflow_history",
        sa.Column("case_id", sa.String(64), nullable=False),
        sa.Column("seq", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("at", _when(), nullable=False),
        sa.Column("event", sa.String(100), nullable=False),
        sa.Column("actor_kind", sa.String(16), nullable=False),
        sa.Column("actor_id", sa.String(255), nullable=True),
        sa.Column("to_status", sa.String(100), nullable=False),
        sa.Column("entry", _json(), nullable=False),
        _case_fk("formflow_history"),
        sa.PrimaryKeyConstraint("case_id", "seq", name="pk_formflow_history"),
    )
    op.create_index("ix_formflow_history_actor_id_at", "formflow_history", ["actor_id", "at"])

    op.create_table(
        "formflow_outbox",
        sa.Column("seq", _serial(), autoincrement=True, nullable=False),
        sa.Column("id", sa.String(64), nullable=False),
        sa.Column("case_id", sa.String(64), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("payload", _json(), nullable=False),
        sa.Column("created_at", _when(), nullable=False),
        sa.Column("idempotency_key", sa.String(255), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", _when(), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("delivered_at", _when(), nullable=True),
        _case_fk("formflow_outbox"),
        sa.PrimaryKeyConstraint("seq", name="pk_formflow_outbox"),
        sa.UniqueConstraint("id", name="uq_formflow_outbox_id"),
    )
    op.create_index(
        "ix_formflow_outbox_case_id_created_at", "formflow_outbox", ["case_id", "created_at"]
    )
    op.create_index(
        "ix_formflow_outbox_state_next_attempt_at",
        "formflow_outbox",
        ["state", "next_attempt_at"],
    )

    op.create_table(
        "formflow_timers",
        sa.Column("seq", _serial(), autoincrement=True, nullable=False),
        sa.Column("id", sa.String(64), nullable=False),
        sa.Column("case_id", sa.String(64), nullable=False),
        sa.Column("due_at", _when(), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("status", sa.String(100), nullable=True),
        sa.Column("timeout_index", sa.Integer(), nullable=True),
        sa.Column("action", sa.String(100), nullable=True),
        _case_fk("formflow_timers"),
        sa.PrimaryKeyConstraint("seq", name="pk_formflow_timers"),
        sa.UniqueConstraint("id", name="uq_formflow_timers_id"),
    )
    op.create_index("ix_formflow_timers_due_at", "formflow_timers", ["due_at"])
    op.create_index("ix_formflow_timers_case_id_kind", "formflow_timers", ["case_id", "kind"])

    op.create_table(
        "formflow_drafts",
        sa.Column("id", sa.String(64), nullable=False),
        sa.Column("site", sa.String(100), nullable=False),
        sa.Column("form", sa.String(100), nullable=False),
        sa.Column("form_version", sa.String(128), nullable=False),
        sa.Column("state", _json(), nullable=False),
        sa.Column("updated_at", _when(), nullable=False),
        sa.Column("owner_id", sa.String(255), nullable=True),
        sa.Column("secret_hash", sa.String(128), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_formflow_drafts"),
    )
    op.create_index("ix_formflow_drafts_owner_id", "formflow_drafts", ["owner_id"])
    op.create_index("ix_formflow_drafts_updated_at", "formflow_drafts", ["updated_at"])

    op.create_table(
        "formflow_attachments",
        sa.Column("case_id", sa.String(64), nullable=False),
        sa.Column("field", sa.String(100), nullable=False),
        sa.Column("blob_id", sa.String(128), nullable=False),
        sa.Column("name", sa.String(255), nullable=False),
        sa.Column("content_type", sa.String(255), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        _case_fk("formflow_attachments"),
        sa.PrimaryKeyConstraint("case_id", "field", "blob_id", name="pk_formflow_attachments"),
    )
    op.create_index("ix_formflow_attachments_blob_id", "formflow_attachments", ["blob_id"])

    op.create_table(
        "formflow_cards",
        sa.Column("id", _serial(), autoincrement=True, nullable=False),
        sa.Column("site", sa.String(100), nullable=False),
        sa.Column("card", sa.String(100), nullable=False),
        sa.Column("record", _json(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_formflow_cards"),
    )
    op.create_index("ix_formflow_cards_site_card_id", "formflow_cards", ["site", "card", "id"])


def downgrade() -> None:
    for table in (
        "formflow_cards",
        "formflow_attachments",
        "formflow_drafts",
        "formflow_timers",
        "formflow_outbox",
        "formflow_history",
        "formflow_cases",
    ):
        op.drop_table(table)
