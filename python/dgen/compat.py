"""dgen-py's API on dgen's generator: a script written for dgen-py runs by changing its import.

    import dgen.compat as dgen_py          # was: import dgen_py

What differs (docs/python.md): the bytes are dgen's, not dgen-py's; the ratios hold exactly
(dgen-py rounds the compression ratio to an integer, deduplicated only inside one call at 1 MiB,
and its streams depended on the chunk size); `numa_node` is accepted and ignored here too (the
fill runs on the calling thread's NUMA domain); `reset()` really restores the same bytes.
"""
from ._dgen import Generator as _Generator

DEFAULT_CHUNK_SIZE = 32 << 20  # dgen-py's default chunk


def _generator(dedup_ratio, compress_ratio, seed, dedup_unit=4096):
    return _Generator(seed=seed, dedup_ratio=float(dedup_ratio), dedup_unit=dedup_unit,
                      compress_ratio=float(compress_ratio))


def generate_buffer(size, dedup_ratio=1.0, compress_ratio=1.0, numa_node=None, seed=None,
                    max_threads=None):
    """`size` bytes of the stream from offset 0, as bytes (dgen-py returned a buffer object)."""
    g = _generator(dedup_ratio, compress_ratio, seed)
    out = bytearray(size)
    g.fill(out, 0, max_threads)
    return bytes(out)


def generate_into_buffer(buffer, dedup_ratio=1.0, compress_ratio=1.0, numa_node=None, seed=None,
                         max_threads=None):
    """Fills `buffer` (any writable contiguous buffer) in place; returns the bytes written."""
    g = _generator(dedup_ratio, compress_ratio, seed)
    g.fill(buffer, 0, max_threads)
    return len(memoryview(buffer).cast("B"))


class Generator:
    """A stream of `size` bytes handed out in chunks, as dgen-py's Generator."""

    def __init__(self, size, dedup_ratio=1.0, compress_ratio=1.0, numa_node=None,
                 chunk_size=None, seed=None, max_threads=None, **_ignored):
        if int(size) < 0:
            raise ValueError("size %s: must be an integer from 0" % size)
        self._size = int(size)
        self._chunk = int(chunk_size) if chunk_size else DEFAULT_CHUNK_SIZE
        if self._chunk <= 0:
            raise ValueError("chunk_size %s: must be at least 1 byte" % chunk_size)
        self._seed = seed
        self._threads = max_threads
        self._ratios = (dedup_ratio, compress_ratio)
        self._gen = _generator(dedup_ratio, compress_ratio, seed)
        self._position = 0

    @property
    def chunk_size(self):
        return self._chunk

    def fill_chunk(self, buffer):
        """Writes the next min(len(buffer), remaining) bytes into `buffer`; returns that count."""
        view = memoryview(buffer).cast("B")
        n = min(len(view), self._size - self._position)
        if n > 0:
            self._gen.fill(view[:n], self._position, self._threads)
            self._position += n
        return n

    def get_chunk(self, size=None):
        """The next min(size or chunk_size, remaining) bytes as bytes (b"" at the end)."""
        n = min(self._chunk if size is None else int(size), self._size - self._position)
        if n <= 0:
            return b""
        out = self._gen.generate(self._position, n)
        self._position += n
        return out

    def position(self):
        return self._position

    def total_size(self):
        return self._size

    def is_complete(self):
        return self._position >= self._size

    def reset(self):
        """Back to offset 0: the same bytes again."""
        self._position = 0

    def set_seed(self, seed):
        """A new stream from offset 0."""
        self._seed = seed
        self._gen = _generator(self._ratios[0], self._ratios[1], seed)
        self._position = 0
