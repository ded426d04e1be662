"""Build script: compiles every Cython module under fxp/_kernels.

Each ``fxp/_kernels/<name>.pyx`` becomes the extension ``fxp._kernels.<name>``,
linked with any hand-written C in ``fxp/_kernels/csrc/<name>*.c``.  Flags:
``-O3`` and OpenMP when a test compile shows the compiler supports it (the
build falls back to serial kernels otherwise).  ``FXP_NATIVE=1`` adds
``-march=native`` for local tuning; it is never the default.
``FXP_CYTHON_DEBUG=1`` turns on bounds checking.  ``FXP_COVERAGE=1`` builds with gcov
instrumentation (``--coverage`` at ``-O0``, so every executed line is counted where it is
written; always_inline and target("avx2,...") code still compiles, the intrinsics' immediate
operands being macros at -O0): tools/c_coverage.py uses it on a scratch copy of the tree.
"""
import os
import sys
import tempfile
from glob import glob
from pathlib import Path

import numpy as np
from Cython.Build import cythonize
from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext

KERNEL_DIR = Path("fxp") / "_kernels"
DEBUG = os.environ.get("FXP_CYTHON_DEBUG") == "1"
COVERAGE = os.environ.get("FXP_COVERAGE") == "1"
DIRECTIVES = dict(
    language_level=3,
    boundscheck=DEBUG,
    wraparound=False,
    initializedcheck=False,
    cdivision=True,
    embedsignature=True,
)


def kernel_extensions():
    extensions = []
    for pyx in sorted(KERNEL_DIR.glob("*.pyx")):
        name = "fxp._kernels." + pyx.stem
        # hand-written C that a module links: fxp/_kernels/csrc/<module>*.c
        c_sources = sorted(glob(str(KERNEL_DIR / "csrc" / (pyx.stem + "*.c"))))
        extensions.append(
            Extension(
                name,
                [str(pyx)] + c_sources,
                include_dirs=[np.get_include(), str(KERNEL_DIR), str(KERNEL_DIR / "csrc")],
                define_macros=[("NPY_NO_DEPRECATED_API", "NPY_1_22_API_VERSION")],
                # rebuild when a header or a textually included .inc changes (setuptools only
                # watches sources)
                depends=sorted(glob(str(KERNEL_DIR / "csrc" / "*.h")) + glob(str(KERNEL_DIR / "csrc" / "*.inc"))),
            )
        )
    return extensions


def compiler_accepts(compiler, flags, source):
    """Whether ``compiler`` compiles and links ``source`` with ``flags``."""
    with tempfile.TemporaryDirectory() as tmp:
        src = os.path.join(tmp, "probe.c")
        with open(src, "w") as fh:
            fh.write(source)
        try:
            objects = compiler.compile([src], output_dir=tmp, extra_postargs=flags)
            compiler.link_executable(objects, os.path.join(tmp, "probe"), extra_postargs=flags)
        except Exception:
            return False
    return True


OPENMP_PROBE = "#include <omp.h>\nint main(void){\n#pragma omp parallel\n{}\nreturn omp_get_max_threads() > 0 ? 0 : 1;}\n"


class BuildExt(build_ext):
    """Adds optimisation and (when available) OpenMP flags per compiler, and builds the
    extensions in parallel, one per core, unless ``-j`` says otherwise (pip and build never
    pass ``-j``)."""

    def finalize_options(self):
        super().finalize_options()
        if self.parallel is None:
            self.parallel = os.cpu_count() or 1

    def build_extensions(self):
        if self.compiler.compiler_type == "msvc":
            compile_flags, openmp_flags = ["/O2"], ["/openmp"]
            link_openmp = []
        else:
            # -ffp-contract=off: no FMA contraction, so every SIMD variant rounds like the reference
            compile_flags, openmp_flags = ["-O3", "-fno-strict-aliasing", "-ffp-contract=off"], ["-fopenmp"]
            link_openmp = ["-fopenmp"]
            if os.environ.get("FXP_NATIVE") == "1":
                compile_flags.append("-march=native")
        if compiler_accepts(self.compiler, openmp_flags + link_openmp, OPENMP_PROBE):
            compile_flags += openmp_flags
            link_flags = link_openmp
        else:
            sys.stderr.write("fxp: OpenMP not available; building serial kernels\n")
            link_flags = []
        if COVERAGE and self.compiler.compiler_type != "msvc":
            # -fprofile-update=atomic: the OpenMP drivers update the counters from several threads
            gcov_flags = ["--coverage", "-fprofile-update=atomic"]
            compile_flags = ["-O0" if f == "-O3" else f for f in compile_flags] + gcov_flags
            link_flags = link_flags + gcov_flags
        for ext in self.extensions:
            ext.extra_compile_args = compile_flags + list(ext.extra_compile_args or [])
            ext.extra_link_args = link_flags + list(ext.extra_link_args or [])
        super().build_extensions()


setup(
    ext_modules=cythonize(kernel_extensions(), compiler_directives=DIRECTIVES, quiet=True),
    cmdclass={"build_ext": BuildExt},
)
