#!/usr/bin/python3
"""The Python module's fill against the C++ library's rate with the same threads.

  PYTHONPATH=build/python /usr/bin/python3 bench/python_fill.py build/src/dgen_mpi [THREADS] [REPEATS]

1. dgen.Generator.fill of a 1 GiB numpy array (touched first), best of REPEATS, against
   dgen_mpi's bench mode (--size 1GiB, the same threads: the library's generate into a buffer
   its team touched), run alternately.
2. The dgen-py-style streaming loop: dgen.compat.Generator(size=8 GiB, chunk_size=32 MiB) with
   fill_chunk into one reused 32 MiB buffer, the same against dgen_mpi --size 32MiB (in cache).
"""
import json
import subprocess
import sys
import time

import numpy

import dgen
import dgen.compat

binary = sys.argv[1] if len(sys.argv) > 1 else "build/src/dgen_mpi"
threads = int(sys.argv[2]) if len(sys.argv) > 2 else 2
repeats = int(sys.argv[3]) if len(sys.argv) > 3 else 5
spec = dict(seed=7, dedup_ratio=2.0, compress_ratio=2.0)
cli = ["--seed", "7", "--dedup-ratio", "2", "--compress-ratio", "2"]


def cpp_gbps(size):
    out = subprocess.run([binary, "--size", size, "--threads", str(threads), "--iterations", "3",
                          "--baseline", "off", "--format", "json", *cli],
                         check=True, stdout=subprocess.PIPE).stdout
    return json.loads(out)["summary"]["aggregate_gbps"]["max"]


def best(f):
    t = []
    for _ in range(3):
        t0 = time.perf_counter()
        n = f()
        t.append(n / (time.perf_counter() - t0) / 1e9)
    return max(t)


g = dgen.Generator(**spec)
# Pages touched before timing, as dgen_mpi does. numpy's own array starts 16 bytes past a
# 64-byte line here (its allocator's header); a view of one starting on a line is the other.
raw = numpy.ones((1 << 30) + 64, dtype=numpy.uint8)
address = raw.__array_interface__["data"][0]
plain = raw[:1 << 30]
aligned = raw[(64 - address % 64) % 64:][:1 << 30]
rows = []
for i in range(repeats):
    c = cpp_gbps("1GiB")
    p = best(lambda: (g.fill(plain, 0, threads), plain.nbytes)[1])
    q = best(lambda: (g.fill(aligned, 0, threads), aligned.nbytes)[1])
    rows.append((q, c, p))
    print("fill 1 GiB: python %.2f GB/s (numpy's array, address %% 64 = %d: %.2f GB/s), C++ %.2f "
          "GB/s, ratio %.3f (%.3f)" % (q, address % 64, p, c, q / c, p / c))

chunk = numpy.zeros(32 << 20, dtype=numpy.uint8)


def stream():
    s = dgen.compat.Generator(size=8 << 30, chunk_size=32 << 20, max_threads=threads, seed=7,
                              dedup_ratio=2, compress_ratio=2)
    n = 0
    while not s.is_complete():
        n += s.fill_chunk(chunk)
    return n


srows = []
for i in range(repeats):
    c = cpp_gbps("32MiB")
    p = best(stream)
    srows.append((p, c))
    print("stream 8 GiB in 32 MiB chunks: python %.2f GB/s, C++ (32 MiB in cache) %.2f GB/s, "
          "ratio %.3f" % (p, c, p / c))


def median(xs):
    xs = sorted(xs)
    return xs[len(xs) // 2]


print("median ratio: fill %.3f (numpy's own alignment %.3f), streaming loop %.3f (%d threads; the "
      "peer published 10.8 GB/s per core)" % (median([q / c for q, c, p in rows]),
                                              median([p / c for q, c, p in rows]),
                                              median([p / c for p, c in srows]), threads))
