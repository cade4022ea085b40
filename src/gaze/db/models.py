"""The relational schema. Documents that evolve (presets, resources) are JSON columns."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, ClassVar

from sqlalchemy import JSON, BigInteger, Boolean, DateTime, Float, Index, Integer, String, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


def utcnow() -> datetime:
    return datetime.now(UTC)


class Base(DeclarativeBase):
    type_annotation_map: ClassVar[dict[Any, Any]] = {dict[str, Any]: JSON, list[Any]: JSON}


class SettingRow(Base):
    """Key/value settings stored in the database (API key hash, webhook secret...)."""

    __tablename__ = "settings"

    key: Mapped[str] = mapped_column(String(100), primary_key=True)
    value: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class PresetRow(Base):
    __tablename__ = "presets"

    id: Mapped[str] = mapped_column(String(200), primary_key=True)
    slug: Mapped[str] = mapped_column(String(200), unique=True, index=True)
    name: Mapped[str] = mapped_column(String(300))
    document: Mapped[dict[str, Any]] = mapped_column(JSON)
    is_favourite: Mapped[bool] = mapped_column(Boolean, default=False)
    is_nsfw: Mapped[bool] = mapped_column(Boolean, default=False)
    cover: Mapped[str | None] = mapped_column(String(500), nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class ResourceRow(Base):
    """A library building block: character, look, outfit, action, style, scene or detailer."""

    __tablename__ = "resources"

    category: Mapped[str] = mapped_column(String(40), primary_key=True)
    id: Mapped[str] = mapped_column(String(200), primary_key=True)
    slug: Mapped[str] = mapped_column(String(200))
    name: Mapped[str] = mapped_column(String(300))
    document: Mapped[dict[str, Any]] = mapped_column(JSON)
    is_favourite: Mapped[bool] = mapped_column(Boolean, default=False)
    is_nsfw: Mapped[bool] = mapped_column(Boolean, default=False)
    cover: Mapped[str | None] = mapped_column(String(500), nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    __table_args__ = (Index("ix_resources_category_slug", "category", "slug", unique=True),)


class CheckpointRow(Base):
    """Per-checkpoint generation settings, keyed by the path relative to checkpoints/."""

    __tablename__ = "checkpoints"

    path: Mapped[str] = mapped_column(String(500), primary_key=True)
    document: Mapped[dict[str, Any]] = mapped_column(JSON)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class JobRow(Base):
    __tablename__ = "jobs"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    label: Mapped[str] = mapped_column(String(400))
    status: Mapped[str] = mapped_column(String(20), index=True)
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    preset_id: Mapped[str | None] = mapped_column(String(200), nullable=True, index=True)
    preset_slug: Mapped[str | None] = mapped_column(String(200), nullable=True)
    batch_id: Mapped[str | None] = mapped_column(String(36), nullable=True, index=True)
    retry_of: Mapped[str | None] = mapped_column(String(36), nullable=True)
    spec: Mapped[dict[str, Any]] = mapped_column(JSON)
    resolution: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    output_folder: Mapped[str] = mapped_column(String(500))
    backend: Mapped[str | None] = mapped_column(String(300), nullable=True)
    progress: Mapped[float] = mapped_column(Float, default=0.0)
    result: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    worker_id: Mapped[str | None] = mapped_column(String(100), nullable=True)
    heartbeat_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    cancel_requested: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    queued_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    """When the job last entered the queue; pending jobs run in this order."""
    checkpoint: Mapped[str | None] = mapped_column(String(500), nullable=True)
    webhook_url: Mapped[str | None] = mapped_column(String(2000), nullable=True)
    webhook_events: Mapped[list[Any] | None] = mapped_column(JSON, nullable=True)
    kind: Mapped[str] = mapped_column(String(20), default="generate", server_default="generate")
    """What the job does: "generate" (an image) or "draft" (a library draft by an LLM)."""
    api_key_id: Mapped[str | None] = mapped_column(String(36), nullable=True, index=True)
    """The named API key that made the job ("default" for the guide's key; null: the web UI)."""
    priority: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    """1 for `"priority": "high"`: such pending jobs run before the others."""
    queue_turn: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    """The job's turn in the round-robin between keys: pending jobs run by (priority, turn)."""

    __table_args__ = (
        Index("ix_jobs_created_at", "created_at"),
        Index("ix_jobs_status_queued_at", "status", "queued_at"),
    )


class ImageRow(Base):
    """A generated image in the gallery."""

    __tablename__ = "images"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    job_id: Mapped[str | None] = mapped_column(String(36), nullable=True, index=True)
    relative_path: Mapped[str] = mapped_column(String(500), unique=True)
    preset_id: Mapped[str | None] = mapped_column(String(200), nullable=True, index=True)
    checkpoint: Mapped[str | None] = mapped_column(String(500), nullable=True)
    seed: Mapped[str] = mapped_column(String(24))
    width: Mapped[int] = mapped_column(Integer)
    height: Mapped[int] = mapped_column(Integer)
    backend: Mapped[str | None] = mapped_column(String(300), nullable=True)
    spec: Mapped[dict[str, Any]] = mapped_column(JSON)
    resolution: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    is_favourite: Mapped[bool] = mapped_column(Boolean, default=False)
    is_nsfw: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, index=True
    )


AUTOINCREMENT_ID = BigInteger().with_variant(Integer(), "sqlite")
"""64-bit ids on PostgreSQL; SQLite's INTEGER PRIMARY KEY is already 64-bit."""


