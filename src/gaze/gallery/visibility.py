"""What a safe-for-work API key may see of the gallery and of the jobs' events.

An image is NSFW for such a key when it is flagged NSFW, when its preset is, or when its
resolution mentions a resource or wordlist flagged NSFW: a resource's id as a JSON string, a
wordlist as a whole JSON string ``"__name__"`` (the pick of a ``__name__`` reference, or an
option picked) or at the end of a counted pick over it (``{2$$__name__}``). A wildcard that
merely offers an NSFW option it did not pick is no mention; any other mention that is not a
pick hides the image too: hiding one image too many is the safe side.
A job is NSFW when its preset or its image is, or its resolution mentions an NSFW item.
Whose job it is (``api_key_id``) decides which keys see its events
(`Principal.may_see_job_of`).
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Text, and_, cast, false, not_, or_, select, true

from gaze.db.connection import Database
from gaze.db.models import ImageRow, JobRow, PresetRow, ResourceRow
from gaze.gallery.filters import GalleryFilter
from gaze.security.principal import Principal

WORDLISTS = "wordlists"


def nsfw_mentions(database: Database) -> tuple[str, ...]:
    """The texts whose presence in an image's or job's resolution makes it NSFW (see the
    module docstring)."""
    with database.engine.connect() as connection:
        rows = connection.execute(
            select(ResourceRow.category, ResourceRow.id).where(ResourceRow.is_nsfw.is_(True))
        ).all()
    mentions: set[str] = set()
    for row in rows:
        if row.category == WORDLISTS:
            mentions |= {json.dumps(f"__{row.id}__"), f'$$__{row.id}__}}"'}
        else:
            mentions.add(json.dumps(row.id))
    return tuple(sorted(mentions))


def safe_for_work(database: Database, selection: GalleryFilter) -> GalleryFilter:
    """`selection` limited to the images a safe-for-work key may see."""
    return dataclasses.replace(selection, sfw_only=True, nsfw_mentions=nsfw_mentions(database))


def sfw_condition(selection: GalleryFilter) -> ColumnElement[bool]:
    """The SQL condition of `selection.sfw_only` on ImageRow (true when it is off)."""
    if not selection.sfw_only:
        return true()
    if selection.nsfw == "only":
        return false()
    nsfw_presets = select(PresetRow.id).where(PresetRow.is_nsfw.is_(True))
    conditions: list[ColumnElement[bool]] = [
        ImageRow.is_nsfw.is_(False),
        or_(ImageRow.preset_id.is_(None), ImageRow.preset_id.not_in(nsfw_presets)),
    ]
    if selection.nsfw_mentions:
        mentioned = mentions_condition(ImageRow.resolution, selection.nsfw_mentions)
        conditions.append(or_(ImageRow.resolution.is_(None), not_(mentioned)))
    return and_(*conditions)


def image_is_safe_for_work(database: Database, image_id: int) -> bool:
    """False when the image is NSFW for a safe-for-work key (or missing)."""
    selection = safe_for_work(database, GalleryFilter())
    with database.engine.connect() as connection:
        found = connection.execute(
            select(ImageRow.id).where(ImageRow.id == image_id, sfw_condition(selection))
        ).first()
    return found is not None


@dataclass(frozen=True)
class JobFacts:
    """What decides who may see a job's events."""

    owner_key_id: str | None
    nsfw: bool


def mentions_condition(column: Any, mentions: Sequence[str]) -> ColumnElement[bool]:
    """True where the JSON `column`'s text holds one of `mentions`."""
    text = cast(column, Text)
    return or_(false(), *(text.contains(mention, autoescape=True) for mention in mentions))


def job_facts(
    database: Database, job_ids: Collection[str], mentions: Sequence[str] | None = None
) -> dict[str, JobFacts]:
    """job id -> its owner and whether it is NSFW (its preset or image flagged, or its
    resolution mentioning an NSFW item: `mentions`, default `nsfw_mentions`), for the jobs
    that exist."""
    if not job_ids:
        return {}
    if mentions is None:
        mentions = nsfw_mentions(database)
    nsfw_image = (
        select(ImageRow.id).where(ImageRow.job_id == JobRow.id, ImageRow.is_nsfw.is_(True)).exists()
    )
    statement = (
        select(
            JobRow.id,
            JobRow.api_key_id,
            PresetRow.is_nsfw.label("preset_nsfw"),
            nsfw_image,
            mentions_condition(JobRow.resolution, mentions),
        )
        .outerjoin(PresetRow, PresetRow.id == JobRow.preset_id)
        .where(JobRow.id.in_(list(job_ids)))
    )
    with database.engine.connect() as connection:
        rows = connection.execute(statement).all()
    return {row[0]: JobFacts(row[1], any(map(bool, row[2:]))) for row in rows}


class EventAudience:
    """Which jobs' events one API key may receive: an admin key every job's, any other key
    only its own jobs'; a safe-for-work key none of an NSFW job's. Owners never change and are
    read once per job; whether a job is NSFW is read again for each batch (its image may be
    flagged later)."""

    def __init__(self, database: Database, caller: Principal) -> None:
        self.database = database
        self.caller = caller
        self.owners: dict[str, str | None] = {}

    @property
    def sees_everything(self) -> bool:
        """True for an admin key without the safe-for-work limit: no check needed."""
        return self.caller.is_admin and not self.caller.sfw_only

    def visible(self, job_ids: Collection[str]) -> set[str]:
        """The jobs among `job_ids` whose events the key may receive (reads the database)."""
        if self.sees_everything:
            return set(job_ids)
        caller = self.caller
        ask = [
            job_id
            for job_id in job_ids
            if job_id not in self.owners
            or (caller.sfw_only and caller.may_see_job_of(self.owners[job_id]))
        ]
        nsfw: set[str] = set()
        mentions = None if caller.sfw_only else ()  # NSFW matters only to a safe key
        for job_id, facts in job_facts(self.database, ask, mentions).items():
            self.owners[job_id] = facts.owner_key_id
            if facts.nsfw:
                nsfw.add(job_id)
        return {
            job_id
            for job_id in job_ids
            if job_id in self.owners
            and caller.may_see_job_of(self.owners[job_id])
            and not (caller.sfw_only and job_id in nsfw)
        }
