#!/usr/bin/env python3
"""Prints a size in bytes as dgen_mpi reads it: K..E and KiB..EiB are powers of 1024, KB..EB of
1000; decimals allowed (1.5GiB). Used by the scaling drivers for strong scaling."""
import re
import sys

m = re.fullmatch(r"\s*([0-9]+(?:\.[0-9]+)?)\s*(?:([kmgtpe])(i?)(b?))?\s*", sys.argv[1], re.I)
if not m or (m.group(3) and not m.group(4)):
    sys.exit(f"--size {sys.argv[1]}: not a size such as 8GiB, 100GB or 4096")
number, prefix, binary, b = m.groups()
power = "kmgtpe".index(prefix.lower()) + 1 if prefix else 0
base = 1000 if (prefix and b and not binary) else 1024
print(int(float(number) * base ** power))
