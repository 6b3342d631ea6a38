"""How often does a mutant escape its own question's checks under ``grade``? Measured in-process.

Under ``grade`` a check runs on its public case and K hidden draws
(``grader.grading.HiddenFixtures``); a mutant escapes a check under a secret when
it passes all of them. Drawing cases is cheap and the reference and the
mutants are plain Python packages, so this imports each mutant under a
package name of its own (``a2kit_mutant_<i>``) and runs the checks here,
without a sandbox: the escape rate of every mutant over many secrets in
seconds to minutes.

    python -m tests.mutants.escape [--secrets 200] [--draws 3] [--match TEXT] [--skip-training] [--hidden-only]

prints one line per (mutant, check) that escaped under some secret, with
the rate and the first escaping secret, then a summary line. Exit status 1
when something escaped.
"""

from __future__ import annotations

import argparse
import dataclasses
import itertools
import sys
import tempfile
from pathlib import Path

import numpy as np

from grader import scoring
from grader.checks import registry
from grader.checks.base import Impl
from grader.grading import HiddenFixtures

from . import ROOT, Mutant, all_mutants, build_package

#: Checks that train or iterate (seconds each): fewer secrets in the tests (see rubric.yaml's comment).
TRAINING = frozenset({"solver_overfit", "convnet_overfit", "tp2_xor_a", "tp2_xor_b", "tp2_parity", "tp2_parity_narrow"})
#: Q5 trains torch models: a mutant of pytorch_models.py is measured by tests/suites/test_mutants.py instead.
SKIPPED_QUESTIONS = frozenset({"q5"})


@dataclasses.dataclass
class Escape:
    mutant: str
    check: str
    escaped: list[str]  # the secrets under which the mutant passed every case
    tried: int


#: package numbers unique in the process: two labs must never build the same name (the first import would win)
_PACKAGES = itertools.count()


class Lab:
    """Mutant packages importable in this process, and the hidden fixtures of many secrets (cached)."""

    def __init__(self, root: Path | None = None):
        self._tmp = tempfile.TemporaryDirectory(prefix="a2kit-escape-") if root is None else None
        self.root = Path(self._tmp.name) if root is None else root
        if str(self.root) not in sys.path:
            sys.path.insert(0, str(self.root))
        self._impls: dict[str, Impl] = {}
        self._hidden: dict[str, HiddenFixtures] = {}

    def impl(self, mutant: Mutant) -> Impl:
        if mutant.name not in self._impls:
            package = f"a2kit_mutant_{next(_PACKAGES)}"
            build_package(mutant, self.root, package)
            self._impls[mutant.name] = Impl(package)
        return self._impls[mutant.name]

    def adopt(self, name: str, build) -> Impl:
        """An implementation built by ``build(dest)`` into ``dest/mutant``, imported as a package of its own."""
        if name not in self._impls:
            package = f"a2kit_mutant_{next(_PACKAGES)}"
            scratch = self.root / f"_build_{package}"
            build(scratch)
            (scratch / "mutant").rename(self.root / package)
            self._impls[name] = Impl(package)
        return self._impls[name]

    def fixtures(self, secret: str, check_id: str, draws: int):
        if secret not in self._hidden:
            self._hidden[secret] = HiddenFixtures(secret, ROOT)
        return self._hidden[secret].draws(check_id, draws)

    def passes(self, impl: Impl, check_id: str, secret: str, draws: int, public: bool = True) -> bool:
        """Whether ``impl`` passes the check on the public case (unless not ``public``) and every hidden draw."""
        check = registry.get(check_id)
        for fx in self.fixtures(secret, check_id, draws)[0 if public else 1 :]:
            try:
                got = {k: np.asarray(v) for k, v in check.run(impl, fx.case).items()}
                if not scoring.passes_case(check, fx, got, check.tolerance):
                    return False
            except Exception:  # noqa: BLE001 - an exception costs the check its points
                return False
        return True


def own_checks(mutant: Mutant) -> list[str]:
    """The checks of ``breaks`` and ``edge`` in the mutant's own question (that of its first such check)."""
    named = list(mutant.breaks) + [c for c in mutant.edge if c not in mutant.breaks]
    if not named:
        return []
    own = registry.get(named[0]).question
    return [c for c in named if registry.get(c).question == own]


def measure(
    lab: Lab, mutants, secrets, draws: int = 3, skip_training: bool = False, public: bool = True
) -> list[Escape]:
    out = []
    for m in mutants:
        for cid in own_checks(m):
            if registry.get(cid).question in SKIPPED_QUESTIONS or (skip_training and cid in TRAINING):
                continue
            impl = lab.impl(m)
            escaped = [s for s in secrets if lab.passes(impl, cid, s, draws, public)]
            out.append(Escape(m.name, cid, escaped, len(secrets)))
    return out


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--secrets", type=int, default=200)
    parser.add_argument("--draws", type=int, default=3, help="hidden draws per check (the rubric's hidden_cases)")
    parser.add_argument("--match", default="", help="only mutants whose name contains this")
    parser.add_argument("--skip-training", action="store_true")
    parser.add_argument("--hidden-only", action="store_true", help="leave the public case out (the stronger property)")
    args = parser.parse_args(argv)
    mutants = [m for m in all_mutants() if args.match in m.name]
    secrets = [f"escape-{i}" for i in range(args.secrets)]
    results = measure(Lab(), mutants, secrets, args.draws, args.skip_training, not args.hidden_only)
    bad = [r for r in results if r.escaped]
    for r in bad:
        print(f"{len(r.escaped) / r.tried:6.1%}  {r.check:28s} {r.mutant}  (e.g. secret {r.escaped[0]!r})")
    print(
        f"{len(results)} (mutant, check) pairs x {len(secrets)} secrets, {args.draws} hidden draws: {len(bad)} escaped"
    )
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
