"""ComfyUI's queue and history: a priority queue of prompts, one running, a history of results.

Queue items have ComfyUI's shape ``[number, prompt_id, prompt, extra_data, outputs]``.
All methods run on the server's event loop, so no locking is needed.
"""

from __future__ import annotations

import asyncio
import copy
import heapq
from collections import OrderedDict
from typing import Any

QueueItem = tuple[float, str, dict[str, Any], dict[str, Any], list[str]]

MAXIMUM_HISTORY_SIZE = 10000


class PromptQueue:
    def __init__(self) -> None:
        self._pending: list[QueueItem] = []
        self._running: dict[int, QueueItem] = {}
        self._task_counter = 0
        self._wakeup = asyncio.Event()
        self.history: OrderedDict[str, dict[str, Any]] = OrderedDict()

    def put(self, item: QueueItem) -> None:
        heapq.heappush(self._pending, item)
        self._wakeup.set()

    async def get(self) -> tuple[QueueItem, int]:
        while not self._pending:
            self._wakeup.clear()
            await self._wakeup.wait()
        item = heapq.heappop(self._pending)
        task_id = self._task_counter
        self._task_counter += 1
        self._running[task_id] = item
        return item, task_id

    def task_done(
        self, task_id: int, outputs: dict[str, Any], meta: dict[str, Any], status: dict[str, Any]
    ) -> None:
        item = self._running.pop(task_id)
        if len(self.history) > MAXIMUM_HISTORY_SIZE:
            self.history.popitem(last=False)
        self.history[item[1]] = {
            "prompt": list(item),
            "outputs": outputs,
            "status": status,
            "meta": meta,
        }

    def running(self) -> list[QueueItem]:
        return list(self._running.values())

    def running_ids(self) -> list[str]:
        return [item[1] for item in self._running.values()]

    def pending(self) -> list[QueueItem]:
        return sorted(self._pending)

    def tasks_remaining(self) -> int:
        return len(self._pending) + len(self._running)

    def delete_pending(self, prompt_id: str) -> bool:
        for index, item in enumerate(self._pending):
            if item[1] == prompt_id:
                self._pending.pop(index)
                heapq.heapify(self._pending)
                return True
        return False

    def wipe_pending(self) -> None:
        self._pending = []

    def get_history(
        self, prompt_id: str | None = None, max_items: int | None = None
    ) -> dict[str, Any]:
        if prompt_id is not None:
            entry = self.history.get(prompt_id)
            return {prompt_id: copy.deepcopy(entry)} if entry is not None else {}
        items = list(self.history.items())
        if max_items is not None:
            items = items[-max_items:] if max_items > 0 else []
        return {key: copy.deepcopy(value) for key, value in items}

    def delete_history(self, prompt_id: str) -> None:
        self.history.pop(prompt_id, None)

    def wipe_history(self) -> None:
        self.history.clear()
