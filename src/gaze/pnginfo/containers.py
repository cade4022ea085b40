"""The text an image file carries: PNG text chunks (tEXt, iTXt, zTXt), and the EXIF
UserComment of a JPEG or WebP file (where A1111 writes its parameters).

PNG chunks are read by hand, without decoding the pixels: a truncated file gives the chunks
before the cut, a text chunk over `MAX_TEXT_BYTES` (after decompression) is skipped. Each
problem becomes a warning.
"""

from __future__ import annotations

import io
import struct
import zlib
from dataclasses import dataclass, field

from PIL import Image, UnidentifiedImageError

from gaze.media.uploads import MAX_UPLOAD_BYTES, UploadRejected

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
MAX_TEXT_BYTES = 4 * 1024 * 1024
EXIF_IFD = 0x8769
USER_COMMENT = 0x9286
_TEXT_CHUNKS = (b"tEXt", b"zTXt", b"iTXt")


@dataclass
class ImageTexts:
    """The text entries of one image by keyword, and what could not be read."""

    format: str
    texts: dict[str, str] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)


def _megabytes(size: int) -> str:
    return f"{size / (1024 * 1024):.1f} MB"


def image_format(data: bytes) -> str:
    """``PNG``, ``JPEG`` or ``WEBP`` from the file's first bytes; UploadRejected otherwise."""
    if not data:
        raise UploadRejected("the file is empty", code="empty_file")
    if len(data) > MAX_UPLOAD_BYTES:
        raise UploadRejected(
            f"the file is {_megabytes(len(data))}; at most {_megabytes(MAX_UPLOAD_BYTES)}",
            code="file_too_large",
        )
    if data.startswith(PNG_SIGNATURE):
        return "PNG"
    if data.startswith(b"\xff\xd8\xff"):
        return "JPEG"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "WEBP"
    if data.startswith(b"PK\x03\x04"):
        named = "a ZIP archive"
    else:
        try:
            with Image.open(io.BytesIO(data)) as opened:
                named = f"a {opened.format} image" if opened.format else "an unknown format"
        except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError):
            named = "not an image GAZE can read"
    raise UploadRejected(
        f"the file is {named}; send a PNG, JPEG or WebP image", code="unsupported_image_format"
    )


def _decoded(raw: bytes, keyword: str, utf8_only: bool, warnings: list[str]) -> str:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        if utf8_only:
            warnings.append(f"text {keyword!r} is not valid UTF-8; unreadable bytes were replaced")
            return raw.decode("utf-8", errors="replace")
        return raw.decode("latin-1")


def _inflated(compressed: bytes, keyword: str, warnings: list[str]) -> bytes | None:
    inflater = zlib.decompressobj()
    try:
        text = inflater.decompress(compressed, MAX_TEXT_BYTES + 1)
    except zlib.error:
        warnings.append(f"text {keyword!r} is compressed wrongly; it was skipped")
        return None
    if len(text) > MAX_TEXT_BYTES:
        warnings.append(
            f"text {keyword!r} is over {_megabytes(MAX_TEXT_BYTES)} uncompressed; it was skipped"
        )
        return None
    return text


