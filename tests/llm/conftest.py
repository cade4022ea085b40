"""The LLM drafting tests: a stand-in chat-completions server per module."""

from __future__ import annotations

from tests.llm_standin.fixtures import llm_server, llm_standin

__all__ = ["llm_server", "llm_standin"]
