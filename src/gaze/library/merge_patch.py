"""JSON Merge Patch (RFC 7396): how PATCH requests change a stored document."""

from __future__ import annotations

from typing import Any


def apply_merge_patch(target: Any, patch: Any) -> Any:
    """The target changed by the patch: an object patch merges key by key (recursively), a
    ``null`` value removes its key, and any other patch value replaces the target whole.
    Neither argument is modified."""
    if not isinstance(patch, dict):
        return patch
    result: dict[str, Any] = dict(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            result.pop(key, None)
        else:
            result[key] = apply_merge_patch(result.get(key), value)
    return result
