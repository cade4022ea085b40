"""A grid's labelled sheet: the cells' images in rows (y) and columns (x), x labels on top,
y labels on the left, a title above (the z value), one sheet per z value.

Cells keep their native size, centred in the largest cell; the whole sheet is scaled down when
a side would pass `MAX_SHEET_SIDE`. The labels' font follows the (scaled) cell size, so they
stay readable on a sheet of 64 px cells and of 1024 px cells alike; long labels wrap. A cell
without an image (failed or cancelled) is a grey tile saying so.
"""

from __future__ import annotations

import io
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from PIL import Image, ImageDraw, ImageFont, PngImagePlugin

MAX_SHEET_SIDE = 8192
BACKGROUND = (255, 255, 255)
TEXT = (0, 0, 0)
TILE = (128, 128, 128)
TILE_TEXT = (255, 255, 255)
MIN_FONT, MAX_FONT = 12, 64

Font = ImageFont.FreeTypeFont | ImageFont.ImageFont


@dataclass(frozen=True)
class SheetCell:
    """A cell's image, or None with the word to draw instead (``failed``, ``cancelled``)."""

    image: Image.Image | None
    state: str = "done"


@dataclass(frozen=True)
class SheetLayout:
    """Where things land on a sheet (after scaling): tests and the viewer read it."""

    scale: float
    cell_width: int
    cell_height: int
    left: int
    """Width of the y-label band (0 without y labels)."""
    top: int
    """Height of the title and x-label bands above the cells."""

    def cell_box(self, column: int, row: int) -> tuple[int, int, int, int]:
        x0 = self.left + column * self.cell_width
        y0 = self.top + row * self.cell_height
        return x0, y0, x0 + self.cell_width, y0 + self.cell_height


def font_size_for(cell_width: int, cell_height: int) -> int:
    return max(MIN_FONT, min(MAX_FONT, round(min(cell_width, cell_height) / 12)))


def _font(size: int) -> Font:
    return ImageFont.load_default(size=size)


def _split_word(draw: ImageDraw.ImageDraw, word: str, font: Font, width: int) -> list[str]:
    pieces, piece = [], ""
    for character in word:
        if piece and draw.textlength(piece + character, font=font) > width:
            pieces.append(piece)
            piece = ""
        piece += character
    return [*pieces, piece] if piece else pieces


def wrap(draw: ImageDraw.ImageDraw, text: str, font: Font, width: int) -> list[str]:
    """`text` in lines no wider than `width` px (words longer than that are split)."""
    lines: list[str] = []
    line = ""
    for word in text.split():
        candidate = f"{line} {word}" if line else word
        if draw.textlength(candidate, font=font) <= width:
            line = candidate
            continue
        if line:
            lines.append(line)
        pieces = _split_word(draw, word, font, width)
        lines += pieces[:-1]
        line = pieces[-1] if pieces else ""
    if line:
        lines.append(line)
    return lines or [""]


def _line_height(font: Font) -> int:
    ascent, descent = font.getmetrics()  # type: ignore[union-attr]
    return int(ascent + descent + 2)


def _text_block(
    draw: ImageDraw.ImageDraw,
    lines: list[str],
    font: Font,
    box: tuple[int, int, int, int],
    colour: tuple[int, int, int],
) -> None:
    """Lines centred in `box`, horizontally and vertically."""
    x0, y0, x1, y1 = box
    height = _line_height(font)
    top = y0 + (y1 - y0 - height * len(lines)) // 2
    for number, line in enumerate(lines):
        width = draw.textlength(line, font=font)
        draw.text((x0 + (x1 - x0 - width) / 2, top + number * height), line, fill=colour, font=font)


def _cell_size(rows: Sequence[Sequence[SheetCell]], fallback: tuple[int, int]) -> tuple[int, int]:
    images = [cell.image for row in rows for cell in row if cell.image is not None]
    if not images:
        return fallback
    return max(image.width for image in images), max(image.height for image in images)


