"""Rendering a grid sheet from solid-colour cells: its size, label bands, cell placement,
scaling, grey tiles for failed cells, and the text chunks of its PNG."""

from __future__ import annotations

import io
import json

from PIL import Image

from gaze.grids.sheet import (
    MIN_FONT,
    TILE,
    SheetCell,
    encode_sheet,
    font_size_for,
    render_sheet,
)

RED, GREEN, BLUE, YELLOW = (255, 0, 0), (0, 255, 0), (0, 0, 255), (255, 255, 0)


def solid(colour: tuple[int, int, int], size: tuple[int, int] = (96, 64)) -> SheetCell:
    return SheetCell(Image.new("RGB", size, colour))


def centre(box: tuple[int, int, int, int]) -> tuple[int, int]:
    return (box[0] + box[2]) // 2, (box[1] + box[3]) // 2


def has_ink(image: Image.Image, box: tuple[int, int, int, int]) -> bool:
    extrema = image.crop(box).convert("L").getextrema()
    return extrema[0] < 128  # type: ignore[index,operator]


def test_cells_land_under_their_labels() -> None:
    rows = [[solid(RED), solid(GREEN)], [solid(BLUE), solid(YELLOW)]]
    sheet, layout = render_sheet(rows, ["CFG: 3", "CFG: 7"], ["Seed: 1", "Seed: 2"], "Steps: 4")
    assert (layout.cell_width, layout.cell_height, layout.scale) == (96, 64, 1.0)
    assert layout.left > 0 and layout.top > 0
    assert sheet.size == (layout.left + 2 * 96, layout.top + 2 * 64)
    for (column, row), colour in {(0, 0): RED, (1, 0): GREEN, (0, 1): BLUE, (1, 1): YELLOW}.items():
        assert sheet.getpixel(centre(layout.cell_box(column, row))) == colour
    assert has_ink(sheet, (layout.left, 0, sheet.width, layout.top))  # x labels and title
    assert has_ink(sheet, (0, layout.top, layout.left, sheet.height))  # y labels
    assert not has_ink(sheet, (0, 0, layout.left, layout.top))  # the corner stays blank


def test_without_labels_there_are_no_bands() -> None:
    sheet, layout = render_sheet([[solid(RED), solid(GREEN)]])
    assert (layout.left, layout.top) == (0, 0)
    assert sheet.size == (192, 64)


def test_smaller_cells_are_centred_in_the_largest() -> None:
    rows = [[solid(RED, (64, 64)), solid(GREEN, (128, 96))]]
    sheet, layout = render_sheet(rows, ["a", "b"])
    assert (layout.cell_width, layout.cell_height) == (128, 96)
    x0, y0, x1, y1 = layout.cell_box(0, 0)
    assert sheet.getpixel(((x0 + x1) // 2, (y0 + y1) // 2)) == RED
    assert sheet.getpixel((x0 + 5, y0 + 5)) == (255, 255, 255)


def test_failed_and_cancelled_cells_are_grey_tiles_with_their_word() -> None:
    rows = [[solid(RED), SheetCell(None, "failed"), SheetCell(None, "cancelled")]]
    sheet, layout = render_sheet(rows, ["a", "b", "c"])
    for column in (1, 2):
        box = layout.cell_box(column, 0)
        assert sheet.getpixel((box[0] + 2, box[1] + 2)) == TILE
        assert len(sheet.crop(box).getcolors(maxcolors=1 << 16) or []) > 2  # the word on it


def test_a_large_sheet_is_scaled_down_to_the_limit() -> None:
    rows = [[solid(RED, (1024, 1024)) for _ in range(4)] for _ in range(3)]
    sheet, layout = render_sheet(rows, list("abcd"), list("xyz"), max_side=2048)
    assert max(sheet.size) <= 2048
    assert layout.scale < 0.5
    assert sheet.getpixel(centre(layout.cell_box(3, 2))) == RED


def test_label_font_follows_the_cell_size_and_long_labels_wrap() -> None:
    assert font_size_for(64, 64) == MIN_FONT
    assert font_size_for(1024, 1024) > font_size_for(512, 512) > MIN_FONT
    long = "a very long label that cannot fit on one line of a small cell"
    _sheet, short_layout = render_sheet([[solid(RED)]], ["short"])
    _sheet, long_layout = render_sheet([[solid(RED)]], [long])
    assert long_layout.top > 2 * short_layout.top
    sheet, _layout = render_sheet([[solid(RED)]], ["x" * 200])
    assert sheet.width == 96  # one unbroken word is split, never widens the sheet


def test_the_png_says_how_to_make_the_grid_again() -> None:
    sheet, _layout = render_sheet([[solid(RED)]])
    data = encode_sheet(sheet, "GAZE grid: POST /api/v1/grids", {"grid": {"preset": "p"}})
    image = Image.open(io.BytesIO(data))
    assert image.info["parameters"] == "GAZE grid: POST /api/v1/grids"
    assert json.loads(image.info["gaze"]) == {"grid": {"preset": "p"}}
