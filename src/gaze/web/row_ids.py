"""Database row ids in URLs: ``{image_id:row_id}`` matches only 1..2^63-1, anything else is 404.

SQLite integers are signed 64-bit: a larger number in a query raises OverflowError. The path
convertor's pattern admits exactly the usable ids, so an id outside the range never reaches a
handler: the route does not match and the answer is the ordinary 404.
"""

from __future__ import annotations

from starlette.convertors import Convertor, register_url_convertor

MAX_ROW_ID = 2**63 - 1


def _digits_at_most(limit: str) -> str:
    """A pattern for the numbers of len(limit) digits (no leading zero) that are <= limit."""
    choices = []
    for position, digit in enumerate(limit):
        lowest = 1 if position == 0 else 0
        if int(digit) > lowest:
            rest = len(limit) - position - 1
            choices.append(f"{limit[:position]}[{lowest}-{int(digit) - 1}][0-9]{{{rest}}}")
    choices.append(limit)
    return "|".join(choices)


_LONGEST = len(str(MAX_ROW_ID))
ROW_ID_PATTERN = f"(?:[1-9][0-9]{{0,{_LONGEST - 2}}}|{_digits_at_most(str(MAX_ROW_ID))})"
"""1 to MAX_ROW_ID in decimal, without leading zeros."""


def row_id_or_none(text: str) -> int | None:
    """The row id written in `text`, or None when it is not one (a query parameter's value)."""
    if text.isascii() and text.isdigit() and 1 <= int(text) <= MAX_ROW_ID:
        return int(text)
    return None


class RowIdConvertor(Convertor[int]):
    regex = ROW_ID_PATTERN

    def convert(self, value: str) -> int:
        return int(value)

    def to_string(self, value: int) -> str:
        if not 1 <= value <= MAX_ROW_ID:
            raise ValueError(f"not a row id: {value}")
        return str(value)


register_url_convertor("row_id", RowIdConvertor())