def _bands(
    measure: ImageDraw.ImageDraw,
    font: Font,
    cell: tuple[int, int],
    x_labels: Sequence[str],
    y_labels: Sequence[str],
    title: str | None,
    columns: int,
) -> tuple[int, int, int, list[list[str]], list[list[str]], list[str]]:
    pad = int(max(4, font.size // 2 if isinstance(font, ImageFont.FreeTypeFont) else 4))
    line = _line_height(font)
    left = max(6 * line, min(cell[0], 16 * line)) if y_labels else 0
    x_lines = [wrap(measure, label, font, cell[0] - 2 * pad) for label in x_labels]
    y_lines = [wrap(measure, label, font, left - 2 * pad) for label in y_labels] if left else []
    x_band = (max(len(lines) for lines in x_lines) * line + 2 * pad) if x_lines else 0
    title_lines = wrap(measure, title, font, left + columns * cell[0] - 2 * pad) if title else []
    title_band = len(title_lines) * line + 2 * pad if title_lines else 0
    return left, title_band, x_band, x_lines, y_lines, title_lines


def render_sheet(
    rows: Sequence[Sequence[SheetCell]],
    x_labels: Sequence[str] = (),
    y_labels: Sequence[str] = (),
    title: str | None = None,
    *,
    fallback_size: tuple[int, int] = (512, 512),
    max_side: int = MAX_SHEET_SIDE,
) -> tuple[Image.Image, SheetLayout]:
    """The sheet of `rows` (each a row of cells, left to right), and where its parts are.
    `fallback_size`: the cell size when no cell has an image."""
    columns, row_count = max(len(row) for row in rows), len(rows)
    native = _cell_size(rows, fallback_size)
    measure = ImageDraw.Draw(Image.new("RGB", (1, 1)))
    scale = 1.0
    for _attempt in range(8):
        cell = (max(1, round(native[0] * scale)), max(1, round(native[1] * scale)))
        font = _font(font_size_for(*cell))
        left, title_band, x_band, x_lines, y_lines, title_lines = _bands(
            measure, font, cell, x_labels, y_labels, title, columns
        )
        width = left + columns * cell[0]
        height = title_band + x_band + row_count * cell[1]
        if max(width, height) <= max_side:
            break
        scale *= max_side / max(width, height) * 0.98
    layout = SheetLayout(scale, cell[0], cell[1], left, title_band + x_band)
    sheet = Image.new("RGB", (width, height), BACKGROUND)
    draw = ImageDraw.Draw(sheet)
    if title_lines:
        _text_block(draw, title_lines, font, (0, 0, width, title_band), TEXT)
    for column, lines in enumerate(x_lines):
        x0 = left + column * cell[0]
        _text_block(draw, lines, font, (x0, title_band, x0 + cell[0], layout.top), TEXT)
    for row, lines in enumerate(y_lines):
        y0 = layout.top + row * cell[1]
        _text_block(draw, lines, font, (0, y0, left, y0 + cell[1]), TEXT)
    for row, cells in enumerate(rows):
        for column, item in enumerate(cells):
            _paste(sheet, draw, item, layout.cell_box(column, row), scale, font)
    return sheet, layout


def _paste(
    sheet: Image.Image,
    draw: ImageDraw.ImageDraw,
    item: SheetCell,
    box: tuple[int, int, int, int],
    scale: float,
    font: Font,
) -> None:
    x0, y0, x1, y1 = box
    if item.image is None:
        draw.rectangle((x0, y0, x1 - 1, y1 - 1), fill=TILE)
        lines = wrap(draw, item.state, font, x1 - x0)
        _text_block(draw, lines, font, box, TILE_TEXT)
        return
    image = item.image.convert("RGB")
    if scale != 1.0:
        size = (max(1, round(image.width * scale)), max(1, round(image.height * scale)))
        image = image.resize(size, Image.Resampling.LANCZOS)
    sheet.paste(image, (x0 + (x1 - x0 - image.width) // 2, y0 + (y1 - y0 - image.height) // 2))


def encode_sheet(sheet: Image.Image, parameters: str, description: dict[str, Any]) -> bytes:
    """The sheet as PNG bytes, with a `parameters` text (for people) and a `gaze` JSON chunk
    (the grid request) saying how to make it again."""
    info = PngImagePlugin.PngInfo()
    info.add_itxt("parameters", parameters)
    info.add_itxt("gaze", json.dumps(description, sort_keys=True))
    buffer = io.BytesIO()
    sheet.save(buffer, format="PNG", pnginfo=info)
    return buffer.getvalue()
