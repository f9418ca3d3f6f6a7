#!/usr/bin/env bash
# The Debian package: `cpack -G DEB` in the build tree, checked by lintian (no errors allowed),
# unpacked into a scratch root (dpkg -x), and what it installed run from there: the program
# (its bytes against the build's), the man page (man -l, no warnings), the Python module, the
# library through its CMake package (tests/consumer), the docs.
# Usage: deb_package.sh BUILD_DIR [python]   (python: the build has the module; check it too)
set -euo pipefail
build=$(realpath "$1")
with_python=${2:-}
here=$(dirname "$(realpath "$0")")
command -v lintian >/dev/null || {
  echo "lintian is not installed; bash scripts/setup-debian.sh installs it" >&2
  exit 1
}
work=$(mktemp -d /tmp/dgen-deb-XXXXXX)
trap 'rm -rf "$work"' EXIT
(cd "$work" && cpack -G DEB --config "$build/CPackConfig.cmake" -B "$work/out" >/dev/null)
deb=$(ls "$work"/out/dgen-mpi_*_"$(dpkg --print-architecture)".deb)
echo "package: $(basename "$deb")"

# lintian 2.116 (Debian 12): exit status 2 on an error tag (--fail-on error); warnings and the
# info and pedantic tags are printed, not fatal.
if ! lintian --fail-on error --display-info --pedantic "$deb" >"$work/lintian.txt" 2>&1; then
  echo "lintian finds errors in $(basename "$deb"):" >&2
  cat "$work/lintian.txt" >&2
  exit 1
fi
grep -E '^[EWIP]: ' "$work/lintian.txt" || true
echo "lintian: no errors"

depends=$(dpkg-deb -f "$deb" Depends)
for need in libhwy1 libopenmpi3 libhwloc15 libboost-program-options openmpi-bin; do
  grep -q "$need" <<<"$depends" || { echo "Depends lacks $need: $depends" >&2; exit 1; }
done
dpkg-deb -c "$deb" | awk '{print $NF}' >"$work/contents.txt"
for f in ./usr/share/man/man1/dgen_mpi.1.gz ./usr/share/doc/dgen-mpi/copyright \
         ./usr/share/doc/dgen-mpi/changelog.gz; do
  grep -qx -- "$f" "$work/contents.txt" || { echo "dpkg-deb -c lacks $f" >&2; exit 1; }
done
dpkg -x "$deb" "$work/root"
r="$work/root/usr"
# The changelog's latest entry is this version, by the package's maintainer.
version=$(dpkg-deb -f "$deb" Version)
maintainer=$(dpkg-deb -f "$deb" Maintainer)
changelog_version=$(dpkg-parsechangelog -l "$r/share/doc/dgen-mpi/changelog.gz" -S Version)
changelog_by=$(dpkg-parsechangelog -l "$r/share/doc/dgen-mpi/changelog.gz" -S Maintainer)
[ "$changelog_version" = "$version" ] || {
  echo "packaging/debian/changelog's latest entry: $changelog_version; the package: $version" >&2
  exit 1
}
[ "$changelog_by" = "$maintainer" ] || {
  echo "changelog by '$changelog_by', Maintainer '$maintainer'" >&2
  exit 1
}
grep -q "^Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/" \
  "$r/share/doc/dgen-mpi/copyright"
for f in bin/dgen_mpi include/dgen/generator.hpp lib/libdgen.a \
         lib/cmake/dgen/dgenConfig.cmake share/doc/dgen-mpi/README.md \
         share/doc/dgen-mpi/analyze.md ${with_python:+lib/python3/dist-packages/dgen/__init__.py}; do
  [ -e "$r/$f" ] || { echo "missing from the package: /usr/$f" >&2; exit 1; }
done
file "$r/bin/dgen_mpi" | grep -q ", stripped" || { echo "dgen_mpi is not stripped" >&2; exit 1; }

# The stripped program, module and library still work.
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
cmake -S "$here/consumer" -B "$work/consumer" -G Ninja -DCMAKE_PREFIX_PATH="$r" \
  -DCMAKE_FIND_USE_PACKAGE_REGISTRY=OFF >/dev/null
found=$(grep "^dgen_DIR:" "$work/consumer/CMakeCache.txt")
[ "$found" = "dgen_DIR:PATH=$r/lib/cmake/dgen" ] || {
  echo "tests/consumer found another dgen: $found" >&2
  exit 1
}
cmake --build "$work/consumer" >/dev/null
echo "consumer against the package's libdgen.a: $("$work/consumer/consumer")"
echo "the package installs and runs"
