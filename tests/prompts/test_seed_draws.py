"""`SeedDraws` (one seed's draws, its prefix hashed once) gives exactly the module's numbers."""

from __future__ import annotations

import hashlib

from gaze.prompts.seeded import SeedDraws, draw, pick_index, pick_weight

STREAMS = ("characters:pick", "wildcards:positive:0:1", "détail:ß", "", "x" * 300)


def test_a_seed_draws_what_blake2b_of_seed_and_stream_gives() -> None:
    for seed in (0, 7, 2**32 - 1, 2**53 - 1):
        draws = SeedDraws(seed)
        for stream in STREAMS:
            digest = hashlib.blake2b(f"{seed}:{stream}".encode(), digest_size=8).digest()
            assert draws.draw(stream) == draw(seed, stream) == int.from_bytes(digest, "big")
            assert draws.pick_index(stream, 13) == pick_index(seed, stream, 13)
            assert draws.pick_weight(stream, 0.35, 0.9) == pick_weight(seed, stream, 0.35, 0.9)


def test_drawing_does_not_change_later_draws() -> None:
    draws = SeedDraws(42)
    first = [draws.draw(stream) for stream in STREAMS]
    assert [draws.draw(stream) for stream in reversed(STREAMS)] == first[::-1]
