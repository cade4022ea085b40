"""A stand-in OpenAI-compatible chat-completions server for the LLM drafting tests."""
