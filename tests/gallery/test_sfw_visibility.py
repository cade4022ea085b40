"""What a safe-for-work key may see of the gallery and the jobs, on SQLite and PostgreSQL:
images flagged NSFW, of an NSFW preset, or naming an NSFW resource or wordlist are left out
of pages, random picks and single looks; job owners and NSFW jobs for the event streams."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import update

from devkit.services import scratch_postgres_database
from gaze.db.connection import Database
from gaze.db.migrate import upgrade_to_head
from gaze.db.models import ImageRow, JobRow, PresetRow, ResourceRow
from gaze.examples import example_library_path
from gaze.folders.transfer import import_library_folder
from gaze.gallery.filters import GalleryFilter
from gaze.gallery.service import GalleryService
from gaze.media.thumbnails import ThumbnailStore
from gaze.security.principal import DEFAULT_PRINCIPAL, GENERATE, Principal
from tests.support.gallery_images import add_gallery_image

START = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    def prepared(url: str) -> str:
        opened = Database(url)
        upgrade_to_head(opened.engine)
        assert import_library_folder(opened, example_library_path()).ok
        with opened.session() as session:
            session.execute(
                update(ResourceRow)
                .where(ResourceRow.category == "characters", ResourceRow.id == "kenji_arata")
                .values(is_nsfw=True)
            )
            session.execute(
                update(PresetRow).where(PresetRow.id == "example_02").values(is_nsfw=True)
            )
            for wordlist, nsfw in (("sfwv_lewd", True), ("sfwv_colors", False)):
                document = {"id": wordlist, "name": wordlist, "lines": ["a"], "is_nsfw": nsfw}
                session.add(
                    ResourceRow(
                        category="wordlists",
                        id=wordlist,
                        slug=wordlist,
                        name=wordlist,
                        document=document,
                        is_nsfw=nsfw,
                    )
                )
        opened.dispose()
        return url

    if request.param == "sqlite":
        yield prepared(f"sqlite:///{tmp_path / 'gaze.db'}")
    else:
        with scratch_postgres_database() as url:
            yield prepared(url)


def _job(database: Database, owner: str | None, preset_id: str, characters: list[str]) -> str:
    job_id = str(uuid.uuid4())
    with database.session() as session:
        session.add(
            JobRow(
                id=job_id,
                label="test",
                status="done",
                preset_id=preset_id,
                spec={"positive": "x"},
                resolution={"characters": [{"id": c, "name": c} for c in characters]},
                output_folder="presets/test",
                api_key_id=owner,
            )
        )
    return job_id


def _pick(wildcard: str, chosen: list[str]) -> dict[str, object]:
    return {"wildcard": wildcard, "stream": "wildcards:positive:0", "picked": chosen, "text": "a"}


def test_safe_for_work_gallery_and_job_facts(database_url: str, tmp_path: Path) -> None:
    database = Database(database_url)
    try:

        def image(number: int, **extra: object) -> int:
            return add_gallery_image(
                tmp_path,
                f"presets/sfw/gen_{1772366400 + number}.png",
                seed=number,
                created_at=START + timedelta(minutes=number),
                database_url=database_url,
                **extra,  # type: ignore[arg-type]
            )

        plain = image(0, preset_id="example_01", characters=["aria_vale"])
        flagged = image(1, preset_id="example_01", characters=["aria_vale"], nsfw=True)
        of_nsfw_preset = image(2, preset_id="example_02", characters=["aria_vale"])
        naming_nsfw = image(3, preset_id="example_01", characters=["kenji_arata"])
        no_preset = image(4, preset_id=None, characters=[])
        gallery = GalleryService(database, tmp_path / "uploads", ThumbnailStore(tmp_path, tmp_path))
        offered = image(5, preset_id=None)
        picked = image(6, preset_id=None)
        counted = image(7, preset_id=None)
        offer = "{__sfwv_colors__|__sfwv_lewd__}"
        wildcard_picks = {
            offered: [_pick(offer, ["__sfwv_colors__"]), _pick("__sfwv_colors__", ["a"])],
            picked: [_pick(offer, ["__sfwv_lewd__"]), _pick("__sfwv_lewd__", ["a"])],
            counted: [_pick("{2$$__sfwv_lewd__}", ["a"])],
        }
        with database.session() as session:
            for image_id, picks in wildcard_picks.items():
                session.execute(
                    update(ImageRow)
                    .where(ImageRow.id == image_id)
                    .values(resolution={"characters": [], "wildcards": picks})
                )

        everything = GalleryFilter(since=START)
        every_id = [card.id for card in gallery.page(everything).items]
        assert every_id == [
            counted,
            picked,
            offered,
            no_preset,
            naming_nsfw,
            of_nsfw_preset,
            flagged,
            plain,
        ]
        safe = gallery.safe_for_work(everything)
        assert '"kenji_arata"' in safe.nsfw_mentions
        assert [card.id for card in gallery.page(safe).items] == [offered, no_preset, plain]
        for _ in range(10):
            chosen = gallery.random_image(safe)
            assert chosen is not None and chosen.id in {offered, no_preset, plain}
        aria = gallery.safe_for_work(GalleryFilter(since=START, resource="characters:aria_vale"))
        assert [card.id for card in gallery.page(aria).items] == [plain]
        assert gallery.random_image(gallery.safe_for_work(GalleryFilter(nsfw="only"))) is None
        assert gallery.is_safe_for_work(plain) and gallery.is_safe_for_work(no_preset)
        for image_id in (flagged, of_nsfw_preset, naming_nsfw, picked, counted, 10**6):
            assert not gallery.is_safe_for_work(image_id)

        mine = _job(database, "key-a", "example_01", ["aria_vale"])
        theirs = _job(database, "key-b", "example_01", ["aria_vale"])
        racy = _job(database, "key-a", "example_01", ["kenji_arata"])
        late = _job(database, "key-a", "example_02", ["aria_vale"])
        facts = gallery.job_facts([mine, theirs, racy, late, "missing"])
        assert {job_id: (fact.owner_key_id, fact.nsfw) for job_id, fact in facts.items()} == {
            mine: ("key-a", False),
            theirs: ("key-b", False),
            racy: ("key-a", True),
            late: ("key-a", True),
        }
        jobs = [mine, theirs, racy, late]
        key_a = Principal(key_id="key-a", name="a", scopes=frozenset({GENERATE}))
        assert gallery.event_audience(key_a).visible(jobs) == {mine, racy, late}
        safe_a = Principal(key_id="key-a", name="a", scopes=frozenset({GENERATE}), sfw_only=True)
        assert gallery.event_audience(safe_a).visible(jobs) == {mine}
        admin = gallery.event_audience(DEFAULT_PRINCIPAL)
        assert admin.sees_everything and admin.visible(jobs) == set(jobs)
    finally:
        database.dispose()
