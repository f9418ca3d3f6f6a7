"""dgen-py's API on dgen's generator: a script written for dgen-py runs by changing its import.

    import dgen.compat as dgen_py          # was: import dgen_py

What differs (docs/python.md): the bytes are dgen's, not dgen-py's; the ratios hold exactly
(dgen-py rounds the compression ratio to an integer, deduplicated only inside one call at 1 MiB,
and its streams depended on the chunk size); `numa_node` is accepted and not used (as in
dgen-py); `reset()` really restores the same bytes. As in dgen-py, `seed=None` draws a fresh
random seed (each call of generate_buffer, each Generator), so unseeded objects differ.
"""
import operator
import secrets

from ._dgen import Generator as _Generator

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

_cache = {}  # (ratios, seed) -> generator: a seeded call reuses its thread pool


def _seed_or_random(seed):
    return secrets.randbits(64) if seed is None else seed


def _generator(dedup_ratio, compress_ratio, seed, cached=False):
    key = (float(dedup_ratio), float(compress_ratio), seed)
    if cached and key in _cache:
        return _cache[key]
    g = _Generator(seed=seed, dedup_ratio=float(dedup_ratio), compress_ratio=float(compress_ratio))
    if cached:
        if len(_cache) > 64:
            _cache.clear()
        _cache[key] = g
    return g


def generate_buffer(size, dedup_ratio=1.0, compress_ratio=1.0, numa_node=None, seed=None,
                    max_threads=None):
    """`size` bytes of the stream from offset 0, as bytes (seed None: a random seed)."""
    size = _integer("size", size, 0, _SSIZE)
    threads = _threads(max_threads)
    g = _generator(dedup_ratio, compress_ratio, _seed_or_random(seed), cached=seed is not None)
    return g.generate(0, size, threads)


def generate_into_buffer(buffer, dedup_ratio=1.0, compress_ratio=1.0, numa_node=None, seed=None,
                         max_threads=None):
    """Fills `buffer` (any writable contiguous buffer) in place; returns the bytes written."""
    threads = _threads(max_threads)
    g = _generator(dedup_ratio, compress_ratio, _seed_or_random(seed), cached=seed is not None)
    g.fill(buffer, 0, threads)
    return memoryview(buffer).nbytes


class Generator:
    """A stream of `size` bytes handed out in chunks, as dgen-py's Generator."""

    def __init__(self, size, dedup_ratio=1.0, compress_ratio=1.0, numa_node=None,
                 chunk_size=None, seed=None, max_threads=None):
        self._size = _integer("size", size, 0, _U64)  # dgen-py's size is a 64-bit unsigned
        chunk = _integer("chunk_size", chunk_size, 1, _SSIZE, none_allowed=True)
        self._chunk = DEFAULT_CHUNK_SIZE if chunk is None else chunk
        self._threads = _threads(max_threads)
        self._ratios = (dedup_ratio, compress_ratio)
        self._gen = _generator(dedup_ratio, compress_ratio, _seed_or_random(seed))
        self._position = 0
        self._base = 0  # where the current seed's stream began (set_seed keeps the position)

    @property
    def chunk_size(self):
        return self._chunk

    def fill_chunk(self, buffer):
        """Writes the next min(len(buffer), remaining) bytes into `buffer`; returns that count."""
        view = memoryview(buffer)
        n = min(view.nbytes, self._size - self._position)
        if n <= 0:
            return 0
        target = buffer if n == view.nbytes else view.cast("B")[:n]
        self._gen.fill(target, self._position - self._base, self._threads)
        self._position += n
        return n

    def get_chunk(self, chunk_size=None):
        """The next min(chunk_size, remaining) bytes as bytes (chunk_size None: the Generator's
        chunk_size); None at the end, as dgen-py."""
        chunk = _integer("chunk_size", chunk_size, 1, _SSIZE, none_allowed=True)
        n = min(self._chunk if chunk is None else chunk, self._size - self._position)
        if n <= 0:
            return None
        out = self._gen.generate(self._position - self._base, n, self._threads)
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
        self._gen = _generator(self._ratios[0], self._ratios[1], _seed_or_random(seed))
        self._base = self._position
