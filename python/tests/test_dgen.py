"""The Python module against the library's own bytes (dgen_mpi --output -), in place.

Run: PYTHONPATH=build/python DGEN_MPI_BINARY=build/src/dgen_mpi /usr/bin/python3 -m pytest python/tests
"""
import mmap
import os
import subprocess
import threading

import numpy
import pytest

import dgen
import dgen.compat

BINARY = os.environ.get("DGEN_MPI_BINARY", "build/src/dgen_mpi")
SPEC = dict(seed=77, dedup_ratio=2.0, compress_ratio=3.0)
CLI = ["--seed", "77", "--dedup-ratio", "2", "--compress-ratio", "3"]


def stream(n, extra=()):
    """The first n bytes of the stream, from dgen_mpi --output -."""
    out = subprocess.run([BINARY, "--size", str(n), "--threads", "1", *CLI, *extra, "--output", "-"],
                         check=True, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL).stdout
    assert len(out) == n
    return out


@pytest.fixture(scope="module")
def reference():
    return stream(3 << 20)


def test_version_and_targets():
    assert dgen.__version__
    assert dgen.DATA_MODEL_VERSION == 1
    targets = dgen.simd_targets()
    assert any(t["name"] == "scalar" and t["supported"] for t in targets)


@pytest.mark.parametrize("offset,size", [(0, 1), (0, 4096), (1, 4095), (4093, 70001),
                                         (65535, 1 << 20), (123457, 2 << 20)])
def test_generate_equals_the_cli_at_awkward_offsets(reference, offset, size):
    g = dgen.Generator(**SPEC)
    assert g.generate(offset, size) == reference[offset:offset + size]


@pytest.mark.parametrize("threads", [1, 2, 3, 7])
def test_fill_any_buffer_in_place(reference, threads):
    g = dgen.Generator(**SPEC)
    offset, n = 12345, (2 << 20) + 77
    want = reference[offset:offset + n]
    ba = bytearray(n)
    g.fill(ba, offset, threads)
    assert ba == want
    arr = numpy.zeros(n, dtype=numpy.uint8)
    address = arr.__array_interface__["data"][0]
    g.fill(arr, offset=offset, threads=threads)
    assert arr.__array_interface__["data"][0] == address  # the array's own memory, no copy
    assert arr.tobytes() == want
    mv = memoryview(bytearray(n))
    g.fill(mv, offset, threads)
    assert mv.tobytes() == want
    with mmap.mmap(-1, n) as m:
        g.fill(m, offset, threads)
        assert m[:] == want
    # A view into a larger array: only the view is written.
    big = numpy.full(n + 200, 0xAB, dtype=numpy.uint8)
    g.fill(big[100:100 + n], offset, threads)
    assert big[:100].tobytes() == b"\xab" * 100 and big[-100:].tobytes() == b"\xab" * 100
    assert big[100:100 + n].tobytes() == want


def test_wider_dtypes_fill_their_bytes(reference):
    g = dgen.Generator(**SPEC)
    a = numpy.zeros(1000, dtype=numpy.uint64)
    g.fill(a, 8)
    assert a.tobytes() == reference[8:8 + 8000]


def test_other_data_options_equal_the_cli():
    extra = ["--dedup-unit", "64KiB", "--compress-fill", "zero"]
    want = stream(1 << 20, extra)
    g = dgen.Generator(seed=77, dedup_ratio=2, compress_ratio=3, dedup_unit=65536,
                       compress_fill="zero", simd="scalar")
    assert g.simd == "scalar"
    assert g.generate(0, 1 << 20) == want


def test_first_mismatch(reference):
    g = dgen.Generator(**SPEC)
    data = bytearray(reference[1000:1000 + 500000])
    assert g.first_mismatch(data, 1000) is None
    data[321000] ^= 1
    assert g.first_mismatch(data, 1000) == 1000 + 321000
    assert g.first_mismatch(data, 1001) == 1001  # shifted by one byte: wrong at once


