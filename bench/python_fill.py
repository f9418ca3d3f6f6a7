#!/usr/bin/python3
"""The Python module's fill against the C++ library's rate with the same threads.

  PYTHONPATH=build/python /usr/bin/python3 bench/python_fill.py build/src/dgen_mpi [THREADS] [PAIRS] [--no-1gib]

1. dgen.Generator.fill of a 1 GiB numpy array (touched first), best of 3, against dgen_mpi's
   bench mode (--size 1GiB, the same threads: the library's generate into a buffer its team
   touched, the best of 3 iterations), run alternately, PAIRS times (--no-1gib skips it).
2. 32 MiB in place, 32 times over: the sustained rate of 32 back-to-back fills of one 32 MiB
   buffer (1 GiB in all), each against a dgen_mpi --size 32MiB --iterations 32 run just before it
   (its 32 in-memory generations: their bytes over their time; its team pinned, as dgen_mpi's
   --bind auto does here). Both are warm: dgen_mpi's team first-touches its buffer before it
   times, the Python figure follows one untimed fill. PAIRS rounds of seven pairs: three fills
   with numa_mode="force" (threads pinned, one per cpu), the same three with the default
   numa_mode="auto" (floating threads on a one-domain machine), and a pinned fill of numpy's own
   array:
   - dgen.Generator.fill(buffer, offset, THREADS) at offsets 0, 32 MiB, ...;
   - dgen.compat.fill_buffer(buffer, 2.0, 2.0, numa_mode, THREADS), dgen-py's call (a new
     random seed each call);
   - the dgen-py streaming loop: dgen.compat.Generator(size=1 GiB, chunk_size=32 MiB,
     max_threads=THREADS), fill_chunk into the buffer until complete.
   The buffer is a numpy array touched before timing, page-aligned, as dgen_mpi's; the last
   row fills numpy's own array (16 bytes into a cache line) with Generator.fill.
3. The per-call cost of each: the median time of 2000 calls that fill 128 KiB in two 64 KiB
   parts (the handoff to the pool included), beside one that fills it in one part on the
   caller (the generation itself).
Prints a line per pair and the medians of the ratios.
"""
import json
import statistics
import subprocess
import sys
import time

import numpy

import dgen
import dgen.compat

args = [a for a in sys.argv[1:] if not a.startswith("--")]
binary = args[0] if len(args) > 0 else "build/src/dgen_mpi"
threads = int(args[1]) if len(args) > 1 else 2
pairs = int(args[2]) if len(args) > 2 else 7
spec = dict(seed=7, dedup_ratio=2.0, compress_ratio=2.0)
cli = ["--seed", "7", "--dedup-ratio", "2", "--compress-ratio", "2"]


def cpp_gbps(size, iterations=3):
    """dgen_mpi's bench mode: the best iteration's rate, and all iterations' bytes over their
    time."""
    out = subprocess.run([binary, "--size", size, "--threads", str(threads), "--iterations",
                          str(iterations), "--baseline", "off", "--format", "json", *cli],
                         check=True, stdout=subprocess.PIPE).stdout
    runs = json.loads(out)["iterations"]
    total = sum(r["bytes"] for r in runs) / sum(r["seconds"] for r in runs) / 1e9
    return max(r["aggregate_gbps"] for r in runs), total


def best(f, times=3):
    """The best of `times` timed calls after one untimed one: dgen_mpi's team first-touches its
    buffer before its timed iterations, which starts its threads; this starts the pool's (a
    thread asleep since the last measurement takes a while to wake)."""
    f()
    t = []
    for _ in range(times):
        t0 = time.perf_counter()
        n = f()
        t.append(n / (time.perf_counter() - t0) / 1e9)
    return max(t)


def median(xs):
    return statistics.median(xs)


g = dgen.Generator(**spec)

if "--no-1gib" not in sys.argv:
    # Pages touched before timing, as dgen_mpi does. numpy's own array starts 16 bytes past a
    # 64-byte line here (its allocator's header); a view of one starting on a line is the other.
    raw = numpy.ones((1 << 30) + 64, dtype=numpy.uint8)
    address = raw.__array_interface__["data"][0]
    plain = raw[:1 << 30]
    aligned = raw[(64 - address % 64) % 64:][:1 << 30]
    rows = []
    for i in range(pairs):
        c = cpp_gbps("1GiB")[0]
        p = best(lambda: (g.fill(plain, 0, threads), plain.nbytes)[1])
        q = best(lambda: (g.fill(aligned, 0, threads), aligned.nbytes)[1])
        rows.append((q, c, p))
        print("fill 1 GiB: python %.2f GB/s (numpy's array, address %% 64 = %d: %.2f GB/s), C++ "
              "%.2f GB/s, ratio %.3f (%.3f)" % (q, address % 64, p, c, q / c, p / c), flush=True)
    print("median ratio, 1 GiB: fill %.3f (numpy's own alignment %.3f)"
          % (median([q / c for q, c, p in rows]), median([p / c for q, c, p in rows])))
    del raw, plain, aligned

