"""Test-wide settings.

One BLAS thread: on a 2-core machine multithreaded OpenBLAS makes the small
matrix products of these tests tens of times slower (measured: a 50x3072x100
product 68 ms threaded vs 2 ms single-threaded). Set before numpy is imported.

English messages: the tests read the kit's output, so the machine's locale (LANG=es_AR.UTF-8) must not
choose Spanish for them; tests/grader/test_i18n.py chooses its languages itself.
"""

import os

for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")
os.environ["A2KIT_LANG"] = "en"


def pytest_addoption(parser):
    # Golden files (tests/grader/render/golden/): `python -m pytest tests/grader/render --update-golden`
    # (or A2KIT_UPDATE_GOLDEN=1) rewrites them from the current renderers instead of comparing; review the diff.
    parser.addoption(
        "--update-golden",
        action="store_true",
        default=False,
        help="rewrite the golden files of tests/grader/render/golden/ instead of comparing with them",
    )
