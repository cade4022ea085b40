"""Property tests of wildcard expansion: determinism, distinct picks, termination, escaping."""

from __future__ import annotations

import string

from hypothesis import given, settings
from hypothesis import strategies as st

from gaze.prompts.wildcards import WildcardError, escape, expand_wildcards

SEEDS = st.integers(min_value=0, max_value=2**63 - 1)
WORDS = st.text(alphabet=string.ascii_lowercase + " ():.,", min_size=0, max_size=8)
NAMES = st.sampled_from(["w0", "w1", "w2", "w3", "w4"])


@st.composite
def prompts(draw: st.DrawFn, depth: int = 2) -> str:
    """A prompt text with variants, counts, weights and wordlist references."""
    parts = []
    for _ in range(draw(st.integers(min_value=0, max_value=4))):
        kind = draw(st.sampled_from(["word", "variant", "wordlist"] if depth else ["word"]))
        if kind == "word":
            parts.append(draw(WORDS))
        elif kind == "wordlist":
            parts.append(f"__{draw(NAMES)}__")
        else:
            options = draw(st.lists(prompts(depth - 1), min_size=1, max_size=3))
            if draw(st.booleans()):
                options = [f"{draw(st.integers(0, 5))}::{option}" for option in options]
            count = draw(st.sampled_from(["", "2$$", "1-3$$", "-2$$", "2-$$", "2$$ + $$"]))
            parts.append("{" + count + "|".join(options) + "}")
    return " ".join(parts)


WORDLIST_SETS = st.dictionaries(
    NAMES, st.lists(prompts(depth=1), min_size=1, max_size=3), min_size=5, max_size=5
)


@given(text=prompts(), wordlists=WORDLIST_SETS, seed=SEEDS)
@settings(max_examples=150, deadline=None)
def test_same_seed_same_picks_and_termination(
    text: str, wordlists: dict[str, list[str]], seed: int
) -> None:
    """Random nesting, cycles included, always ends: in a text or a WildcardError."""
    try:
        first = expand_wildcards(text, seed, "wildcards:positive", wordlists.get)
    except WildcardError as error:
        message = str(error)
        assert "cycle" in message or "deep" in message or "more than" in message
        return
    second = expand_wildcards(text, seed, "wildcards:positive", wordlists.get)
    assert (first.text, first.picks) == (second.text, second.picks)


@given(
    options=st.lists(
        st.text(alphabet=string.ascii_letters, min_size=1, max_size=6), min_size=2, max_size=8
    ),
    count=st.integers(min_value=0, max_value=10),
    seed=SEEDS,
)
def test_distinct_pick_counts_hold(options: list[str], count: int, seed: int) -> None:
    unique = list(dict.fromkeys(options))
    expansion = expand_wildcards("{" + f"{count}$$" + "|".join(unique) + "}", seed, "s")
    picked = expansion.picks[0]["picked"]
    assert len(picked) == min(count, len(unique))
    assert len(set(picked)) == len(picked)
    assert expansion.text == ", ".join(picked)


@given(
    options=st.lists(
        st.text(alphabet=string.ascii_letters, min_size=1, max_size=6),
        min_size=1,
        max_size=8,
        unique=True,
    ),
    low=st.integers(min_value=0, max_value=4),
    span=st.integers(min_value=0, max_value=4),
    seed=SEEDS,
)
def test_count_ranges_hold(options: list[str], low: int, span: int, seed: int) -> None:
    high = low + span
    text = "{" + f"{low}-{high}$$" + "|".join(options) + "}"
    picked = expand_wildcards(text, seed, "s").picks[0]["picked"]
    assert min(low, len(options)) <= len(picked) <= min(high, len(options))
    assert len(set(picked)) == len(picked)


@given(text=st.text(max_size=60), seed=SEEDS)
def test_escaping_round_trips(text: str, seed: int) -> None:
    assert expand_wildcards(escape(text), seed, "s", None).text == text


@given(text=st.text(alphabet="ab{}|_\\$:-0123 ", max_size=30), seed=SEEDS)
def test_any_text_expands_or_says_why(text: str, seed: int) -> None:
    try:
        expand_wildcards(text, seed, "s", {"ab": ["x"]}.get)
    except WildcardError as error:
        assert str(error)