size = 32 << 20
# Touched, and page-aligned as dgen_mpi's buffer is: the library streams straight into it. A
# numpy array of its own starts 16 bytes into a cache line, where the library must generate
# through a buffer in L1 (its own cost, not the Python layer's): the fourth row.
raw32 = numpy.ones(size + 4096, dtype=numpy.uint8)
buf = raw32[(4096 - raw32.__array_interface__["data"][0] % 4096) % 4096:][:size]
own = numpy.ones(size, dtype=numpy.uint8)
stream_total = 1 << 30


fills = 32


def sustained(f):
    """One untimed call of f, then `fills` timed ones: their bytes over their time."""
    f(0)
    t0 = time.perf_counter()
    n = sum(f(i) for i in range(fills))
    return n / (time.perf_counter() - t0) / 1e9


def methods_for(mode):
    """The three 32 MiB fills with numa_mode `mode` ("force": threads pinned, one per cpu, as
    dgen_mpi pins its team; "auto", the default: floating on a machine of one NUMA domain)."""
    gen = dgen.Generator(**spec, numa_mode=mode)

    def generator_fill(i):
        gen.fill(buf, i * size, threads)
        return size

    def compat_fill_buffer(i):
        return dgen.compat.fill_buffer(buf, 2.0, 2.0, mode, threads)

    def streaming_loop():
        s = dgen.compat.Generator(size=(fills + 1) * size, dedup_ratio=2.0, compress_ratio=2.0,
                                  numa_mode=mode, max_threads=threads, chunk_size=size, seed=7)
        s.fill_chunk(buf)  # the untimed one
        t0 = time.perf_counter()
        n = 0
        while not s.is_complete():
            n += s.fill_chunk(buf)
        return n / (time.perf_counter() - t0) / 1e9

    return [("Generator.fill " + mode, lambda: sustained(generator_fill)),
            ("fill_buffer " + mode, lambda: sustained(compat_fill_buffer)),
            ("fill_chunk loop " + mode, streaming_loop)]


pinned = dgen.Generator(**spec, numa_mode="force")


def generator_fill_own(i):
    pinned.fill(own, i * size, threads)
    return size


methods = methods_for("force") + methods_for("auto") + [
    ("fill force, numpy's own", lambda: sustained(generator_fill_own))]
ratios = {name: [] for name, _ in methods}
rates = {name: [] for name, _ in methods}
cpp_rates = []
for i in range(pairs):
    for name, f in methods:
        c = cpp_gbps("32MiB", fills)[1]
        p = f()
        cpp_rates.append(c)
        rates[name].append(p)
        ratios[name].append(p / c)
        print("32 MiB x %d, round %d: %-24s python %6.2f GB/s, C++ %6.2f GB/s, ratio %.3f"
              % (fills, i + 1, name, p, c, p / c), flush=True)


def per_call_us(f, calls=2000):
    t = []
    for _ in range(calls):
        t0 = time.perf_counter()
        f()
        t.append(time.perf_counter() - t0)
    return median(t) * 1e6


small = numpy.ones(128 << 10, dtype=numpy.uint8)
one = dgen.Generator(**spec)
base = per_call_us(lambda: one.fill(small, 0, 1))  # 128 KiB, one part, no handoff
costs = {}
for mode in ("force", "auto"):
    gen = dgen.Generator(**spec, numa_mode=mode)
    s = dgen.compat.Generator(size=1 << 62, numa_mode=mode, max_threads=threads, chunk_size=size,
                              seed=7)
    costs["Generator.fill " + mode] = per_call_us(lambda: gen.fill(small, 0, threads))
    costs["fill_buffer " + mode] = per_call_us(
        lambda: dgen.compat.fill_buffer(small, 2.0, 2.0, mode, threads))
    costs["fill_chunk loop " + mode] = per_call_us(lambda: s.fill_chunk(small))
costs["fill force, numpy's own"] = costs["Generator.fill force"]
print("per call: 128 KiB in one part (the library's generate, the GIL released) %.1f us" % base)
for name, _ in methods:
    print("%-24s median ratio %.3f (pairs %.3f-%.3f; python %.2f-%.2f GB/s); a 128 KiB call in 2 "
          "parts %.1f us" % (name, median(ratios[name]), min(ratios[name]), max(ratios[name]),
                             min(rates[name]), max(rates[name]), costs[name]))
print("C++ %.2f-%.2f GB/s (%d threads, %d rounds; simd %s)" % (min(cpp_rates), max(cpp_rates),
                                                                threads, pairs, g.simd))
