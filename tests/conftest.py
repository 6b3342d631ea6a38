"""Test-wide settings.

One BLAS thread: on a 2-core machine multithreaded OpenBLAS makes the small
matrix products of these tests tens of times slower (measured: a 50x3072x100
product 68 ms threaded vs 2 ms single-threaded). Set before numpy is imported.
"""

import os

for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")
