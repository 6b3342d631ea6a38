"""Does `fixtures --check` tell BLAS rounding from a changed reference?"""

import numpy as np

from grader import fixtures


def test_last_bit_rounding_is_not_stale():
    """A float64 array moved by 1e-12 relative, and a float32 one by a few ulps, still match."""
    a = np.linspace(-4, 4, 50)
    assert not fixtures._drifted(a * (1 + 1e-12), a)
    b = np.linspace(-1, 1, 50, dtype=np.float32)
    assert not fixtures._drifted(b + np.float32(2e-7), b)


def test_a_changed_value_is_stale():
    """One entry off by 1e-6 in float64 (far above rounding) makes the fixture stale."""
    a = np.linspace(-4, 4, 50)
    b = a.copy()
    b[7] += 1e-6
    assert fixtures._drifted(b, a)
    c = np.linspace(-1, 1, 50, dtype=np.float32)
    d = c.copy()
    d[3] += np.float32(1e-3)
    assert fixtures._drifted(d, c)


def test_integers_and_shapes_must_match_exactly():
    assert fixtures._drifted(np.array([1, 2, 3]), np.array([1, 2, 4]))
    assert fixtures._drifted(np.zeros((2, 3)), np.zeros((3, 2)))
    assert not fixtures._drifted(np.array([1, 2, 3]), np.array([1, 2, 3]))


def test_committed_fixtures_are_current():
    """The committed public.npz matches a fresh build from reference/ on this machine's numpy."""
    assert fixtures.stale() == []
