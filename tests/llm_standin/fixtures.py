"""pytest fixtures for tests that talk to the stand-in LLM server."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.llm_standin.server import LlmStandIn


@pytest.fixture(scope="module")
def llm_server() -> Iterator[LlmStandIn]:
    """One stand-in per test module; each test resets its script (`llm_standin`)."""
    with LlmStandIn() as server:
        yield server


@pytest.fixture
def llm_standin(llm_server: LlmStandIn) -> LlmStandIn:
    """The module's stand-in with a fresh script: every mode supported, no delays."""
    llm_server.reset()
    return llm_server
