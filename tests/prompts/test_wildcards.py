"""Wildcard expansion: every syntax form, every error, and the seeded streams."""

from __future__ import annotations

import hashlib
import json

import pytest

from gaze.prompts.seeded import draw, pick_index, pick_weight
from gaze.prompts.wildcard_spans import wildcard_spans
from gaze.prompts.wildcards import (
    MAX_DEPTH,
    MAX_PICKS,
    WildcardError,
    escape,
    expand_wildcards,
)

WORDLISTS: dict[str, list[str]] = {
    "colors": ["red", "blue", "green"],
    "colors/warm": ["amber", "crimson"],
    "outfit": ["{silk|linen} dress in __colors__"],
    "a": ["__b__"],
    "b": ["__a__"],
    "empty": [],
}


def expand(text: str, seed: int = 1, stream: str = "wildcards:positive") -> str:
    return expand_wildcards(text, seed, stream, WORDLISTS.get).text


def texts_over_seeds(text: str, seeds: int = 200) -> set[str]:
    return {expand(text, seed) for seed in range(seeds)}


def test_the_seeded_rule_is_blake2b_of_seed_and_stream_and_never_changes() -> None:
    """Every stored seed means what it meant: the rule (and these numbers) stay fixed."""
    for seed, stream in ((0, "slots:characters"), (2**32 - 1, "characters:pick")):
        digest = hashlib.blake2b(f"{seed}:{stream}".encode(), digest_size=8).digest()
        assert draw(seed, stream) == int.from_bytes(digest, "big")
    assert draw(0, "slots:characters") == 3539526737636978755
    assert draw(2**32 - 1, "characters:pick") == 8862513455799639261
    assert pick_index(1, "x", 7) == 3
    assert pick_weight(1, "w", 0.2, 0.9) == 0.78


def test_text_without_wildcards_comes_back_unchanged() -> None:
    text = "masterpiece, (blue eyes:1.2), \\(literal\\), [faded], score_9, a:b"
    expansion = expand_wildcards(text, 5, "s", None)
    assert expansion.text == text
    assert expansion.picks == []


def test_a_variant_picks_one_option_and_every_option_occurs() -> None:
    assert texts_over_seeds("a {red|blue|green} dress") == {
        "a red dress",
        "a blue dress",
        "a green dress",
    }


def test_options_are_stripped_and_may_be_empty() -> None:
    assert texts_over_seeds("{ red | }") == {"red", ""}
    assert expand("{}") == ""


def test_a_count_picks_distinct_options_joined_by_comma() -> None:
    for seed in range(50):
        parts = expand("{2$$a|b|c}", seed).split(", ")
        assert len(parts) == 2 and len(set(parts)) == 2 and set(parts) <= {"a", "b", "c"}


def test_count_ranges() -> None:
    def counts(text: str) -> set[int]:
        return {len(expand(text, seed).split(", ")) for seed in range(200)}

    assert counts("{1-3$$a|b|c|d}") == {1, 2, 3}
    assert counts("{-2$$a|b|c}") == {1, 2}
    assert counts("{2-$$a|b|c}") == {2, 3}
    assert counts("{5$$a|b}") == {2}  # never more than there are options
    assert expand("{0$$a|b}") == ""


def test_a_custom_joiner() -> None:
    parts = expand("{2$$ and $$a|b|c}").split(" and ")
    assert len(set(parts)) == 2


def test_weights_steer_the_pick() -> None:
    picks = [expand("{9::a|1::b}", seed) for seed in range(1000)]
    assert 850 < picks.count("a") < 950
    assert texts_over_seeds("{0::a|1::b}") == {"b"}
    assert texts_over_seeds("{2$$0::a|1::b|1::c}") == {"b, c", "c, b"}


def test_weighted_tags_pass_through_inside_and_outside_options() -> None:
    assert texts_over_seeds("(x:1.2), {(a:1.3)|[b]|\\(c\\)}") == {
        "(x:1.2), (a:1.3)",
        "(x:1.2), [b]",
        "(x:1.2), \\(c\\)",
    }


def test_escaped_braces_and_bars() -> None:
    assert expand("\\{a\\|b\\} {x\\|y}") == "{a|b} x|y"
    assert expand("a \\__b__") == "a __b__"


def test_wordlists_with_folders_and_nesting() -> None:
    assert texts_over_seeds("__colors__") == {"red", "blue", "green"}
    assert texts_over_seeds("__colors/warm__") == {"amber", "crimson"}
    outfits = texts_over_seeds("__outfit__", 400)
    assert len(outfits) == 6
    assert all(text.split(" dress in ")[1] in WORDLISTS["colors"] for text in outfits)
    assert texts_over_seeds("{__colors/warm__|plain}") == {"amber", "crimson", "plain"}


