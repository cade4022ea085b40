"""The gallery service: what the UI reads of the generated images and changes in them.

Missing images are answered with None (False for a delete), like the library's `get`, so
each caller says what a missing image means where it is.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from pathlib import Path
from typing import Any

from gaze.db.connection import Database
from gaze.gallery.cards import ImageCard
from gaze.gallery.changes import delete_gallery_image, set_image_flags
from gaze.gallery.detail import ImageDetail, image_detail
from gaze.gallery.filters import GalleryFilter
from gaze.gallery.image_records import ImageRecord, image_records, preset_id_for
from gaze.gallery.job_images import image_facts_of_jobs, image_ids_of_jobs
from gaze.gallery.listing import PAGE_SIZE, GalleryPage, gallery_page, random_gallery_card
from gaze.gallery.options import GalleryOptions, gallery_options
from gaze.gallery.recent import latest_image_per_preset, latest_image_per_resource
from gaze.gallery.search import images_by_prompt
from gaze.gallery.visibility import (
    EventAudience,
    JobFacts,
    image_is_safe_for_work,
    job_facts,
    safe_for_work,
)
from gaze.media.thumbnails import ThumbnailStore
from gaze.security.principal import Principal


class GalleryService:
    def __init__(self, database: Database, media_dir: Path, thumbnails: ThumbnailStore) -> None:
        self.database = database
        self.media_dir = media_dir
        self.thumbnails = thumbnails

    # --- reading -------------------------------------------------------------------------------

    def page(self, selection: GalleryFilter, limit: int = PAGE_SIZE) -> GalleryPage:
        """Up to `limit` images older than `selection.before`, newest first."""
        return gallery_page(self.database, selection, limit)

    def random_image(self, selection: GalleryFilter) -> ImageCard | None:
        """One of the images `selection` matches, each as likely; None when none does."""
        return random_gallery_card(self.database, selection)

    def records(self, cards: Sequence[ImageCard]) -> list[ImageRecord]:
        """The cards with their preset, prompt and job (the REST API's images)."""
        return image_records(self.database, cards)

    def preset_id_for(self, id_or_slug: str) -> str:
        """The id of the preset with this id or slug (else the text as it is)."""
        return preset_id_for(self.database, id_or_slug)

    def preset_images(self, preset_id: str, limit: int) -> list[ImageCard]:
        """The newest images of a preset."""
        return self.page(GalleryFilter(preset=preset_id), limit).items

    def resource_images(self, category: str, resource_id: str, limit: int) -> list[ImageCard]:
        """The newest images that used a library resource."""
        return self.page(GalleryFilter(resource=f"{category}:{resource_id}"), limit).items

    def safe_for_work(self, selection: GalleryFilter) -> GalleryFilter:
        """`selection` limited to what a safe-for-work API key may see."""
        return safe_for_work(self.database, selection)

    def is_safe_for_work(self, image_id: int) -> bool:
        """Whether a safe-for-work API key may see the image (False when missing)."""
        return image_is_safe_for_work(self.database, image_id)

    def job_facts(self, job_ids: Collection[str]) -> dict[str, JobFacts]:
        """job id -> its owner key and whether it is NSFW, for who may see its events."""
        return job_facts(self.database, job_ids)

    def event_audience(self, caller: Principal) -> EventAudience:
        """Which jobs' events `caller` may receive."""
        return EventAudience(self.database, caller)

    def options(self, selection: GalleryFilter) -> GalleryOptions:
        """The choices of the filter bar, with the label of the resource filtered on."""
        return gallery_options(self.database, selection)

    def image(self, image_id: int) -> ImageDetail | None:
        return image_detail(self.database, image_id)

    def search(self, text: str, limit: int) -> list[ImageCard]:
        """The newest images whose generation mentions `text`."""
        return images_by_prompt(self.database, text, limit)

    def latest_per_preset(self, preset_ids: Collection[str]) -> dict[str, str]:
        """preset id -> relative path of its newest image, for presets that have one."""
        return latest_image_per_preset(self.database, preset_ids)

    def latest_per_resource(self, category: str, resource_ids: Collection[str]) -> dict[str, str]:
        """resource id -> relative path of the newest of the recent images that used it."""
        return latest_image_per_resource(self.database, category, resource_ids)

    def image_ids_of_jobs(self, job_ids: Collection[str]) -> dict[str, int]:
        """job id -> image id, for the jobs whose image is in the gallery."""
        return image_ids_of_jobs(self.database, job_ids)

    def images_of_jobs(self, job_ids: Collection[str]) -> dict[str, dict[str, Any]]:
        """job id -> {image_id, seed, picks} for the jobs whose image is in the gallery."""
        return image_facts_of_jobs(self.database, job_ids)

    # --- changing ------------------------------------------------------------------------------

    def set_flags(
        self, image_id: int, favourite: bool | None, nsfw: bool | None
    ) -> tuple[bool, bool] | None:
        """Set the flags given (None keeps one); the image's (favourite, nsfw), None if
        missing."""
        return set_image_flags(self.database, image_id, favourite, nsfw)

    def delete(self, image_id: int) -> bool:
        """Remove the image from the gallery, its file from the media folder and its
        thumbnails; False when there was no such image."""
        return delete_gallery_image(self.database, self.media_dir, self.thumbnails, image_id)
