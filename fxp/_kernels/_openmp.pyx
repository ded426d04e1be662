"""OpenMP shim: thread counts, working with and without OpenMP at build time."""
cimport openmp

cdef extern from *:
    """
    #ifdef _OPENMP
    #define FXP_HAVE_OPENMP 1
    #else
    #define FXP_HAVE_OPENMP 0
    #endif
    """
    bint FXP_HAVE_OPENMP


def have_openmp():
    """Whether the kernels were compiled with OpenMP."""
    return bool(FXP_HAVE_OPENMP)


def max_threads():
    """Threads OpenMP would use by default (1 without OpenMP)."""
    if FXP_HAVE_OPENMP:
        return openmp.omp_get_max_threads()
    return 1
