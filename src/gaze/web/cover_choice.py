"""The cover a cover form asks for: none (remove), an uploaded file, or an image already saved."""

from __future__ import annotations

from pathlib import Path

from fastapi import UploadFile

from gaze.library.fields import slug_from_id
from gaze.web.cover_upload import UnusableUpload, save_uploaded_cover
from gaze.web.page_errors import PageError


async def chosen_cover(
    media_dir: Path,
    kind: str,
    slug: str,
    *,
    image: str | None,
    upload: UploadFile | None,
    remove: str | None,
    fallback_stem: str,
) -> str | None:
    """The new cover path (None removes it); a 400 page error when the form chose nothing or
    the upload is not a usable image."""
    if remove:
        return None
    if upload is not None and upload.filename:
        try:
            return save_uploaded_cover(
                media_dir, kind, slug_from_id(slug) or fallback_stem, await upload.read()
            )
        except UnusableUpload as error:
            raise PageError(400, f"Cover not changed: {error}.", code="invalid_cover") from None
    if image:
        return image
    raise PageError(400, "Choose an image for the cover.", code="no_cover_chosen")
