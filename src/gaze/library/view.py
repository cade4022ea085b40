"""The library as preset resolution sees it: the `LibraryView` protocol, tag filters, and a
view over resources held in memory (the database's view is `database_view.DatabaseLibrary`)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Protocol

from gaze.library.schema import CATEGORIES, CheckpointSettings, Resource, resource_model_for
from gaze.library.wordlist_schema import WORDLISTS, Wordlist


class LibraryView(Protocol):
    """Read access to a library snapshot; the database layer implements it too."""

    def get(self, category: str, resource_id: str) -> Resource | None:
        """The resource of `category` with this id, or None."""
        ...

    def ids(self, category: str, tag_filter: Mapping[str, str] | None = None) -> list[str]:
        """Ids of the category, sorted; with a filter, only resources matching every
        ``key: value`` of it (see `tags_match`)."""
        ...

    def checkpoint(self, path: str) -> CheckpointSettings | None:
        """The settings of the checkpoint at this path, or None."""
        ...

    def wordlist(self, name: str) -> Sequence[str] | None:
        """The lines wildcards pick from in the wordlist with this id (``__name__``), without
        blanks and ``#`` comments; None when there is no such wordlist."""
        ...

    def nsfw_ids(self, category: str) -> frozenset[str]:
        """The ids flagged NSFW in a category (or ``wordlists``), for safe-for-work picks."""
        ...


def tags_match(resource: Resource, tag_filter: Mapping[str, str]) -> bool:
    """True if, for every ``key: value`` of the filter, the resource's tag `key` equals `value`
    (or, for a list-valued tag, contains it), ignoring case."""
    return tag_values_match(resource.tags, tag_filter)


def tag_values_match(tags: Mapping[str, str | list[str]], tag_filter: Mapping[str, str]) -> bool:
    """`tags_match` on a document's ``tags`` mapping."""
    for key, wanted in tag_filter.items():
        value = tags.get(key)
        if value is None:
            return False
        wanted_key = wanted.casefold()
        if isinstance(value, str):
            if value.casefold() != wanted_key:
                return False
        elif not any(item.casefold() == wanted_key for item in value):
            return False
    return True


class InMemoryLibrary:
    """A `LibraryView` over resources and checkpoint settings held in memory."""

    def __init__(
        self,
        resources: Iterable[Resource] = (),
        checkpoints: Iterable[CheckpointSettings] = (),
        wordlists: Iterable[Wordlist] = (),
    ) -> None:
        self._resources: dict[str, dict[str, Resource]] = {category: {} for category in CATEGORIES}
        self._checkpoints: dict[str, CheckpointSettings] = {}
        self._wordlists: dict[str, tuple[str, ...]] = {}
        self._nsfw_wordlists: set[str] = set()
        self._ids_cache: dict[tuple[str, tuple[tuple[str, str], ...]], list[str]] = {}
        for resource in resources:
            self.add(resource)
        for settings in checkpoints:
            self.add(settings)
        for wordlist in wordlists:
            self.add(wordlist)

    def add(self, item: Resource | CheckpointSettings | Wordlist) -> None:
        """Add or replace a resource (by category and id), checkpoint settings (by path) or a
        wordlist (by id)."""
        if isinstance(item, CheckpointSettings):
            self._checkpoints[item.path] = item
            return
        if isinstance(item, Wordlist):
            self._wordlists[item.id] = item.usable_lines()
            if item.is_nsfw:
                self._nsfw_wordlists.add(item.id)
            else:
                self._nsfw_wordlists.discard(item.id)
            return
        resource_model_for(item.category)  # rejects a Resource without a category
        self._resources[item.category][item.id] = item
        self._ids_cache.clear()

    def remove(self, category: str, resource_id: str) -> None:
        self._resources[category].pop(resource_id, None)
        self._ids_cache.clear()

    def resources(self, category: str) -> list[Resource]:
        """The resources of a category, sorted by id."""
        return [self._resources[category][key] for key in self.ids(category)]

    def checkpoints(self) -> list[CheckpointSettings]:
        return [self._checkpoints[path] for path in sorted(self._checkpoints)]

    def get(self, category: str, resource_id: str) -> Resource | None:
        resources = self._resources.get(category)
        return None if resources is None else resources.get(resource_id)

    def ids(self, category: str, tag_filter: Mapping[str, str] | None = None) -> list[str]:
        key = (category, tuple(sorted(tag_filter.items())) if tag_filter else ())
        cached = self._ids_cache.get(key)
        if cached is None:
            resources = self._resources.get(category)
            if resources is None:
                raise ValueError(f"unknown category {category!r}")
            cached = sorted(
                resource_id
                for resource_id, resource in resources.items()
                if not tag_filter or tags_match(resource, tag_filter)
            )
            self._ids_cache[key] = cached
        return list(cached)

    def checkpoint(self, path: str) -> CheckpointSettings | None:
        return self._checkpoints.get(path)

    def wordlist(self, name: str) -> Sequence[str] | None:
        return self._wordlists.get(name)

    def nsfw_ids(self, category: str) -> frozenset[str]:
        if category == WORDLISTS:
            return frozenset(self._nsfw_wordlists)
        resources = self._resources.get(category, {})
        return frozenset(key for key, resource in resources.items() if resource.is_nsfw)