class JobEventRow(Base):
    """One job event; its id orders all events and is the SSE event id."""

    __tablename__ = "job_events"

    id: Mapped[int] = mapped_column(AUTOINCREMENT_ID, primary_key=True, autoincrement=True)
    job_id: Mapped[str] = mapped_column(String(36), index=True)
    batch_id: Mapped[str | None] = mapped_column(String(36), nullable=True, index=True)
    type: Mapped[str] = mapped_column(String(32))
    data: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, index=True
    )

    __table_args__ = ({"sqlite_autoincrement": True},)


class WebhookDeliveryRow(Base):
    """One job event to be POSTed to the job's webhook, with its attempts."""

    __tablename__ = "webhook_deliveries"

    id: Mapped[int] = mapped_column(AUTOINCREMENT_ID, primary_key=True, autoincrement=True)
    job_id: Mapped[str] = mapped_column(String(36), index=True)
    event_id: Mapped[int] = mapped_column(BigInteger)
    event: Mapped[str] = mapped_column(String(32))
    url: Mapped[str] = mapped_column(String(2000))
    body: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    claimed_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    last_status_code: Mapped[int | None] = mapped_column(Integer, nullable=True)
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)
    log: Mapped[list[Any]] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    delivered_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)

    __table_args__ = (Index("ix_webhook_deliveries_due", "status", "next_attempt_at"),)


class IdempotencyKeyRow(Base):
    """An `Idempotency-Key` of a generate request and the answer it got."""

    __tablename__ = "idempotency_keys"

    key: Mapped[str] = mapped_column(String(255), primary_key=True)
    fingerprint: Mapped[str] = mapped_column(String(64))
    status_code: Mapped[int | None] = mapped_column(Integer, nullable=True)
    response: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    created_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, index=True
    )


class GridRow(Base):
    """An X/Y/Z grid: its request, axes, the job of each cell (one batch) and its sheets."""

    __tablename__ = "grids"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    batch_id: Mapped[str] = mapped_column(String(36), index=True)
    status: Mapped[str] = mapped_column(String(20))
    request: Mapped[dict[str, Any]] = mapped_column(JSON)
    axes: Mapped[dict[str, Any]] = mapped_column(JSON)
    cells: Mapped[list[Any]] = mapped_column(JSON)
    """One ``{x, y, z, labels, job_id}`` per cell, x fastest."""
    sheets: Mapped[list[Any] | None] = mapped_column(JSON, nullable=True)
    """One ``{z, relative_path}`` per z value once every cell has ended."""
    created_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, index=True
    )
    sweep_category: Mapped[str | None] = mapped_column(String(40), nullable=True)
    """A strength sweep's resource (its category and id); None for other grids."""
    sweep_resource_id: Mapped[str | None] = mapped_column(String(128), nullable=True)

    __table_args__ = (Index("ix_grids_sweep", "sweep_category", "sweep_resource_id"),)


PREFIX_KEY = String(300).with_variant(String(300, collation="C"), "postgresql")
"""Byte order on PostgreSQL too, so a btree range on the key is a prefix match."""


class TagRow(Base):
    """One tag of the autocomplete vocabulary (an A1111 tag-autocomplete CSV line)."""

    __tablename__ = "tags"

    name: Mapped[str] = mapped_column(String(300), primary_key=True)
    key: Mapped[str] = mapped_column(PREFIX_KEY, index=True)
    """The name as prefixes are matched: lower case, spaces written as underscores."""
    head1: Mapped[str] = mapped_column(PREFIX_KEY)
    """The key's first character, and below its first two: one- and two-letter prefixes
    read their most used tags straight from an index instead of sorting every match."""
    head2: Mapped[str] = mapped_column(PREFIX_KEY)
    category: Mapped[int] = mapped_column(Integer, default=-1)
    post_count: Mapped[int] = mapped_column(Integer, default=0)
    aliases: Mapped[list[Any]] = mapped_column(JSON, default=list)

    __table_args__ = (
        Index("ix_tags_head1_post_count", "head1", "post_count"),
        Index("ix_tags_head2_post_count", "head2", "post_count"),
        Index("ix_tags_post_count", "post_count"),
    )


class TagAliasRow(Base):
    """Another spelling of a tag, searchable by prefix like the tag's own name."""

    __tablename__ = "tag_aliases"

    alias: Mapped[str] = mapped_column(String(300), primary_key=True)
    key: Mapped[str] = mapped_column(PREFIX_KEY, index=True)
    name: Mapped[str] = mapped_column(String(300))


class ApiKeyRow(Base):
    """A named API key: its secret is stored only as a SHA-256 hash."""

    __tablename__ = "api_keys"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    scopes: Mapped[list[Any]] = mapped_column(JSON)
    sfw_only: Mapped[bool] = mapped_column(Boolean, default=False)
    daily_quota: Mapped[int | None] = mapped_column(Integer, nullable=True)
    """Images per rolling 24 hours; null: no quota."""
    rate_per_minute: Mapped[int | None] = mapped_column(Integer, nullable=True)
    """Requests per minute; null: no limit."""
    high_priority: Mapped[bool] = mapped_column(Boolean, default=False)
    """May ask for `"priority": "high"` on generate."""
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    request_count: Mapped[int] = mapped_column(BigInteger, default=0)
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
