"""Prompt assembly: pure functions over prompt text (no I/O, no randomness)."""

from gaze.prompts.tags import TagList, join_tags, merge_tags, split_tags, tag_key

__all__ = ["TagList", "join_tags", "merge_tags", "split_tags", "tag_key"]
