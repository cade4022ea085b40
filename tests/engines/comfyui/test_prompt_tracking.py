"""PromptTracker fed ComfyUI's websocket messages and history entries, as ComfyUI sends them."""

from __future__ import annotations

import itertools
from typing import Any

import pytest

from gaze.engines.base import EngineError, GenerationCancelled
from gaze.engines.comfyui.prompt_tracking import (
    OutputImage,
    PromptState,
    PromptTracker,
    Update,
)
from gaze.engines.comfyui.workflow import build_workflow
from gaze.generation_spec import GenerationSpec

PROMPT_ID = "6b1e1d0c-3f0e-4d55-9a43-2f0f6f0b9c11"
OTHER_PROMPT_ID = "0d0cf4d1-8a77-4b0e-a2a6-9b6f0c1d2e3f"
GRAPH = build_workflow(GenerationSpec("a lighthouse", "blurry", "sd15/base.safetensors", steps=4))
SAVED = {"filename": "gaze_00001_.png", "subfolder": "", "type": "output"}
PREVIEW = {"filename": "ComfyUI_temp_abcde_00001_.png", "subfolder": "", "type": "temp"}
TIMESTAMP = 1_760_000_000_000


def message(kind: str, **data: Any) -> dict[str, Any]:
    return {"type": kind, "data": data}


def status(queue_remaining: int, **extra: Any) -> dict[str, Any]:
    return message("status", status={"exec_info": {"queue_remaining": queue_remaining}}, **extra)


def ours(kind: str, **data: Any) -> dict[str, Any]:
    return message(kind, **data, prompt_id=PROMPT_ID)


def executing(node: str | None) -> dict[str, Any]:
    if node is None:
        return ours("executing", node=None)
    return ours("executing", node=node, display_node=node)


def progress(value: int, maximum: int, node: str = "3") -> dict[str, Any]:
    return ours("progress", value=value, max=maximum, node=node)


def executed(node: str, *images: dict[str, Any]) -> dict[str, Any]:
    return ours("executed", node=node, display_node=node, output={"images": list(images)})


def successful_run(*outputs: dict[str, Any]) -> list[dict[str, Any]]:
    """The messages of one prompt that runs from start to end, as ComfyUI sends them."""
    return [
        status(1),
        ours("execution_start", timestamp=TIMESTAMP),
        ours("execution_cached", nodes=[], timestamp=TIMESTAMP),
        executing("4"),
        executing("6"),
        executing("7"),
        executing("5"),
        executing("3"),
        *(progress(step, 4) for step in range(1, 5)),
        executing("8"),
        executing("9"),
        executed("9", *(outputs or (SAVED,))),
        ours("execution_success", timestamp=TIMESTAMP),
        status(0),
        executing(None),
    ]


def feed_all(tracker: PromptTracker, messages: list[dict[str, Any]]) -> list[Update]:
    return [tracker.feed(item) for item in messages]


def history_entry(
    outputs: dict[str, Any], status_str: str = "success", **status: Any
) -> dict[str, Any]:
    return {
        "prompt": [0, PROMPT_ID, GRAPH, {"client_id": "c"}, ["9"]],
        "outputs": outputs,
        "status": {"status_str": status_str, "completed": status_str == "success", **status},
        "meta": {},
    }


def test_a_run_goes_from_queued_to_succeeded_with_rising_progress() -> None:
    tracker = PromptTracker(PROMPT_ID, GRAPH)
    assert tracker.state is PromptState.QUEUED
    states = []
    updates = []
    for item in successful_run():
        updates.append(tracker.feed(item))
        states.append(tracker.state)
    assert states[1] is PromptState.RUNNING  # execution_start
    assert states[-1] is PromptState.SUCCEEDED
    assert [state for state, _ in itertools.groupby(states)] == [
        PromptState.QUEUED,
        PromptState.RUNNING,
        PromptState.SUCCEEDED,
    ]
    fractions = [update.progress for update in updates if update.progress is not None]
    assert fractions == [0.25, 0.5, 0.75, 0.99]  # 1.0 only once the image is fetched
    assert all(update.alive for update in updates)
    assert [update.history_written for update in updates].count(True) == 1
    assert updates[-1].history_written
    assert tracker.finished and tracker.failure(cancelled=False) is None
    assert tracker.image() == OutputImage("gaze_00001_.png", "", "output")
    assert tracker.completed_via == "websocket"
    assert tracker.finish_progress() == 1.0
    assert tracker.finish_progress() is None