def _text_chunk(kind: bytes, body: bytes, warnings: list[str]) -> tuple[str, str] | None:
    keyword_bytes, separator, rest = body.partition(b"\x00")
    if not separator or not keyword_bytes:
        warnings.append(f"a {kind.decode()} chunk has no keyword; it was skipped")
        return None
    keyword = keyword_bytes.decode("latin-1")
    if kind == b"tEXt":
        if len(rest) > MAX_TEXT_BYTES:
            warnings.append(
                f"text {keyword!r} is {_megabytes(len(rest))}; at most "
                f"{_megabytes(MAX_TEXT_BYTES)} are read, so it was skipped"
            )
            return None
        return keyword, _decoded(rest, keyword, False, warnings)
    if kind == b"zTXt":
        inflated = _inflated(rest[1:], keyword, warnings)
        return None if inflated is None else (keyword, _decoded(inflated, keyword, False, warnings))
    if len(rest) < 2:
        warnings.append(f"text {keyword!r} is cut short; it was skipped")
        return None
    compressed, text = rest[0], rest[2:]
    text = text.split(b"\x00", 2)[-1]  # after the language tag and the translated keyword
    if compressed:
        inflated = _inflated(text, keyword, warnings)
        if inflated is None:
            return None
        text = inflated
    elif len(text) > MAX_TEXT_BYTES:
        warnings.append(
            f"text {keyword!r} is {_megabytes(len(text))}; at most "
            f"{_megabytes(MAX_TEXT_BYTES)} are read, so it was skipped"
        )
        return None
    return keyword, _decoded(text, keyword, True, warnings)


def png_texts(data: bytes) -> ImageTexts:
    found = ImageTexts("PNG")
    position = len(PNG_SIGNATURE)
    while position < len(data):
        if position + 8 > len(data):
            found.warnings.append("the PNG file is truncated; the chunks before the cut were read")
            break
        length, kind = struct.unpack(">I4s", data[position : position + 8])
        end = position + 8 + length
        if end + 4 > len(data):
            found.warnings.append("the PNG file is truncated; the chunks before the cut were read")
            break
        if kind in _TEXT_CHUNKS:
            body = data[position + 8 : end]
            (crc,) = struct.unpack(">I", data[end : end + 4])
            if zlib.crc32(kind + body) != crc:
                found.warnings.append(f"a {kind.decode()} chunk is damaged (CRC); it was skipped")
            elif (entry := _text_chunk(kind, body, found.warnings)) is not None:
                found.texts.setdefault(entry[0], entry[1])
        if kind == b"IEND":
            break
        position = end + 4
    return found


def user_comment_text(value: bytes | str) -> str:
    """An EXIF UserComment's text: an 8-byte charset prefix, then ASCII or UTF-16 (either byte
    order: a byte-order mark, else the side the zero bytes of ASCII-range text fall on)."""
    if isinstance(value, str):
        return value
    prefix, body = value[:8], value[8:]
    if prefix.startswith(b"UNICODE"):
        if body[:2] in (b"\xfe\xff", b"\xff\xfe"):
            return body.decode("utf-16")
        zeros_first = body[0::2].count(0)
        zeros_second = body[1::2].count(0)
        encoding = "utf-16-be" if zeros_first >= zeros_second else "utf-16-le"
        return body[: len(body) // 2 * 2].decode(encoding, errors="replace")
    if prefix.startswith((b"ASCII", b"\x00" * 8)):
        return body.decode("utf-8", errors="replace")
    return value.decode("utf-8", errors="replace")


def exif_texts(data: bytes, format_name: str) -> ImageTexts:
    found = ImageTexts(format_name)
    try:
        with Image.open(io.BytesIO(data)) as opened:
            exif = opened.getexif()
            comment = exif.get_ifd(EXIF_IFD).get(USER_COMMENT)
            if isinstance(opened.info.get("comment"), bytes):
                found.texts["comment"] = opened.info["comment"].decode("utf-8", errors="replace")
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError, struct.error):
        found.warnings.append(f"the {format_name} file's EXIF data could not be read")
        return found
    except Image.DecompressionBombError:
        raise UploadRejected("the image is too large to open", code="image_too_large") from None
    if isinstance(comment, (bytes, str)) and comment:
        text = user_comment_text(comment).rstrip("\x00")
        if text:
            found.texts["parameters"] = text
    return found


def image_texts(data: bytes) -> ImageTexts:
    """The text entries of a PNG, JPEG or WebP file; UploadRejected for anything else."""
    format_name = image_format(data)
    if format_name == "PNG":
        return png_texts(data)
    return exif_texts(data, format_name)
