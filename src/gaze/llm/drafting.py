"""One drafting task, start to end: ask the model, check its answer, and when it is invalid
ask once more with the problems; then the checked result, or LlmAnswerInvalid naming them."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass
from typing import Any

from gaze.library.tag_vocabulary import TagVocabulary
from gaze.llm.client import ChatClient, JsonRequest, Messages, ModelAnswer, ProgressCallback
from gaze.llm.draft_checks import (
    DraftProblems,
    checked_draft,
    checked_tags,
    checked_text,
    tag_report,
)
from gaze.llm.draft_schema import IMPROVE_SCHEMA, TAGS_SCHEMA, draft_properties, draft_schema
from gaze.llm.errors import LlmAnswerInvalid
from gaze.llm.prompts import correction_messages, draft_messages, improve_messages, tags_messages

DRAFT = "draft"
TAGS = "tags"
IMPROVE = "improve"
TASKS = (DRAFT, TAGS, IMPROVE)


@dataclass(frozen=True)
class DraftTask:
    """What a draft job asks for; stored as the job's `spec`."""

    task: str
    category: str
    description: str = ""
    base: dict[str, Any] | None = None
    field: str = ""
    text: str = ""

    def to_payload(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_payload(cls, payload: Mapping[str, Any]) -> DraftTask:
        return cls(**{key: payload[key] for key in asdict(cls("", "")) if key in payload})

    @property
    def label(self) -> str:
        noun = self.category[:-1]
        if self.task == TAGS:
            return f"AI tags: {noun} field {self.field}"
        if self.task == IMPROVE:
            return f"AI prompt: {noun} field {self.field}"
        return f"AI draft: {noun}"

    def messages(self) -> Messages:
        if self.task == TAGS:
            return tags_messages(self.category, self.field, self.text)
        if self.task == IMPROVE:
            return improve_messages(self.category, self.field, self.text)
        base = self.base
        if base is not None:
            draftable = draft_properties(self.category)
            base = {key: value for key, value in base.items() if key in draftable}
        return draft_messages(self.category, self.description, base)

    def json_request(self) -> JsonRequest:
        if self.task == TAGS:
            return JsonRequest("suggested_tags", "Prompt tags for one field.", TAGS_SCHEMA)
        if self.task == IMPROVE:
            return JsonRequest("improved_prompt", "An improved prompt text.", IMPROVE_SCHEMA)
        noun = self.category[:-1]
        return JsonRequest(f"{noun}_draft", f"A draft {noun}.", draft_schema(self.category))


def run_task(
    client: ChatClient,
    task: DraftTask,
    vocabulary: TagVocabulary,
    *,
    on_progress: ProgressCallback | None = None,
    cancelled: Callable[[], bool] = lambda: False,
) -> dict[str, Any]:
    """The checked result of `task` (see `result_json`); LlmAnswerInvalid after two invalid
    answers, other LlmErrors when the server fails."""
    messages = task.messages()
    request = task.json_request()
    answer = client.ask_json(messages, request, on_progress=on_progress, cancelled=cancelled)
    try:
        return result_json(task, answer, vocabulary)
    except DraftProblems as first:
        messages = [*messages, *correction_messages(answer.text, first.problems)]
    answer = client.ask_json(messages, request, on_progress=on_progress, cancelled=cancelled)
    try:
        return result_json(task, answer, vocabulary)
    except DraftProblems as second:
        raise LlmAnswerInvalid(second.problems) from None


def result_json(task: DraftTask, answer: ModelAnswer, vocabulary: TagVocabulary) -> dict[str, Any]:
    """What a done draft job holds in `result`; DraftProblems when the answer is invalid."""
    if answer.value is None:
        raise DraftProblems([answer.problem or "the answer is not a JSON object"])
    result: dict[str, Any] = {"task": task.task, "category": task.category}
    if task.task == TAGS:
        tags = checked_tags(answer.value)
        result.update(field=task.field, tags=tags, text=", ".join(tags))
        checked: dict[str, Any] = {"fields": {"suggested": {"text": result["text"]}}}
    elif task.task == IMPROVE:
        result.update(field=task.field, text=checked_text(answer.value))
        checked = {"fields": {"improved": {"text": result["text"]}}}
    else:
        result["draft"] = checked = checked_draft(task.category, answer.value, task.base)
    result.update(tag_report(checked, vocabulary))
    result["output_mode"] = answer.mode.value
    return result
