"""Safe-for-work resolution: what a caller limited to safe-for-work content may not use.

A resolution for such a caller (``sfw_only=True``) never picks a resource or wordlist flagged
NSFW at random: it picks from the pool without them, with the same seeded draws, so the same
seed still resolves the same way. What it cannot do without one is refused with `NsfwRefused`
(403, code ``nsfw_refused``), naming the flagged item: an NSFW preset, a fixed slot naming an
NSFW resource, a random pool holding nothing else, a wardrobe outfit or a ``__wordlist__``
flagged NSFW. When nothing flagged NSFW is in play, the picks are those any caller gets.
The caller's flag comes from the layer that knows the caller (`gaze.generation`);
this one only receives the boolean.
"""

from __future__ import annotations

from gaze.service_errors import Forbidden

SFW_ONLY = "this API key is safe-for-work only."
NSFW_REFUSED = "nsfw_refused"


class NsfwRefused(Forbidden):
    """A safe-for-work caller asked for something flagged NSFW."""

    default_code = NSFW_REFUSED

    def __init__(self, what: str) -> None:
        super().__init__(f"{what} is flagged NSFW; {SFW_ONLY}")
        self.what = what


def refused_preset(preset_id: str) -> NsfwRefused:
    return NsfwRefused(f"The preset {preset_id!r}")


def refused_resource(category: str, resource_id: str) -> NsfwRefused:
    return NsfwRefused(f"The {category} slot's {resource_id!r}")


def refused_pool(category: str) -> NsfwRefused:
    return NsfwRefused(f"Every resource the random {category} slot can pick")


def refused_outfit(outfit_id: str, character_id: str) -> NsfwRefused:
    return NsfwRefused(f"The outfit {outfit_id!r} worn by the character {character_id!r}")
