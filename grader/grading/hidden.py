"""The hidden cases of each check and the reference's expected values, computed once per process.

Draw 0 is the public case (``grade`` is never more lenient than ``check``);
draws 1..K are hidden, drawn from seeds derived from the secret (draw 1 from
the secret itself, draw i from ``secret#i``).
"""

from __future__ import annotations

import sys
import threading
from pathlib import Path

from .. import fixtures as fixtures_mod
from .. import rubric as rubric_mod
from ..checks import cases as cases_mod
from ..checks import registry
from ..checks.base import Case, Impl
from ..i18n import _
from ..runner import npz_bytes


class ReferenceUnavailable(RuntimeError):
    """The reference cannot compute a question's expected values on this machine (a missing optional extra)."""


class HiddenFixtures:
    """The cases of each check under ``grade`` and the reference's expected values, computed on first use.

    Draw 0 is the public case; draws 1..K are hidden, with ``hidden=Draw(i)``
    so that generators can cover their edges on purpose
    (``grader.checks.common.edge``).

    ``public=True``: the public case only (the one ``check`` runs), for the
    Gradescope bundle's visible public tests.
    """

    def __init__(self, secret: str, release_root: Path, *, public: bool = False):
        self.secret = secret
        self.public = public
        self.release_root = release_root
        self._cache: dict[tuple[str, int], fixtures_mod.Fixture] = {}
        self._payloads: dict[tuple[str, int], bytes] = {}
        self._reference: Impl | None = None

    def fixture(self, check_id: str, draw: int) -> fixtures_mod.Fixture:
        key = (check_id, draw)
        if key not in self._cache:
            if self._reference is None:
                root = str(self.release_root)
                if root not in sys.path:
                    sys.path.insert(0, root)
                self._reference = Impl("reference")
            check = registry.all_checks()[check_id]
            if draw == cases_mod.PUBLIC:
                case = fixtures_mod.case_for(check)
            else:
                salt = self.secret if draw == 1 else f"{self.secret}#{draw}"
                case = fixtures_mod.case_for(check, salt=salt, hidden=cases_mod.Draw(draw))
            self._cache[key] = fixtures_mod.compute(check, case, self._reference)
        return self._cache[key]

    def __getitem__(self, check_id: str) -> fixtures_mod.Fixture:
        """The first hidden draw (``public``: the public case)."""
        return self.fixture(check_id, cases_mod.PUBLIC if self.public else 1)

    def draws(self, check_id: str, k: int) -> list[fixtures_mod.Fixture]:
        """The public case then ``k`` hidden draws (``public``: the public case alone)."""
        first = self[check_id]
        if self.public:
            return [first]
        return [self.fixture(check_id, 0), first, *(self.fixture(check_id, i) for i in range(2, k + 1))]

    def packed(self, check_id: str, k: int) -> Case:
        return cases_mod.pack([f.case for f in self.draws(check_id, k)])

    def payload(self, check_id: str, k: int = 1) -> bytes:
        """The packed cases' arrays as ``.npz`` bytes, serialized once for the batch."""
        key = (check_id, k)
        if key not in self._payloads:
            self._payloads[key] = npz_bytes(self.packed(check_id, k).arrays)
        return self._payloads[key]


#: (secret, release root) -> this process's fixtures; shared by every batch and Dask task of the process
CACHE: dict[tuple[str, str], HiddenFixtures] = {}
_LOCK = threading.Lock()


def hidden_for(secret: str, release_root: Path, rubric: rubric_mod.Rubric) -> HiddenFixtures:
    """This process's ``HiddenFixtures`` for (secret, release), with the rubric's checks computed.

    Raises ``ReferenceUnavailable`` when the reference cannot compute a
    question here (torch missing for q5): that is the grader's failure, not a
    student's, so it stops the batch before any row is written.
    """
    with _LOCK:
        key = (secret, str(release_root))
        hidden = CACHE.setdefault(key, HiddenFixtures(secret, release_root))
        for q in rubric.questions:
            for spec in q.checks:
                try:
                    hidden.payload(spec.id, rubric.draws(spec))
                except NotImplementedError as exc:  # the reference's optional dependency (torch for q5) is missing
                    why = _(
                        "{rubric}: {question} cannot be graded here: {error}; or grade with a rubric without {question}"
                    ).format(rubric=rubric.path, question=q.id, error=exc)
                    raise ReferenceUnavailable(why) from None
        return hidden
