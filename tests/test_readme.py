"""The README stays true: every setting is documented, and the documented files exist."""

from __future__ import annotations

import re

from devkit.server import REPO
from gaze.settings import Settings

README = (REPO / "README.md").read_text()


def test_every_setting_is_in_the_readme() -> None:
    missing = [
        f"GAZE_{name.upper()}"
        for name in Settings.model_fields
        if f"GAZE_{name.upper()}" not in README
    ]
    assert missing == []


def test_linked_files_exist() -> None:
    links = re.findall(r"\]\((?!https?:)([^)#]+)\)", README)
    assert links
    assert [link for link in links if not (REPO / link).exists()] == []
