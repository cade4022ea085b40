"""Every answer of the model is checked here before anyone sees it: a draft against its
category's schema (no extra fields, strict types, GAZE's length limits, a clean id), tags and
prompt texts against the prompt rules; and the tags it uses against the tag vocabulary."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from pydantic import ValidationError

from gaze.library.fields import describe_errors
from gaze.library.schema import resource_model_for
from gaze.library.tag_csv import tag_key
from gaze.library.tag_vocabulary import TagVocabulary, bare_tag, prompt_tags
from gaze.library.tag_warnings import PROMPT_SECTIONS, tag_warnings
from gaze.library.text_rules import MAX_TAG_LENGTH, prompt_problem
from gaze.llm.draft_schema import MAX_SUGGESTED_TAGS, draft_properties

KEPT_FROM_BASE = ("lora", "wardrobe", "active_outfit", "is_favourite", "is_nsfw", "cover")
"""What a draft made from a base resource keeps of it unchanged (the model never sets them)."""
MAX_DRAFT_ID_LENGTH = 64
SUGGESTIONS_PER_TAG = 5
MAX_FLAGGED_TAGS = 100

_NOT_ID = re.compile(r"[^a-z0-9_]+")


class DraftProblems(Exception):
    """The answer breaks the rules; `problems` says how, one line each."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


def draft_id(proposed: Any, name: Any) -> str:
    """A valid id from the one the model proposed (or its name): lower case, runs of other
    characters as one `_`, at most 64 characters."""
    source = proposed if isinstance(proposed, str) and proposed.strip() else name
    text = source if isinstance(source, str) else ""
    cleaned = _NOT_ID.sub("_", text.lower()).strip("_")[:MAX_DRAFT_ID_LENGTH].strip("_")
    return cleaned or "new_draft"


def checked_draft(
    category: str, answer: Mapping[str, Any], base: Mapping[str, Any] | None
) -> dict[str, Any]:
    """The draft as the category's document would store it; DraftProblems when it is not
    valid (extra fields included)."""
    allowed = draft_properties(category)
    problems = [
        f"{key}: is not a field of a {category[:-1]} draft (allowed: {', '.join(allowed)})"
        for key in answer
        if key not in allowed
    ]
    document = {key: value for key, value in answer.items() if key in allowed}
    document["id"] = draft_id(answer.get("id"), answer.get("name"))
    if base is not None:
        document.update({key: base[key] for key in KEPT_FROM_BASE if key in base})
    model = resource_model_for(category)
    try:
        validated = model.model_validate(document)
    except ValidationError as error:
        problems += describe_errors(error)
    except RecursionError:
        problems.append("the answer is nested too deeply to be a resource")
    if problems:
        raise DraftProblems(problems)
    return validated.model_dump(mode="json", exclude_none=True)


def checked_tags(answer: Mapping[str, Any]) -> list[str]:
    """The suggested tags, cleaned of surrounding spaces and duplicates; DraftProblems when
    the answer is not `{"tags": [strings]}` of valid tags."""
    problems = [f"{key}: is not allowed (answer only 'tags')" for key in answer if key != "tags"]
    tags = answer.get("tags")
    if not isinstance(tags, list) or not all(isinstance(tag, str) for tag in tags):
        raise DraftProblems([*problems, "tags: must be a list of strings"])
    if len(tags) > MAX_SUGGESTED_TAGS:
        problems.append(f"tags: {len(tags)} tags; at most {MAX_SUGGESTED_TAGS}")
    chosen: dict[str, str] = {}
    for index, tag in enumerate(tags):
        text = tag.strip()
        if not text or "," in text or len(text) > MAX_TAG_LENGTH:
            problems.append(
                f"tags[{index}]: must be one tag (no commas, 1 to {MAX_TAG_LENGTH} characters)"
            )
        else:
            chosen.setdefault(tag_key(text), text)
    if problems:
        raise DraftProblems(problems)
    return list(chosen.values())


def checked_text(answer: Mapping[str, Any]) -> str:
    """The improved prompt text; DraftProblems when it is not `{"text": a valid prompt}`."""
    problems = [f"{key}: is not allowed (answer only 'text')" for key in answer if key != "text"]
    text = answer.get("text")
    if not isinstance(text, str) or not text.strip():
        problems.append("text: must be a non-empty string")
    else:
        problem = prompt_problem(text)
        if problem:
            problems.append(f"text: {problem}")
    if problems:
        raise DraftProblems(problems)
    assert isinstance(text, str)
    return text.strip()


def tag_report(document: Mapping[str, Any], vocabulary: TagVocabulary) -> dict[str, Any]:
    """`tag_warnings` (aliases and unknown tags, by field) and `unknown_tags`, each with
    known tags that start like it; both empty when no vocabulary was imported."""
    warnings = tag_warnings(document, vocabulary)
    if not warnings:
        return {"tag_warnings": [], "unknown_tags": []}
    used = _prompt_tags_of(document)
    known = vocabulary.lookup(used)
    unknown: dict[str, str] = {}
    for tag in used:
        if tag_key(tag) not in known and len(unknown) < MAX_FLAGGED_TAGS:
            unknown.setdefault(tag_key(tag), tag)
    flagged = [
        {"tag": tag, "suggestions": _suggestions(tag, vocabulary)} for tag in unknown.values()
    ]
    return {"tag_warnings": warnings, "unknown_tags": flagged}


def _prompt_tags_of(document: Mapping[str, Any]) -> list[str]:
    """The bare tags of the prompt sections `tag_warnings` checks."""
    return [tag for root in PROMPT_SECTIONS for tag in prompt_tags(document.get(root))]


def _suggestions(tag: str, vocabulary: TagVocabulary) -> list[str]:
    """Known tags starting like `tag`: its whole text first, then its first half."""
    bare = bare_tag(tag)
    for prefix in (bare, bare[: max(3, len(bare) // 2)]):
        matches = vocabulary.search(prefix, SUGGESTIONS_PER_TAG)
        if matches:
            return [match.alias_of or match.name for match in matches]
    return []
