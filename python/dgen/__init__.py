"""dgen: synthetic data with exact deduplication and compression ratios.

The bytes are a pure function of (seed, parameters, offset): any split over calls, threads or
processes gives the same bytes as ``dgen_mpi --output -`` with the same options.

    import dgen, numpy
    g = dgen.Generator(seed=7, dedup_ratio=2, compress_ratio=3)
    a = numpy.empty(1 << 30, dtype=numpy.uint8)
    g.fill(a)                      # in place, GIL released, the cores of this NUMA domain
    g.fill(a, offset=1 << 30)      # the next GiB of the stream
    g.first_mismatch(a, 1 << 30)   # None: every byte is the stream's

dgen-py callers: ``from dgen import compat as dgen_py`` (docs/python.md).
"""
from ._dgen import DATA_MODEL_VERSION, Generator, __version__, simd_targets

__all__ = ["Generator", "simd_targets", "DATA_MODEL_VERSION", "__version__"]
