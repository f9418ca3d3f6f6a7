#!/usr/bin/python3
"""The independent checker of dgen_mpi --analyze: the same figures computed another way.

Units are compared by BLAKE2b-128 of their bytes (not XXH3), compressed with Python's zstandard
and zlib modules and liblz4's LZ4_compress_default called through ctypes (not the C++ code of
dgen_mpi), over the files found by os.listdir, each once per (st_dev, st_ino) (a block device:
st_rdev), in walk order; files that cannot be opened and directories that cannot be listed are
left out and counted. Compressed sizes equal only with the same libzstd, liblz4 and zlib as
dgen_mpi's (Debian's, for both). Python's lz4.block module is not used: it compresses
with LZ4_compress_fast_continue, whose output differs from LZ4_compress_default's by a few bytes
in some blocks. Equal blocks (by BLAKE2b-128) are compressed once. Every byte is read, the holes
of sparse files too. Prints one JSON document shaped like the report's "analyze" object.

  analyze_check.py --units 4096,65536 --chunk 1048576 PATH...
"""
import argparse
import hashlib
import json
import multiprocessing
import os
import stat
import zlib

import ctypes
import zstandard

LZ4 = ctypes.CDLL("liblz4.so.1")


def walk(paths):
    """Regular files and block devices, directories walked in byte order, links not followed;
    a file already listed (same device and inode, or same device number) is left out."""
    files, seen = [], set()
    counts = {"skipped": 0, "same_file_skipped": 0, "unreadable": 0}

    def add(path, st):
        key = ("b", st.st_rdev) if stat.S_ISBLK(st.st_mode) else ("f", st.st_dev, st.st_ino)
        if key in seen:
            counts["same_file_skipped"] += 1
            return
        seen.add(key)
        if not (stat.S_ISREG(st.st_mode) and st.st_size == 0):  # no bytes: nothing to open
            try:
                open(path, "rb").close()
            except OSError:
                counts["unreadable"] += 1
                return
        files.append(path)

    def visit(directory):
        try:
            names = os.listdir(directory)
        except OSError:
            counts["unreadable"] += 1
            return
        for name in sorted(names, key=os.fsencode):
            path = os.path.join(directory, name)
            st = os.lstat(path)
            if stat.S_ISDIR(st.st_mode):
                visit(path)
            elif stat.S_ISREG(st.st_mode):
                add(path, st)
            else:
                counts["skipped"] += 1

    for p in paths:
        st = os.stat(p)
        if stat.S_ISDIR(st.st_mode):
            visit(p)
        else:
            add(p, st)
    return files, counts


def blocks(files, size):
    """Every block of `size` bytes from each file's start; a short last block counts."""
    for path in files:
        with open(path, "rb") as f:
            while True:
                b = f.read(size)
                if not b:
                    break
                yield b


def packed(b, memo):
    """min(len, compressed) per compressor: a block that does not grow is kept as it is."""
    key = hashlib.blake2b(b, digest_size=16).digest()
    if key not in memo:
        memo[key] = compress(b)
    return key, memo[key]


def compress(b):
    z = len(zstandard.ZstdCompressor(level=3).compress(b))
    out = ctypes.create_string_buffer(LZ4.LZ4_compressBound(len(b)))
    l = LZ4.LZ4_compress_default(b, out, len(b), len(out))
    g = len(zlib.compress(b, 6))
    n = len(b)
    return min(z, n), min(l, n), min(g, n)


def level(args):
    files, unit, compress = args
    seen, memo = {}, {}
    units = nbytes = zeros = 0
    sums = [0, 0, 0]
    for b in blocks(files, unit):
        units += 1
        nbytes += len(b)
        if b.count(0) == len(b):
            zeros += 1
        if compress:
            key, p = packed(b, memo)
        else:
            key, p = hashlib.blake2b(b, digest_size=16).digest(), (0, 0, 0)
        for i in range(3):
            sums[i] += p[i]
        if key not in seen:
            seen[key] = p[0]
    out = {"units": units, "bytes": nbytes, "distinct": len(seen), "zero_units": zeros,
           "dedup_ratio": units / len(seen) if seen else None}
    if compress:
        out["compressed_bytes"] = {"zstd": sums[0], "lz4": sums[1], "zlib": sums[2]}
        out["compress"] = {k: nbytes / v if v else None
                           for k, v in out["compressed_bytes"].items()}
        out["stored_bytes"] = sum(seen.values())
    return unit, out


def chunk_level(args):
    files, size = args
    sums, count, nbytes, memo = [0, 0, 0], 0, 0, {}
    for b in blocks(files, size):
        count += 1
        nbytes += len(b)
        p = packed(b, memo)[1]
        for i in range(3):
            sums[i] += p[i]
    names = ("zstd", "lz4", "zlib")
    return {"size": size, "count": count, "compressed_bytes": dict(zip(names, sums)),
            **{n: nbytes / s if s else None for n, s in zip(names, sums)}}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--units", default="4096,8192,16384,32768,65536,131072")
    ap.add_argument("--chunk", type=int, default=1 << 20)
    ap.add_argument("--no-compress", action="store_true", help="dedup only")
    ap.add_argument("paths", nargs="+")
    a = ap.parse_args()
    files, counts = walk(a.paths)
    units = [int(u) for u in a.units.split(",")]
    jobs = [(files, u, not a.no_compress) for u in units]
    with multiprocessing.Pool(min(len(jobs) + 1, os.cpu_count() or 1)) as pool:
        chunk = None if a.no_compress else pool.apply_async(chunk_level, ((files, a.chunk),))
        levels = dict(pool.map(level, jobs))
        chunks = chunk.get() if chunk else None
    total = 0
    for f in files:
        with open(f, "rb") as h:  # a block device's size is where it ends
            total += h.seek(0, os.SEEK_END)
    print(json.dumps({"files": len(files), **counts, "bytes": total,
                      "units": {str(u): levels[u] for u in units}, "chunks": chunks}))


if __name__ == "__main__":
    main()