def test_a_count_over_one_wordlist_picks_distinct_lines() -> None:
    for seed in range(30):
        parts = expand("{2$$__colors__}", seed).split(", ")
        assert len(set(parts)) == 2 and set(parts) <= set(WORDLISTS["colors"])


def test_picks_name_the_source_and_the_choice() -> None:
    expansion = expand_wildcards("{red|blue} __outfit__", 3, "wildcards:positive", WORDLISTS.get)
    json.dumps(expansion.picks)
    sources = [pick["wildcard"] for pick in expansion.picks]
    assert sources == ["{red|blue}", "__outfit__", "{silk|linen}", "__colors__"]
    streams = [pick["stream"] for pick in expansion.picks]
    assert streams == [
        "wildcards:positive:0",
        "wildcards:positive:1",
        "wildcards:positive:1:0",
        "wildcards:positive:1:1",
    ]
    assert expansion.picks[1]["picked"] == WORDLISTS["outfit"]
    assert expansion.text == f"{expansion.picks[0]['text']} {expansion.picks[1]['text']}"


def test_adding_a_wildcard_at_the_end_keeps_earlier_picks() -> None:
    for seed in range(30):
        before = expand("{a|b|c} __colors__", seed)
        after = expand("{a|b|c} __colors__ {x|y}", seed)
        assert after.startswith(before + " ")


def test_streams_differ_by_prefix() -> None:
    results = {
        tuple(expand("{a|b|c|d|e|f|g|h}", seed, stream) for seed in range(10))
        for stream in ("wildcards:positive", "wildcards:negative")
    }
    assert len(results) == 2


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("{a|b", "unclosed '{' at character 1"),
        ("a}", "unmatched '}' at character 2"),
        ("{x$$a|b}", "bad count 'x'"),
        ("{3-1$$a|b}", "3 is more than 1"),
        ("__nope__", "unknown wordlist 'nope'"),
        ("__empty__", "the wordlist 'empty' has no lines"),
        ("__a__", "cycle: __a__ -> __b__ -> __a__"),
        ("{x|__outfit__ __a__}", "cycle: __a__ -> __b__ -> __a__"),
    ],
)
def test_errors_say_what_is_wrong(text: str, message: str) -> None:
    with pytest.raises(WildcardError) as raised:
        expand_wildcards(text, 1, "s", WORDLISTS.get)
    assert message in str(raised.value)
    assert isinstance(raised.value, ValueError)


def test_a_bad_wordlist_line_is_named() -> None:
    with pytest.raises(WildcardError, match="a line of the wordlist 'broken'"):
        expand_wildcards("__broken__", 1, "s", {"broken": ["{oops"]}.get)


def test_nesting_deeper_than_the_limit_is_refused() -> None:
    deep = {f"level{n}": [f"__level{n + 1}__"] for n in range(40)} | {"level40": ["end"]}
    with pytest.raises(WildcardError, match=f"more than {MAX_DEPTH} deep"):
        expand_wildcards("__level0__", 1, "s", deep.get)
    assert expand_wildcards("__level30__", 1, "s", deep.get).text == "end"
    nested_braces = "{" * 20 + "x" + "}" * 20
    with pytest.raises(WildcardError, match="deep"):
        expand_wildcards(nested_braces, 1, "s", None)


def test_wordlist_without_lookup_is_unknown() -> None:
    with pytest.raises(WildcardError, match="unknown wordlist 'colors'"):
        expand_wildcards("__colors__", 1, "s")


def test_escape_examples() -> None:
    for text in ("{a|b}", "__x__", "\\_", "a\\", "\\{", "___a___"):
        assert expand(escape(text)) == text


def test_highlight_spans() -> None:
    text = "{2$$ and $$a|3::b} __colors/warm__ \\{ }"
    kinds = [(span.kind, text[span.start : span.end]) for span in wildcard_spans(text)]
    assert kinds == [
        ("brace", "{"),
        ("count", "2$$"),
        ("count", "$$"),
        ("separator", "|"),
        ("weight", "3::"),
        ("brace", "}"),
        ("wordlist", "__colors/warm__"),
        ("escape", "\\{"),
        ("error", "}"),
    ]
    assert [span.kind for span in wildcard_spans("{a|b")] == ["error", "separator"]


def test_a_runaway_expansion_is_refused() -> None:
    fanning = {
        f"f{n}": ["{4$$" + "|".join(f"{tag}__f{n + 1}__" for tag in "abcd") + "}"] for n in range(7)
    }
    fanning["f7"] = ["leaf"]
    with pytest.raises(WildcardError, match=f"more than {MAX_PICKS} wildcards"):
        expand_wildcards("__f0__", 1, "s", fanning.get)
