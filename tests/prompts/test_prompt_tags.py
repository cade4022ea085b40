import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gaze.prompts.tags import TagList, join_tags, merge_tags, split_tags, tag_key


@pytest.mark.parametrize(
    ("text", "tags"),
    [
        ("a, b,c", ["a", "b", "c"]),
        ("a\nb\r\nc", ["a", "b", "c"]),
        ("  a ,, , b  ,\n\n", ["a", "b"]),
        ("", []),
        ("long \t  hair,  blue\neyes", ["long hair", "blue", "eyes"]),
    ],
)
def test_split_on_commas_and_newlines_trimmed(text: str, tags: list[str]) -> None:
    assert split_tags(text) == tags


@pytest.mark.parametrize(
    ("text", "tags"),
    [
        ("(smile:1.2), hat", ["(smile:1.2)", "hat"]),
        ("(red dress, hat:1.1), smile", ["(red dress, hat:1.1)", "smile"]),
        ("((a, b):1.2), c", ["((a, b):1.2)", "c"]),
        ("[a, b], {c, d}, e", ["[a, b]", "{c, d}", "e"]),
        ("(a,\nb:0.8), c", ["(a, b:0.8)", "c"]),
        ("x (a, [b, c]) y, z", ["x (a, [b, c]) y", "z"]),
    ],
)
def test_commas_inside_weighted_groups_do_not_split(text: str, tags: list[str]) -> None:
    assert split_tags(text) == tags


@pytest.mark.parametrize(
    ("text", "tags"),
    [
        (r"yuuki \(series\), smile", [r"yuuki \(series\)", "smile"]),
        (r"a \(b, c\)", [r"a \(b", r"c\)"]),  # escaped parentheses never group
        (r"a\, b, c", [r"a\, b", "c"]),  # an escaped comma does not split
        ("\\\\(a, b)", ["\\\\(a, b)"]),  # an escaped backslash leaves the parenthesis active
    ],
)
def test_escapes_are_kept_and_never_group(text: str, tags: list[str]) -> None:
    assert split_tags(text) == tags


@pytest.mark.parametrize(
    ("text", "tags"),
    [
        ("(a, b", ["(a", "b"]),
        ("a), b", ["a)", "b"]),
        ("(a, [b), c", ["(a, [b)", "c"]),
        ("(a], b", ["(a]", "b"]),
    ],
)
def test_unmatched_brackets_are_plain_text(text: str, tags: list[str]) -> None:
    assert split_tags(text) == tags


def test_merge_removes_duplicates_case_insensitively_keeping_the_first() -> None:
    merged = merge_tags("Blue Eyes, smile", "blue eyes, SMILE, hat", ["HAT", "scarf, Smile"])
    assert merged == ["Blue Eyes", "smile", "hat", "scarf"]


def test_merge_treats_whitespace_variants_as_duplicates() -> None:
    assert merge_tags("long  hair", "long hair", "Long\thair") == ["long hair"]


def test_weighted_and_plain_tags_are_different_tags() -> None:
    assert merge_tags("(smile:1.2), smile, (Smile:1.2)") == ["(smile:1.2)", "smile"]


def test_tag_list_and_join() -> None:
    tags = TagList()
    tags.add_text("a, B")
    tags.add(["b", "c, A", "d"])
    assert tags.tags == ["a", "B", "c", "d"]
    assert tags.text() == "a, B, c, d"
    assert join_tags(["x", "(y, z:1.1)"]) == "x, (y, z:1.1)"
    assert tag_key("  Long   Hair ") == "long hair"


def test_long_texts_split_like_short_ones() -> None:
    text = ", ".join(f"tag{number}" for number in range(1000))
    assert split_tags(text) == [f"tag{number}" for number in range(1000)]


_PROMPT_TEXT = st.text(alphabet=st.sampled_from(list("abcAB ,\n\t()[]{}:.1\\")), max_size=60)
_PLAIN_TEXT = st.text(alphabet=st.sampled_from(list("abcAB ,\n\t:.1")), max_size=60)


@given(st.lists(_PROMPT_TEXT, max_size=5))
def test_merged_tags_never_contain_case_insensitive_duplicates(parts: list[str]) -> None:
    merged = merge_tags(*parts)
    keys = [tag.casefold() for tag in merged]
    assert len(keys) == len(set(keys))
    assert all(tag and tag == tag.strip() for tag in merged)


@given(_PROMPT_TEXT)
def test_splitting_loses_only_separators_and_whitespace(text: str) -> None:
    def significant(value: str) -> str:
        return re.sub(r"[\s,]", "", value)

    assert significant("".join(split_tags(text))) == significant(text)


@given(_PLAIN_TEXT)
def test_split_join_split_is_stable_without_syntax(text: str) -> None:
    tags = split_tags(text)
    assert split_tags(join_tags(tags)) == tags