def test_the_gil_is_released_while_filling():
    # While one Python thread is inside fill(), another must run Python code: a watcher thread
    # records when it runs, and some of its ticks must fall in the first half of the fill (with
    # the GIL held it could run only after the fill returned).
    import time
    g = dgen.Generator(**SPEC)
    buf = numpy.ones(768 << 20, dtype=numpy.uint8)  # touched: the fill itself is what is timed
    started = threading.Event()
    stop = threading.Event()
    ticks = []

    def watcher():
        started.set()
        while not stop.is_set():
            ticks.append(time.perf_counter())

    w = threading.Thread(target=watcher)
    w.start()
    started.wait()
    try:
        t0 = time.perf_counter()
        g.fill(buf, 0, 1)
        t1 = time.perf_counter()
    finally:
        stop.set()
        w.join()
    middle = t0 + (t1 - t0) / 2
    assert t1 - t0 > 0.004, "the fill was too quick to tell"
    assert any(t0 <= t <= middle for t in ticks), "no Python code ran during the fill"
    # Two fills from two threads give what one gives, with one generator or two.
    a = numpy.empty(8 << 20, dtype=numpy.uint8)
    b = numpy.empty(8 << 20, dtype=numpy.uint8)
    for second in (g, dgen.Generator(**SPEC)):
        ts = [threading.Thread(target=g.fill, args=(a, 0, 2)),
              threading.Thread(target=second.fill, args=(b, 8 << 20, 2))]
        [t.start() for t in ts]
        [t.join() for t in ts]
        assert a.tobytes() + b.tobytes() == g.generate(0, 16 << 20)


def test_streaming_fill_of_a_large_array_equals_the_cli():
    # 64 MiB over 2 threads: 32 MiB per thread, streaming stores, into numpy's own (misaligned
    # by 16 bytes) memory and into a view one byte further on.
    n = 64 << 20
    want = stream(n + 1)
    g = dgen.Generator(**SPEC)
    a = numpy.empty(n + 1, dtype=numpy.uint8)
    g.fill(a[:n], 0, 2)
    assert a[:n].tobytes() == want[:n]
    g.fill(a[1:], 1, 2)
    assert a[1:].tobytes() == want[1:]


def test_a_forked_child_fills_with_its_own_threads():
    import multiprocessing
    g = dgen.Generator(**SPEC)
    g.fill(bytearray(4 << 20), 0, 2)  # the parent's pool has a worker now
    ctx = multiprocessing.get_context("fork")
    q = ctx.Queue()
    p = ctx.Process(target=lambda: q.put(g.generate(0, 1 << 20, 2)))
    p.start()
    got = q.get(timeout=60)
    p.join(timeout=60)
    assert p.exitcode == 0
    assert got == g.generate(0, 1 << 20)


U64 = "an integer from 0 to 18446744073709551615"


@pytest.mark.parametrize("kwargs,error,message", [
    (dict(dedup_ratio=0.5), ValueError, "dedup_ratio=0.5: must be a number from 1 to 100"),
    (dict(dedup_ratio=float("nan")), ValueError, "dedup_ratio=nan: must be a number from 1 to 100"),
    (dict(dedup_ratio="2"), TypeError, "dedup_ratio='2': must be a number from 1 to 100, not str"),
    (dict(dedup_ratio=None), TypeError,
     "dedup_ratio=None: must be a number from 1 to 100, not NoneType"),
    (dict(compress_ratio=101), ValueError, "compress_ratio=101: must be a number from 1 to 100"),
    (dict(compress_ratio=True), TypeError,
     "compress_ratio=True: must be a number from 1 to 100, not bool"),
    (dict(dedup_unit=3000), ValueError,
     "dedup_unit=3000: must be a power of two from 512 to 1048576 (512B to 1MiB)"),
    (dict(dedup_unit=2 << 20), ValueError,
     "dedup_unit=2097152: must be a power of two from 512 to 1048576 (512B to 1MiB)"),
    (dict(dedup_unit=4096.0), TypeError, "dedup_unit=4096.0: must be a power of two from 512 to "
     "1048576 (512B to 1MiB), not float"),
    (dict(compress_fill="random"), ValueError, "compress_fill='random': must be 'zero' or 'pattern'"),
    (dict(compress_fill=0), TypeError, "compress_fill=0: must be 'zero' or 'pattern', not int"),
    (dict(seed=-5), ValueError, "seed=-5: must be " + U64 + ", or None"),
    (dict(seed=1 << 64), ValueError, "seed=18446744073709551616: must be " + U64 + ", or None"),
    (dict(seed="7"), TypeError, "seed='7': must be " + U64 + ", or None, not str"),
    (dict(seed=7.0), TypeError, "seed=7.0: must be " + U64 + ", or None, not float"),
    (dict(simd="neon9"), ValueError, "simd='neon9': must be one of auto|"),
    (dict(simd=None), TypeError, "simd=None: must be 'auto' or a compiled target's name, not NoneType"),
])
def test_bad_arguments_name_the_python_argument_and_its_type(kwargs, error, message):
    with pytest.raises(error) as e:
        dgen.Generator(**kwargs)
    assert str(e.value).startswith(message), str(e.value)
    assert type(e.value) is error


