"""Compare samplers with ComfyUI's recorded runs and print the worst differences.

``python -m tests.sampling.check_samplers euler heun`` runs every recorded case of the named
samplers (all when none is named) over the *recorded* sigmas, so a sampler can be checked
before or apart from the schedulers; the tests use the sigmas the schedulers compute.
"""

from __future__ import annotations

import sys

from tests.sampling.reference import (
    OUTPUT_TOLERANCE,
    cases,
    max_difference,
    run_case,
    worst_excess,
)


def main(names: list[str]) -> int:
    failures = 0
    for case in cases():
        if names and case.sampler not in names:
            continue
        try:
            ours = run_case(case, case.scheduler_sigmas())
            difference = max_difference(ours, case.recorded_output())
            passed = worst_excess(ours, case.recorded_output()) <= 1.0
        except Exception as error:  # a report, not a test: show it and go on
            print(f"{case.id}: {type(error).__name__}: {error}")
            failures += 1
            continue
        if not passed:
            failures += 1
        mark = "ok " if passed else "BAD"
        print(f"{mark} {case.id}: max |diff| = {difference:.3g}")
    print(f"{failures} case(s) over {OUTPUT_TOLERANCE}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
