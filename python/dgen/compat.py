"""dgen-py's API on dgen's generator: a script written for dgen-py runs by changing its import.

    import dgen.compat as dgen_py          # was: import dgen_py

Every public name of dgen-py's package (its __all__ and the StreamingGenerator alias), with its
parameters in dgen-py's order. What differs (docs/python.md): the bytes are dgen's, not
dgen-py's, the same as `dgen_mpi --output -` for the same options and seed; the ratios hold
exactly (dgen-py truncated them to integers and deduplicated only inside one call); a size is
exact (dgen-py 0.2 rounded small ones up to 1 MiB); `reset()` replays the same bytes; `seed=`
is accepted by every function (keyword only where dgen-py has none). As in dgen-py, no seed
means a fresh random one per call and per Generator, so unseeded objects differ.
"""
import operator
import secrets
import threading

from . import _dgen
from ._dgen import BytesView, create_bytearrays
from ._dgen import Generator as _Generator

__version__ = _dgen.__version__

__all__ = [
    "BytesView",
    "generate_buffer",
    "generate_data",
    "generate_into_buffer",
    "fill_buffer",
    "Generator",
    "create_bytearrays",
    "get_numa_info",
    "get_system_info",
]

DEFAULT_CHUNK_SIZE = 32 << 20  # dgen-py's default chunk
_U64 = (1 << 64) - 1
_SSIZE = (1 << 63) - 1  # the largest bytes object
_MAX_THREADS = 4096


def _integer(name, value, lo, hi, none_allowed=False):
    """`value` as an int in [lo, hi] (None passes when allowed), refused as the module refuses:
    ValueError naming the argument and the range, TypeError naming its type as well."""
    if value is None and none_allowed:
        return None
    want = "an integer from %d to %d%s" % (lo, hi, ", or None" if none_allowed else "")
    if isinstance(value, bool) or not hasattr(type(value), "__index__"):
        raise TypeError("%s=%r: must be %s, not %s" % (name, value, want, type(value).__name__))
    number = operator.index(value)
    if not lo <= number <= hi:
        raise ValueError("%s=%r: must be %s" % (name, value, want))
    return number


def _threads(max_threads):
    return _integer("max_threads", max_threads, 1, _MAX_THREADS, none_allowed=True)


def _seed_or_random(seed):
    return secrets.randbits(64) if seed is None else seed


def _refuse_buffer(buffer):
    """The error dgen-py raises for this buffer: TypeError for an object without the buffer
    protocol, ValueError for a read-only or non-contiguous one."""
    try:
        view = memoryview(buffer)
    except TypeError:
        raise TypeError("buffer: must be a writable contiguous buffer (bytearray, memoryview, "
                        "numpy array, mmap), not %s" % type(buffer).__name__) from None
    with view:
        if view.readonly:
            raise ValueError("buffer: must be writable; this %s is read-only"
                             % type(buffer).__name__)
        if not view.contiguous:
            raise ValueError("buffer: must be contiguous; this %s is not" % type(buffer).__name__)


# The per-call functions' threads: one pool per Python thread and placement, kept between
# calls (dgen-py 0.2 built a pool per call; 0.2.4 one per process), so that a call costs no
# thread start and two Python threads still fill in parallel.
_local = threading.local()


def _pool(numa_mode, numa_node):
    cpus = _dgen._placement_cpus(numa_mode, numa_node)  # checks both, naming them
    key = None if cpus is None else tuple(cpus)
    pools = getattr(_local, "pools", None)
    if pools is None:
        pools = _local.pools = {}
    pool = pools.get(key)
    if pool is None:
        if len(pools) >= 8:
            pools.clear()
        pool = pools[key] = _dgen._Pool(cpus)
    return pool


def _generator(dedup_ratio, compress_ratio, seed, pool):
    return _Generator(seed=_seed_or_random(seed), dedup_ratio=dedup_ratio,
                      compress_ratio=compress_ratio, _pool=pool)


def generate_buffer(size, dedup_ratio=1.0, compress_ratio=1.0, numa_mode="auto",
                    max_threads=None, numa_node=None, *, seed=None):
    """`size` bytes of the stream from offset 0, as a BytesView (generated in its memory)."""
    size = _integer("size", size, 0, _SSIZE)
    threads = _threads(max_threads)
    g = _generator(dedup_ratio, compress_ratio, seed, _pool(numa_mode, numa_node))
    return g._generate_view(0, size, threads)


