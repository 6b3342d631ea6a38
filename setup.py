"""Build the optional Cython kernels (im2col_cython.pyx).

The metadata lives in pyproject.toml; this file only declares the extension
modules and makes their build optional: without a C compiler (or if the build
fails for any reason) the install still succeeds and ``fast_layers`` falls back
to the numpy implementation in ``im2col.py`` with one warning.
"""

import os
import sys

from setuptools import setup
from setuptools.command.build_ext import build_ext

try:
    from setuptools.extension import Extension
except ImportError:  # pragma: no cover
    from distutils.extension import Extension


class OptionalBuildExt(build_ext):
    """build_ext that warns instead of failing."""

    def run(self):
        try:
            super().run()
        except Exception as exc:  # noqa: BLE001 - any build failure is non-fatal
            self._warn(exc)

    def build_extension(self, ext):
        try:
            super().build_extension(ext)
        except Exception as exc:  # noqa: BLE001
            self._warn(exc, ext.name)

    @staticmethod
    def _warn(exc, name="the Cython kernels"):
        sys.stderr.write(
            f"WARNING: could not compile {name} ({exc.__class__.__name__}: {exc}); "
            "the fast layers will use the numpy fallback.\n"
        )


def extensions():
    if os.environ.get("A2KIT_NO_CYTHON"):
        return []
    try:
        import numpy
        from Cython.Build import cythonize
    except ImportError as exc:
        sys.stderr.write(f"WARNING: Cython or numpy missing at build time ({exc}); skipping kernels.\n")
        return []
    exts = [
        Extension(
            f"{pkg}.im2col_cython",
            [os.path.join(pkg, "im2col_cython.pyx")],
            include_dirs=[numpy.get_include()],
            define_macros=[("NPY_NO_DEPRECATED_API", "NPY_1_7_API_VERSION")],
            extra_compile_args=["-O3"],
        )
        for pkg in ("reference", "student")
        if os.path.exists(os.path.join(pkg, "im2col_cython.pyx"))
    ]
    try:
        return cythonize(exts, language_level=3, quiet=True)
    except Exception as exc:  # noqa: BLE001
        sys.stderr.write(f"WARNING: cythonize failed ({exc}); skipping kernels.\n")
        return []


setup(ext_modules=extensions(), cmdclass={"build_ext": OptionalBuildExt})