def test_messages_of_other_prompts_change_nothing() -> None:
    tracker = PromptTracker(PROMPT_ID, GRAPH)
    for item in successful_run():
        if item["type"] == "status":
            continue
        item["data"]["prompt_id"] = OTHER_PROMPT_ID
        assert tracker.feed(item) == Update()
    assert tracker.state is PromptState.QUEUED and not tracker.images


def test_queue_status_is_a_sign_of_life_only_when_the_queue_changes() -> None:
    tracker = PromptTracker(PROMPT_ID, GRAPH)
    assert tracker.feed(status(2, sid="4f1c")) == Update(alive=True)  # sent on connect
    assert tracker.feed(status(2)) == Update()
    assert tracker.feed(status(1)) == Update(alive=True)
    assert tracker.queue_remaining == 1
    assert tracker.feed(message("status", status={"exec_info": {}})) == Update()
    assert tracker.state is PromptState.QUEUED


def test_the_reconnect_executing_message_without_a_prompt_id_is_ignored() -> None:
    tracker = PromptTracker(PROMPT_ID, GRAPH)
    assert tracker.feed(message("executing", node="3")) == Update()
    assert tracker.state is PromptState.QUEUED


@pytest.mark.parametrize(
    "item",
    [
        "text",
        None,
        ["executing", {"node": None}],
        {"type": "executing"},
        {"type": "executing", "data": "3"},
    ],
)
def test_messages_of_unknown_shape_are_ignored(item: Any) -> None:
    tracker = PromptTracker(PROMPT_ID, GRAPH)
    assert tracker.feed(item) == Update()


def test_a_progress_message_without_numbers_is_life_but_no_progress() -> None:
    tracker = PromptTracker(PROMPT_ID, GRAPH)
    assert tracker.feed(ours("progress", value="x", max=4, node="3")) == Update(alive=True)
    assert tracker.feed(ours("progress_state", nodes={})) == Update(alive=True)


def test_a_cached_sampler_leaves_the_other_its_whole_share() -> None:
    graph = dict(GRAPH)
    graph["12"] = {**GRAPH["3"], "inputs": {**GRAPH["3"]["inputs"], "denoise": 0.5}}
    tracker = PromptTracker(PROMPT_ID, graph)
    assert tracker.feed(progress(2, 4, node="12")).progress == 0.25  # one of two samplers
    cached = PromptTracker(PROMPT_ID, graph)
    cached.feed(ours("execution_cached", nodes=["3", "4"], timestamp=TIMESTAMP))
    assert cached.feed(progress(2, 4, node="12")).progress == 0.5


def test_a_saved_image_is_preferred_to_a_preview() -> None:
    tracker = PromptTracker(PROMPT_ID, GRAPH)
    feed_all(tracker, successful_run(PREVIEW, SAVED))
    assert tracker.image() == OutputImage("gaze_00001_.png", "", "output")
    assert len(tracker.images) == 2
    previews_only = PromptTracker(PROMPT_ID, GRAPH)
    feed_all(previews_only, successful_run(PREVIEW))
    assert previews_only.image() == OutputImage(PREVIEW["filename"], "", "temp")


def test_an_execution_error_fails_the_prompt_naming_node_and_exception() -> None:
    tracker = PromptTracker(PROMPT_ID, GRAPH)
    feed_all(tracker, successful_run()[:9])
    tracker.feed(
        ours(
            "execution_error",
            node_id="3",
            node_type="KSampler",
            executed=["4", "6", "7", "5"],
            exception_message="Allocation on device would exceed allowed memory.\n",
            exception_type="torch.OutOfMemoryError",
            traceback=['  File "execution.py", line 1, in execute\n'],
            current_inputs={},
            current_outputs=[],
            timestamp=TIMESTAMP,
        )
    )
    assert tracker.state is PromptState.FAILED and not tracker.finished
    failure = tracker.failure(cancelled=True)  # an error stays an error when cancelling
    assert type(failure) is EngineError
    assert str(failure) == (
        "ComfyUI failed at node 3 (KSampler): torch.OutOfMemoryError: "
        "Allocation on device would exceed allowed memory."
    )


