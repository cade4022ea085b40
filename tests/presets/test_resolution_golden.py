"""What seeds resolve to never changes: SHA-256 digests over 2,000 resolutions of each preset.

The digests were recorded from the code before the resolve-throughput work, so speeding up
resolution (tag splitting, wildcard expansion, seeded draws) cannot change a stored seed's
meaning unnoticed. A digest that changes means every stored seed changed: that needs a
migration note, never a new constant alone.
"""

from __future__ import annotations

import hashlib
import json

import pytest

from bench.resolve_throughput import (
    TYPICAL_PRESET,
    WILDCARD_EXTRA,
    WILDCARD_PRESET,
    build_library,
)
from gaze.library.view import InMemoryLibrary
from gaze.library.wordlist_schema import Wordlist
from gaze.presets.resolve import Overrides, resolve_preset
from gaze.presets.schema import Preset
from tests.presets.builders import SD1, checkpoint, resource

SEEDS = range(2_000)
BIG_SEED = 2**53 - 2_000
"""Large seeds too: a draw hashes the seed's decimal digits."""

PLAIN_DIGEST = "51ae4bf5098474fe8629a70aabde70f3249e3b5fae5e0d2d15c0084accf4196a"
WILDCARD_DIGEST = "4ce38acf655a71ff8e6bd5b51eca3e36546f1ab9b5f44217335951845aaea71e"
EVERYWHERE_DIGEST = "f512c824b26a1dea37b5c291d309972d3eee661934a7a749484d416d7c246826"


def _digest(preset: Preset, library: InMemoryLibrary, overrides: Overrides) -> str:
    digest = hashlib.sha256()
    for seed in (*SEEDS, *range(BIG_SEED, BIG_SEED + 200)):
        resolution = resolve_preset(preset, library, overrides, seed)
        document = {"spec": resolution.spec.to_dict(), "choices": resolution.choices}
        digest.update(json.dumps(document, sort_keys=True).encode())
    return digest.hexdigest()


def _library_with_wildcards_everywhere() -> InMemoryLibrary:
    """Wildcards in library fields (texts and lists), a wardrobe, detailer tags and the
    checkpoint's prefixes; weights, counts, joiners, escapes, nesting and wordlists."""
    wordlists = [
        Wordlist.model_validate(
            {"id": "colors", "name": "Colours", "lines": [f"colour {n}" for n in range(500)]}
        ),
        Wordlist.model_validate(
            {"id": "tops", "name": "Tops", "lines": ["__colors__ shirt", "{plain|striped} tee"]}
        ),
    ]
    characters = [
        resource(
            "characters",
            f"hero_{number}",
            "{3::tall|1::short|0::hidden}, __tops__, \\{literal\\}",
            wardrobe={"usual": {"fields": {"top": "{1-3$$ and $$hat|scarf|gloves|belt}"}}},
            active_outfit="usual",
        )
        for number in range(4)
    ]
    scenes = [
        resource("scenes", f"scene_{number}", fields_list)
        for number, fields_list in enumerate(["{forest|{dark|bright} city}", "river, {-2$$a|b|c}"])
    ]
    detailers = [
        resource(
            "detailers",
            f"detail_{number}",
            "(sharp:1.2), {2-$$x|y|z}",
            prompt_tags=["{detailed|intricate}", "__colors__ glow"],
        )
        for number in range(3)
    ]
    prefix = checkpoint(SD1, prefix="{masterpiece|best quality}", negative_prefix="{lowres|jpeg}")
    return InMemoryLibrary([*characters, *scenes, *detailers], [prefix], wordlists)


EVERYWHERE_PRESET = Preset.model_validate(
    {
        "id": "everywhere",
        "name": "Everywhere",
        "checkpoint": SD1,
        "characters": {"mode": "random"},
        "scenes": {"mode": "random"},
        "detailers": {"mode": "random", "count": 2},
        "positive": "{2$$__colors__}, {1.5::rain|.5::snow}, {2$$ / $$a|b|c}, __tops__",
        "negative": "blurry, {watermark|text}",
    }
)


@pytest.mark.parametrize(
    ("name", "expected"),
    [("plain", PLAIN_DIGEST), ("wildcard", WILDCARD_DIGEST), ("everywhere", EVERYWHERE_DIGEST)],
)
def test_seeds_resolve_exactly_as_they_always_did(name: str, expected: str) -> None:
    if name == "everywhere":
        library = _library_with_wildcards_everywhere()
        preset = EVERYWHERE_PRESET
        overrides = Overrides(extra_positive="smiling, {outdoors|indoors}", extra_negative="x")
    else:
        library = build_library()
        wildcards = name == "wildcard"
        preset = WILDCARD_PRESET if wildcards else TYPICAL_PRESET
        extra = WILDCARD_EXTRA if wildcards else "smiling, outdoors"
        overrides = Overrides(extra_positive=extra, extra_negative="blurry")
    assert _digest(preset, library, overrides) == expected
