#!/usr/bin/env bash
# The documented pip path (docs/python.md): a virtual environment over Debian's packages,
# `pip install --no-build-isolation` of the source tree (no network), then the installed
# module's bytes against dgen_mpi's. Usage: venv_install.sh SOURCE_DIR DGEN_MPI
set -euo pipefail
src=$1 bin=$2
work=$(mktemp -d /tmp/dgen-venv-XXXXXX)
trap 'rm -rf "$work"' EXIT
/usr/bin/python3 -m venv --system-site-packages "$work/venv"
# pip builds in the tree (build-python/): a copy of the checkout's files keeps it clean.
mkdir -p "$work/src"
(cd "$src" && git ls-files -z --cached --others --exclude-standard | tar --null -T - -cf -) |
  tar -C "$work/src" -xf -
PIP_NO_INDEX=1 "$work/venv/bin/pip" install -q --no-build-isolation "$work/src"
cd "$work"
"$work/venv/bin/python" - "$bin" <<'PY'
import subprocess, sys
import dgen
assert dgen.__file__.startswith(sys.prefix), dgen.__file__  # the venv's copy, not the build's
want = subprocess.run([sys.argv[1], "--size", "1MiB", "--seed", "5", "--dedup-ratio", "2",
                       "--output", "-"], check=True, stdout=subprocess.PIPE,
                      stderr=subprocess.DEVNULL).stdout
got = dgen.Generator(seed=5, dedup_ratio=2).generate(0, 1 << 20)
assert got == want, "the installed module's bytes differ from dgen_mpi's"
print("venv install ok:", dgen.__file__, dgen.__version__)
PY
