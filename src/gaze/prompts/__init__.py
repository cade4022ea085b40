"""Prompt assembly: pure functions over prompt text (no I/O, no randomness)."""