def test_integer_arguments_take_any_integer_type(reference):
    # numpy's integers (operator.index) are integers; bool is not.
    g = dgen.Generator(seed=numpy.uint64(77), dedup_ratio=numpy.float64(2), compress_ratio=3,
                       dedup_unit=numpy.int32(4096))
    assert g.seed == 77
    assert g.generate(numpy.int64(5), numpy.uint16(100), numpy.int8(2)) == reference[5:105]


def test_bad_fill_arguments():
    g = dgen.Generator()
    with pytest.raises(TypeError, match=r"^buffer: must be a writable contiguous buffer .*, not bytes$"):
        g.fill(b"read-only bytes")
    with pytest.raises(TypeError, match="^buffer: must be a writable contiguous buffer"):
        g.fill(numpy.zeros((10, 10), dtype=numpy.uint8)[:, 1])  # not contiguous
    with pytest.raises(TypeError, match=r"^buffer: must be a contiguous buffer .*, not list$"):
        g.first_mismatch([1, 2])
    for call, error, message in [
            (lambda: g.fill(bytearray(10), 0, 0), ValueError,
             "threads=0: must be an integer from 1 to 4096, or None"),
            (lambda: g.fill(bytearray(10), 0, 5000), ValueError,
             "threads=5000: must be an integer from 1 to 4096, or None"),
            (lambda: g.fill(bytearray(10), 0, 2.0), TypeError,
             "threads=2.0: must be an integer from 1 to 4096, or None, not float"),
            (lambda: g.fill(bytearray(10), -1), ValueError, "offset=-1: must be " + U64),
            (lambda: g.fill(bytearray(10), "0"), TypeError, "offset='0': must be " + U64 + ", not str"),
            (lambda: g.generate(0, -1), ValueError,
             "size=-1: must be an integer from 0 to 9223372036854775807"),
            (lambda: g.generate(0, None), TypeError,
             "size=None: must be an integer from 0 to 9223372036854775807, not NoneType"),
            (lambda: g.fill(bytearray(10), (1 << 64) - 5), ValueError,
             "offset=18446744073709551611 with 10 bytes: past the stream's end (2**64 bytes)"),
            (lambda: g.generate((1 << 64) - 5, 6), ValueError,
             "offset=18446744073709551611 with size=6: past the stream's end (2**64 bytes)")]:
        with pytest.raises(error) as e:
            call()
        assert str(e.value) == message and type(e.value) is error
    # The stream's last bytes are there, and any split of them gives the same bytes.
    assert g.generate((1 << 64) - 5, 5) == g.generate((1 << 64) - 10, 10)[5:]


def test_compat_layer_streams_the_same_bytes_in_any_chunks(reference):
    n = (3 << 20) - 1000
    g = dgen.compat.Generator(size=n, dedup_ratio=2, compress_ratio=3, seed=77, chunk_size=1 << 20)
    assert g.total_size() == n and g.position() == 0 and not g.is_complete()
    got = bytearray()
    buf = bytearray(777777)
    while not g.is_complete():
        k = g.fill_chunk(buf)
        got += buf[:k]
    assert got == reference[:n]
    assert g.fill_chunk(buf) == 0
    g.reset()
    assert g.position() == 0
    assert g.get_chunk() == reference[:1 << 20]  # the same bytes after reset
    assert g.get_chunk(10) == reference[1 << 20:(1 << 20) + 10]
    assert dgen.compat.generate_buffer(5000, 2, 3, seed=77) == reference[:5000]
    arr = numpy.zeros(6000, dtype=numpy.uint8)
    assert dgen.compat.generate_into_buffer(arr, 2, 3, seed=77) == 6000
    assert arr.tobytes() == reference[:6000]
    f = numpy.zeros((100, 30), dtype=numpy.uint8, order="F")  # Fortran order: contiguous too
    assert dgen.compat.generate_into_buffer(f, 2, 3, seed=77) == 3000
    assert f.tobytes(order="A") == reference[:3000]


