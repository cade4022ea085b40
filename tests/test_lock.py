"""The hashed install locks (requirements/*.txt, written by `make lock`) match pyproject.toml.

`make run` and `make test` install these files with --require-hashes --no-deps, so a dependency
added to pyproject.toml (or a range moved) without re-running `make lock` would silently not be
installed: these checks fail first. torch is the one exception, installed by the Makefile's
TORCH_PIN from this machine's CPU wheel (whose hash is not PyPI's).
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from devkit.server import REPO

LOCKS = REPO / "requirements"
PROJECT = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
MAKEFILE = (REPO / "Makefile").read_text()
NOT_HASH_LOCKED = "torch"
LOCK_EXTRAS = {"run.txt": ("local", "scale"), "test.txt": ("local", "scale", "dev")}
PYPROJECT_VIA = "gaze (pyproject.toml)"

_PIN = re.compile(r"^(?P<name>[A-Za-z0-9][A-Za-z0-9._-]*)==(?P<version>\S+)")
_HASH = re.compile(r"^\s+--hash=sha256:[0-9a-f]{64}\b")
_VIA = re.compile(r"^\s+#\s+(?:via\s+)?(?P<source>\S.*?)\s*$")


@dataclass
class LockedPackage:
    version: str
    hash_count: int = 0
    via: tuple[str, ...] = ()


def read_lock(path: Path) -> dict[str, LockedPackage]:
    """A pip-compile lock's pinned packages by canonical name, with their hashes and sources."""
    packages: dict[str, LockedPackage] = {}
    current: LockedPackage | None = None
    for line in path.read_text().splitlines():
        if pin := _PIN.match(line):
            current = LockedPackage(version=pin["version"])
            packages[canonicalize_name(pin["name"])] = current
        elif not line.startswith((" ", "\t")):
            current = None
        elif current is not None and _HASH.match(line):
            current.hash_count += 1
        elif current is not None and (via := _VIA.match(line)) and via["source"] != "via":
            current.via = (*current.via, via["source"])
    return packages


def requirements_of(extras: tuple[str, ...]) -> list[Requirement]:
    lines = PROJECT["dependencies"] + [
        line for extra in extras for line in PROJECT["optional-dependencies"][extra]
    ]
    return [Requirement(line) for line in lines]


def makefile_pin(variable: str) -> Requirement:
    found = re.search(rf"^{variable} := (\S+)$", MAKEFILE, re.MULTILINE)
    assert found, f"{variable} is not set in the Makefile"
    return Requirement(found[1])


@pytest.fixture(scope="module", params=sorted(LOCK_EXTRAS))
def lock(request: pytest.FixtureRequest) -> tuple[str, dict[str, LockedPackage]]:
    return request.param, read_lock(LOCKS / request.param)


def test_every_pin_is_exact_and_hashed(lock: tuple[str, dict[str, LockedPackage]]) -> None:
    name, packages = lock
    assert len(packages) > 20, f"{name} pins too little"
    assert [package for package, pin in packages.items() if pin.hash_count == 0] == []
    assert NOT_HASH_LOCKED not in packages


def test_every_project_requirement_is_locked_within_its_range(
    lock: tuple[str, dict[str, LockedPackage]],
) -> None:
    name, packages = lock
    unlocked = []
    for requirement in requirements_of(LOCK_EXTRAS[name]):
        key = canonicalize_name(requirement.name)
        if key == NOT_HASH_LOCKED:
            continue
        pin = packages.get(key)
        if pin is None or not requirement.specifier.contains(pin.version, prereleases=True):
            unlocked.append(f"{requirement} (locked: {pin.version if pin else 'absent'})")
    assert unlocked == [], f"run `make lock`: {name} misses or mis-pins {unlocked}"


def test_no_direct_requirement_outlives_its_removal(
    lock: tuple[str, dict[str, LockedPackage]],
) -> None:
    name, packages = lock
    wanted = {canonicalize_name(req.name) for req in requirements_of(LOCK_EXTRAS[name])}
    stale = [key for key, pin in packages.items() if PYPROJECT_VIA in pin.via and key not in wanted]
    assert stale == [], f"run `make lock`: {name} still pins {stale} for pyproject.toml"


def test_requested_extras_of_requirements_are_locked(
    lock: tuple[str, dict[str, LockedPackage]],
) -> None:
    """uvicorn[standard], psycopg[binary]: what each extra brings (read from the installed
    distribution, which `make test` installed from this very lock) is locked as well."""
    name, packages = lock
    missing = []
    for requirement in requirements_of(LOCK_EXTRAS[name]):
        for extra in requirement.extras:
            for line in metadata.requires(requirement.name) or []:
                brought = Requirement(line)
                brought_here = brought.marker is not None and brought.marker.evaluate(
                    {"extra": extra}
                )
                if brought_here and canonicalize_name(brought.name) not in packages:
                    missing.append(f"{requirement.name}[{extra}] -> {brought.name}")
    assert missing == [], f"run `make lock`: {name} misses {missing}"


def test_the_test_lock_agrees_with_the_run_lock() -> None:
    run, test = read_lock(LOCKS / "run.txt"), read_lock(LOCKS / "test.txt")
    differing = {
        key: (pin.version, test[key].version if key in test else None)
        for key, pin in run.items()
        if key not in test or test[key].version != pin.version
    }
    assert differing == {}


def test_torch_is_pinned_by_the_makefile_and_its_own_requirements_are_locked() -> None:
    torch_pin = makefile_pin("TORCH_PIN")
    declared = [req for req in requirements_of(("local",)) if req.name == NOT_HASH_LOCKED]
    assert [str(req.specifier) for req in declared] == [str(torch_pin.specifier)]
    run = read_lock(LOCKS / "run.txt")
    needs = [Requirement(line) for line in metadata.requires(NOT_HASH_LOCKED) or []]
    unconditional = [req for req in needs if req.marker is None or req.marker.evaluate()]
    assert unconditional, "torch's own requirements could not be read"
    assert [req.name for req in unconditional if canonicalize_name(req.name) not in run] == []


def test_open_clip_is_locked_alone_with_its_hash() -> None:
    packages = read_lock(LOCKS / "no-deps.txt")
    open_clip = makefile_pin("OPEN_CLIP_PIN")
    assert list(packages) == [canonicalize_name(open_clip.name)]
    assert open_clip.specifier.contains(packages[canonicalize_name(open_clip.name)].version)
    assert packages[canonicalize_name(open_clip.name)].hash_count >= 1