def test_an_interruption_is_a_cancel_only_when_gaze_asked_for_it() -> None:
    tracker = PromptTracker(PROMPT_ID, GRAPH)
    feed_all(tracker, successful_run()[:9])
    tracker.feed(
        ours(
            "execution_interrupted",
            node_id="3",
            node_type="KSampler",
            executed=["4", "6", "7", "5"],
            timestamp=TIMESTAMP,
        )
    )
    assert tracker.state is PromptState.INTERRUPTED
    assert isinstance(tracker.failure(cancelled=True), GenerationCancelled)
    unasked = tracker.failure(cancelled=False)
    assert type(unasked) is EngineError
    assert str(unasked) == (
        "ComfyUI interrupted the prompt at node 3 (KSampler) (not at GAZE's request)"
    )


def test_success_without_an_image_waits_for_the_history() -> None:
    tracker = PromptTracker(PROMPT_ID, GRAPH)
    updates = feed_all(tracker, [item for item in successful_run() if item["type"] != "executed"])
    assert tracker.state is PromptState.SUCCEEDED and not tracker.finished
    assert updates[-1].history_written
    tracker.settle(history_entry({"9": {"images": [SAVED]}}, messages=[]))
    assert tracker.finished
    assert tracker.image() == OutputImage("gaze_00001_.png", "", "output")
    assert tracker.completed_via == "history"


def test_the_history_tells_an_ending_the_socket_missed() -> None:
    tracker = PromptTracker(PROMPT_ID, GRAPH)
    feed_all(tracker, successful_run()[:6])  # then the socket dropped
    messages = [
        ["execution_start", {"prompt_id": PROMPT_ID, "timestamp": TIMESTAMP}],
        ["execution_cached", {"nodes": [], "prompt_id": PROMPT_ID, "timestamp": TIMESTAMP}],
        ["execution_success", {"prompt_id": PROMPT_ID, "timestamp": TIMESTAMP}],
    ]
    tracker.settle(history_entry({"9": {"images": [SAVED]}}, messages=messages))
    assert tracker.state is PromptState.SUCCEEDED and tracker.finished
    assert tracker.completed_via == "history"


def test_the_history_tells_a_failure_or_an_interruption() -> None:
    failed = PromptTracker(PROMPT_ID, GRAPH)
    error = {"prompt_id": PROMPT_ID, "node_id": "9", "node_type": "SaveImage"}
    error |= {"exception_type": "OSError", "exception_message": "disk full"}
    failed.settle(history_entry({}, "error", messages=[["execution_error", error]]))
    assert str(failed.failure(cancelled=False)) == (
        "ComfyUI failed at node 9 (SaveImage): OSError: disk full"
    )
    interrupted = PromptTracker(PROMPT_ID, GRAPH)
    stop = {"prompt_id": PROMPT_ID, "node_id": "3", "node_type": "KSampler", "executed": []}
    interrupted.settle(history_entry({}, "error", messages=[["execution_interrupted", stop]]))
    assert interrupted.state is PromptState.INTERRUPTED
    silent = PromptTracker(PROMPT_ID, GRAPH)
    silent.settle(history_entry({}, "error", messages=[]))
    assert str(silent.failure(cancelled=False)) == f"ComfyUI reports prompt {PROMPT_ID} failed"


def test_a_history_entry_without_images_fails_the_prompt() -> None:
    tracker = PromptTracker(PROMPT_ID, GRAPH)
    tracker.settle(history_entry({"8": {}}, messages=[]))
    assert tracker.state is PromptState.FAILED
    assert "produced no image" in str(tracker.failure(cancelled=False))
