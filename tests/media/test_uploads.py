"""Uploaded images (stored again as PNG under inputs/) and the media-folder images a job may
start from (checked and fingerprinted)."""

from __future__ import annotations

import hashlib
import io
import os
from pathlib import Path

import pytest
from PIL import Image

from gaze.media.source_images import SourceImageProblem, checked_source, media_path_problem
from gaze.media.uploads import MAX_UPLOAD_BYTES, UploadRejected, store_upload

EXIF_ORIENTATION = 0x0112


def encoded(image: Image.Image, format: str, **options: object) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format=format, **options)
    return buffer.getvalue()


def picture(width: int = 40, height: int = 24, mode: str = "RGB") -> Image.Image:
    image = Image.new(mode, (width, height), "black")
    image.paste(Image.new(mode, (width // 2, height), "white"), (0, 0))  # white left half
    return image


@pytest.mark.parametrize(
    ("format", "mode"), [("PNG", "RGB"), ("PNG", "RGBA"), ("JPEG", "RGB"), ("WEBP", "RGB")]
)
def test_png_jpeg_and_webp_are_stored_as_png_under_inputs(
    tmp_path: Path, format: str, mode: str
) -> None:
    stored = store_upload(tmp_path, encoded(picture(mode=mode), format))
    assert stored.relative_path == f"inputs/{stored.upload_id}.png"
    assert (stored.width, stored.height) == (40, 24)
    with Image.open(tmp_path / stored.relative_path) as saved:
        assert saved.format == "PNG"
        assert saved.size == (40, 24)
        assert saved.mode == mode
        left, right = saved.convert("L").getpixel((2, 12)), saved.convert("L").getpixel((37, 12))
    assert isinstance(left, int) and isinstance(right, int)
    assert left > 200 and right < 50
    assert [path.name for path in (tmp_path / "inputs").iterdir()] == [f"{stored.upload_id}.png"]


def test_exif_orientation_is_applied_and_the_metadata_dropped(tmp_path: Path) -> None:
    exif = Image.Exif()
    exif[EXIF_ORIENTATION] = 6  # the camera was turned: show it rotated 90 degrees clockwise
    data = encoded(picture(40, 24), "JPEG", exif=exif.tobytes(), quality=95)
    stored = store_upload(tmp_path, data)
    assert (stored.width, stored.height) == (24, 40)
    with Image.open(tmp_path / stored.relative_path) as saved:
        assert saved.size == (24, 40)
        assert EXIF_ORIENTATION not in saved.getexif()
        top, bottom = saved.convert("L").getpixel((12, 2)), saved.convert("L").getpixel((12, 37))
    assert isinstance(top, int) and isinstance(bottom, int)
    assert top > 200 and bottom < 50, "the white left half is now on top"


def test_palette_and_sixteen_bit_images_become_plain_modes(tmp_path: Path) -> None:
    palette = store_upload(tmp_path, encoded(picture().convert("P"), "PNG"))
    deep = store_upload(tmp_path, encoded(Image.new("I;16", (16, 16), 30000), "PNG"))
    with Image.open(tmp_path / palette.relative_path) as saved:
        assert saved.mode == "RGB"
    with Image.open(tmp_path / deep.relative_path) as saved:
        assert saved.mode == "RGB"


@pytest.mark.parametrize(
    ("data", "code", "words"),
    [
        (b"", "empty_file", "empty"),
        (b"this is not an image", "not_an_image", "not an image"),
        (encoded(picture(), "GIF"), "unsupported_image_format", "GIF"),
        (encoded(picture(), "BMP"), "unsupported_image_format", "BMP"),
        (encoded(Image.new("L", (4097, 8)), "PNG"), "image_too_large", "4097x8"),
        (encoded(picture(), "PNG")[:60], "not_an_image", "not an image"),
    ],
)
def test_unusable_files_are_refused_naming_the_problem(
    tmp_path: Path, data: bytes, code: str, words: str
) -> None:
    with pytest.raises(UploadRejected) as caught:
        store_upload(tmp_path, data)
    assert caught.value.code == code
    assert caught.value.status == 400
    assert words in caught.value.message
    assert not (tmp_path / "inputs").exists() or not list((tmp_path / "inputs").iterdir())


def test_a_file_over_20_mb_is_refused_before_decoding(tmp_path: Path) -> None:
    data = encoded(picture(), "PNG") + os.urandom(MAX_UPLOAD_BYTES)
    with pytest.raises(UploadRejected) as caught:
        store_upload(tmp_path, data)
    assert caught.value.code == "file_too_large"
    assert "at most 20 MB" in caught.value.message


def test_a_source_image_is_fingerprinted_with_its_size(tmp_path: Path) -> None:
    data = encoded(picture(48, 16), "PNG")
    (tmp_path / "presets" / "p").mkdir(parents=True)
    (tmp_path / "presets" / "p" / "gen_1.png").write_bytes(data)
    checked = checked_source(tmp_path, "presets/p/gen_1.png")
    assert checked.source.path == "presets/p/gen_1.png"
    assert checked.source.sha256 == hashlib.sha256(data).hexdigest()
    assert (checked.width, checked.height) == (48, 16)


def test_source_paths_outside_the_media_folder_or_not_images_are_refused(tmp_path: Path) -> None:
    media = tmp_path / "media"
    media.mkdir()
    (tmp_path / "secret.png").write_bytes(encoded(picture(), "PNG"))
    (media / "notes.png").write_text("not an image")
    os.symlink(tmp_path / "secret.png", media / "link.png")
    for path, words in [
        ("../secret.png", "inside the media folder"),
        ("/etc/passwd", "inside the media folder"),
        ("a\\b.png", "'/' separators"),
        ("", "1 to 500 characters"),
        ("link.png", "not an image in the media folder"),
        ("missing.png", "not an image in the media folder"),
        ("notes.png", "not a readable image"),
    ]:
        with pytest.raises(SourceImageProblem) as caught:
            checked_source(media, path)
        assert words in str(caught.value), (path, str(caught.value))
    assert media_path_problem("inputs/a.png") is None
