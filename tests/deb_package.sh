#!/usr/bin/env bash
# The Debian package: `cpack -G DEB` in the build tree, unpacked into a scratch root (dpkg -x),
# and what it installed run from there: the program (its bytes against the build's), the man
# page (man -l, no warnings), the Python module, the CMake package's files, the docs.
# Usage: deb_package.sh BUILD_DIR [python]   (python: the build has the module; check it too)
set -euo pipefail
build=$(realpath "$1")
with_python=${2:-}
work=$(mktemp -d /tmp/dgen-deb-XXXXXX)
trap 'rm -rf "$work"' EXIT
(cd "$work" && cpack -G DEB --config "$build/CPackConfig.cmake" -B "$work/out" >/dev/null)
deb=$(ls "$work"/out/dgen-mpi_*_"$(dpkg --print-architecture)".deb)
echo "package: $(basename "$deb")"
depends=$(dpkg-deb -f "$deb" Depends)
for need in libhwy1 libopenmpi3 libhwloc15 libboost-program-options openmpi-bin; do
  grep -q "$need" <<<"$depends" || { echo "Depends lacks $need: $depends" >&2; exit 1; }
done
dpkg -x "$deb" "$work/root"
r="$work/root/usr"
for f in bin/dgen_mpi share/man/man1/dgen_mpi.1.gz include/dgen/generator.hpp \
         lib/cmake/dgen/dgenConfig.cmake share/doc/dgen-mpi/README.md \
         share/doc/dgen-mpi/analyze.md ${with_python:+lib/python3/dist-packages/dgen/__init__.py}; do
  [ -e "$r/$f" ] || { echo "missing from the package: /usr/$f" >&2; exit 1; }
done
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
"$r/bin/dgen_mpi" --version
"$r/bin/dgen_mpi" --size 3MiB --dedup-ratio 2 --compress-ratio 2 --output - 2>/dev/null >"$work/a.bin"
"$build/src/dgen_mpi" --size 3MiB --dedup-ratio 2 --compress-ratio 2 --output - 2>/dev/null >"$work/b.bin"
cmp "$work/a.bin" "$work/b.bin"
warnings=$(MANPAGER=cat MANWIDTH=80 man --warnings -l "$r/share/man/man1/dgen_mpi.1.gz" 2>&1 >"$work/man.txt")
[ -z "$warnings" ] || { echo "man -l warns: $warnings" >&2; exit 1; }
grep -q -- "--analyze-units" "$work/man.txt"
[ -z "$with_python" ] || PYTHONPATH="$r/lib/python3/dist-packages" /usr/bin/python3 - "$work/a.bin" <<'PY'
import sys
import dgen
assert "/lib/python3/dist-packages/dgen/" in dgen.__file__, dgen.__file__
want = open(sys.argv[1], "rb").read()
assert dgen.Generator(dedup_ratio=2, compress_ratio=2).generate(0, len(want)) == want
print("python module from the package: same bytes")
PY
echo "the package installs and runs"