def generate_data(size, dedup_ratio=1.0, compress_ratio=1.0, numa_mode="auto", max_threads=None,
                  *, seed=None):
    """dgen-py's generate_data: generate_buffer without numa_node. Returns a BytesView:
    memoryview() and numpy.frombuffer() share its memory, bytes() copies."""
    return generate_buffer(size, dedup_ratio, compress_ratio, numa_mode, max_threads, seed=seed)


def generate_into_buffer(buffer, dedup_ratio=1.0, compress_ratio=1.0, numa_mode="auto",
                         max_threads=None, numa_node=None, *, seed=None):
    """Fills `buffer` (any writable contiguous buffer) in place; returns the bytes written."""
    threads = _threads(max_threads)
    g = _generator(dedup_ratio, compress_ratio, seed, _pool(numa_mode, numa_node))
    try:
        return g._fill_upto(buffer, _U64, 0, threads)
    except TypeError:
        _refuse_buffer(buffer)
        raise


def fill_buffer(buffer, dedup_ratio=1.0, compress_ratio=1.0, numa_mode="auto", max_threads=None,
                *, seed=None):
    """dgen-py's fill_buffer: generate_into_buffer without numa_node; returns the bytes written."""
    return generate_into_buffer(buffer, dedup_ratio, compress_ratio, numa_mode, max_threads,
                                seed=seed)


def get_system_info():
    """get_numa_info()'s dict, or None when this build has no hwloc or hwloc cannot read the
    machine (as dgen-py)."""
    if get_numa_info is None:
        return None
    try:
        return get_numa_info()
    except Exception:
        return None


# dgen-py's get_numa_info (None in a build without NUMA support, as in dgen-py's): num_nodes,
# physical_cores, logical_cpus, is_uma, deployment_type, from hwloc; RuntimeError when hwloc
# cannot read the machine.
get_numa_info = getattr(_dgen, "numa_info", None)


class Generator:
    """A stream of `size` bytes handed out in chunks, as dgen-py's Generator.

    numa_mode, max_threads and numa_node place its threads (docs/python.md); chunk_size is what
    get_chunk() hands out by default; block_size is accepted and changes nothing here (dgen-py's
    bytes depended on it, these do not)."""

    def __init__(self, size, dedup_ratio=1.0, compress_ratio=1.0, numa_mode="auto",
                 max_threads=None, numa_node=None, chunk_size=None, block_size=None, seed=None):
        self._size = _integer("size", size, 0, _U64)  # dgen-py's size is a 64-bit unsigned
        self._threads = _threads(max_threads)
        chunk = _integer("chunk_size", chunk_size, 1, _SSIZE, none_allowed=True)
        self._chunk = DEFAULT_CHUNK_SIZE if chunk is None else chunk
        _integer("block_size", block_size, 0, _U64, none_allowed=True)
        self._ratios = (dedup_ratio, compress_ratio)
        # Its own threads, as a dgen-py Generator has: Generators in different Python threads
        # stream in parallel.
        self._pool = _dgen._Pool(_dgen._placement_cpus(numa_mode, numa_node))
        self._gen = _generator(dedup_ratio, compress_ratio, seed, self._pool)
        self._position = 0
        self._base = 0  # where the current seed's stream began (set_seed keeps the position)

    @property
    def chunk_size(self):
        return self._chunk

    def fill_chunk(self, buffer):
        """Writes the next min(len(buffer), remaining) bytes into the start of `buffer`, in
        place; returns that count (0 once complete)."""
        try:
            n = self._gen._fill_upto(buffer, self._size - self._position,
                                     self._position - self._base, self._threads)
        except TypeError:
            _refuse_buffer(buffer)
            raise
        self._position += n
        return n

    def get_chunk(self, chunk_size=None):
        """The next min(chunk_size, remaining) bytes as a BytesView (chunk_size None: the
        Generator's chunk_size); None once complete, as dgen-py."""
        chunk = _integer("chunk_size", chunk_size, 1, _SSIZE, none_allowed=True)
        n = min(self._chunk if chunk is None else chunk, self._size - self._position)
        if n <= 0:
            return None
        out = self._gen._generate_view(self._position - self._base, n, self._threads)
        self._position += n
        return out

    def position(self):
        return self._position

    def total_size(self):
        return self._size

    def is_complete(self):
        return self._position >= self._size

    def reset(self):
        """Back to the start: the same bytes again."""
        self._position = 0
        self._base = 0

    def set_seed(self, seed):
        """Another stream from here on (None: a random seed); the position stays, as in dgen-py."""
        self._gen = _generator(self._ratios[0], self._ratios[1], seed, self._pool)
        self._base = self._position


# dgen-py's alias (not in its __all__ either).
StreamingGenerator = Generator
