"""Images made the way each tool writes its parameters, with Pillow: PNG text chunks (tEXt as
``PngInfo.add_text`` writes them, iTXt), and the EXIF UserComment A1111 writes into JPEG and
WebP files (an 8-byte charset prefix, then UTF-16 or ASCII)."""

from __future__ import annotations

import io

from PIL import Image, PngImagePlugin

EXIF_IFD = 0x8769
USER_COMMENT = 0x9286


def png_with_texts(texts: dict[str, str], *, international: bool = False) -> bytes:
    info = PngImagePlugin.PngInfo()
    for key, value in texts.items():
        if international:
            info.add_itxt(key, value)
        else:
            info.add_text(key, value)
    buffer = io.BytesIO()
    Image.new("RGB", (16, 16), (40, 90, 160)).save(buffer, format="PNG", pnginfo=info)
    return buffer.getvalue()


def user_comment(text: str, encoding: str) -> bytes:
    """An EXIF UserComment: ``UNICODE\\0`` + UTF-16 (``utf-16-be``/``utf-16-le``), or
    ``ASCII\\0\\0\\0`` + the text."""
    if encoding == "ascii":
        return b"ASCII\x00\x00\x00" + text.encode("ascii")
    return b"UNICODE\x00" + text.encode(encoding)


def image_with_user_comment(comment: bytes, image_format: str) -> bytes:
    exif = Image.Exif()
    exif.get_ifd(EXIF_IFD)[USER_COMMENT] = comment
    buffer = io.BytesIO()
    Image.new("RGB", (16, 16), (200, 120, 40)).save(buffer, format=image_format, exif=exif)
    return buffer.getvalue()


def chunk(kind: bytes, body: bytes) -> bytes:
    """One raw PNG chunk (length, type, data, CRC)."""
    import struct
    import zlib

    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def png_with_raw_chunk(kind: bytes, body: bytes) -> bytes:
    """A plain PNG with one more chunk right after its header chunk."""
    plain = png_with_texts({})
    header_end = 8 + 8 + 13 + 4
    return plain[:header_end] + chunk(kind, body) + plain[header_end:]
