#!/usr/bin/python3
"""An independent reader of dgen_mpi's HDF5 files (h5py, not the HDF5 engine's code).

read DATASET OUT FILE...: the dataset of each file, in the order given, concatenated into OUT;
    prints one JSON line per file: its dataset's name, dtype, shape and chunk shape (null when
    contiguous).
poke DATASET FILE OFFSET: flips every bit of the dataset's byte at OFFSET, in place.
"""
import json
import sys

import h5py
import numpy


def read(dataset, out, files):
    with open(out, "wb") as sink:
        for path in files:
            with h5py.File(path, "r") as f:
                d = f[dataset]
                sink.write(d[()].tobytes())
                print(json.dumps({"file": path, "name": d.name, "dtype": str(d.dtype),
                                  "shape": list(d.shape),
                                  "chunks": list(d.chunks) if d.chunks else None}))


def poke(dataset, path, offset):
    with h5py.File(path, "r+") as f:
        d = f[dataset]
        d[offset] = numpy.uint8(d[offset] ^ 0xFF)


if __name__ == "__main__":
    if sys.argv[1] == "read":
        read(sys.argv[2], sys.argv[3], sys.argv[4:])
    elif sys.argv[1] == "poke":
        poke(sys.argv[2], sys.argv[3], int(sys.argv[4]))
    else:
        sys.exit("usage: hdf5_read.py read DATASET OUT FILE... | poke DATASET FILE OFFSET")
