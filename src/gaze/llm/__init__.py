"""Drafting library resources with an OpenAI-compatible LLM: the chat-completions client with
its structured-output fallbacks, the prompts, the checks every answer passes before anyone
sees it, and the `draft` job kind that runs them in the queue."""