def test_compat_seed_none_is_random_and_set_seed_keeps_the_position():
    # dgen-py: no seed means a random one, so unseeded objects differ.
    assert dgen.compat.generate_buffer(4096) != dgen.compat.generate_buffer(4096)
    g = dgen.compat.Generator(size=3 << 20, seed=5, chunk_size=1 << 20)
    first = g.get_chunk()
    g.reset()
    assert g.get_chunk() == first  # a Generator's random or given seed is kept by reset()
    g.set_seed(6)  # the position stays: the stream still ends after size bytes
    assert g.position() == 1 << 20
    second = g.get_chunk()
    assert second == dgen.Generator(seed=6).generate(0, 1 << 20)
    assert g.get_chunk() != b"" and g.is_complete()


SSIZE = "an integer from 0 to 9223372036854775807"


@pytest.mark.parametrize("call,error,message", [
    (lambda: dgen.compat.Generator(size=10, bogus=1), TypeError, "unexpected keyword argument 'bogus'"),
    (lambda: dgen.compat.generate_buffer(10, bogus=1), TypeError,
     "unexpected keyword argument 'bogus'"),
    (lambda: dgen.compat.Generator(size=2**65), ValueError,
     "size=36893488147419103232: must be an integer from 0 to 18446744073709551615"),
    (lambda: dgen.compat.Generator(size=-1), ValueError,
     "size=-1: must be an integer from 0 to 18446744073709551615"),
    (lambda: dgen.compat.Generator(size=1.5), TypeError,
     "size=1.5: must be an integer from 0 to 18446744073709551615, not float"),
    (lambda: dgen.compat.Generator(size=10, chunk_size=0), ValueError,
     "chunk_size=0: must be an integer from 1 to 9223372036854775807, or None"),
    (lambda: dgen.compat.Generator(size=10, max_threads=0), ValueError,
     "max_threads=0: must be an integer from 1 to 4096, or None"),
    (lambda: dgen.compat.Generator(size=10).get_chunk(-1), ValueError,
     "chunk_size=-1: must be an integer from 1 to 9223372036854775807, or None"),
    (lambda: dgen.compat.Generator(size=10).get_chunk(0), ValueError,
     "chunk_size=0: must be an integer from 1 to 9223372036854775807, or None"),
    (lambda: dgen.compat.Generator(size=10).get_chunk("8"), TypeError,
     "chunk_size='8': must be an integer from 1 to 9223372036854775807, or None, not str"),
    (lambda: dgen.compat.generate_buffer(-1), ValueError, "size=-1: must be " + SSIZE),
    (lambda: dgen.compat.generate_buffer("5"), TypeError, "size='5': must be " + SSIZE + ", not str"),
    (lambda: dgen.compat.generate_buffer(10, max_threads=0), ValueError,
     "max_threads=0: must be an integer from 1 to 4096, or None"),
    (lambda: dgen.compat.generate_into_buffer(bytearray(10), max_threads=-2), ValueError,
     "max_threads=-2: must be an integer from 1 to 4096, or None"),
    (lambda: dgen.compat.generate_buffer(10, seed="7"), TypeError,
     "seed='7': must be an integer from 0 to 18446744073709551615, or None, not str"),
    (lambda: dgen.compat.Generator(size=10).set_seed(-1), ValueError,
     "seed=-1: must be an integer from 0 to 18446744073709551615, or None"),
])
def test_compat_refuses_what_dgen_py_does_not_define(call, error, message):
    with pytest.raises(error) as e:
        call()
    assert message in str(e.value) and type(e.value) is error, str(e.value)


def test_compat_get_chunk_returns_none_at_the_end_as_dgen_py():
    g = dgen.compat.Generator(size=10, seed=1)
    assert len(g.get_chunk(chunk_size=4)) == 4
    assert len(g.get_chunk()) == 6
    assert g.get_chunk() is None and g.get_chunk(5) is None
    assert g.fill_chunk(bytearray(5)) == 0
