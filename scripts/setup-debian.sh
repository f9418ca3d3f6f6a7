#!/usr/bin/env bash
# Installs what dgen-mpi needs on Debian 12 that is not there yet. Non-interactive; as root, or
# through sudo. Extra package names on the command line are installed too. With --aarch64 the
# Arm cross build's packages come in the same apt run (scripts/cross-aarch64.sh lists them).
set -euo pipefail

aarch64=0
args=()
for a in "$@"; do
  if [ "$a" = --aarch64 ]; then aarch64=1; else args+=("$a"); fi
done
set -- ${args[@]+"${args[@]}"}

packages=(
  build-essential cmake ninja-build pkg-config git
  libhwy-dev libopenmpi-dev openmpi-bin libhwloc-dev hwloc libnuma-dev numactl
  libboost-program-options-dev nlohmann-json3-dev
  libzstd-dev liblz4-dev zlib1g-dev libxxhash-dev           # generator tests; --analyze
  liburing-dev                                                # --io uring
  libhdf5-openmpi-dev python3-h5py                            # --io hdf5; its tests' reader
  python3-zstandard zstd                                      # the --analyze checker; zstd -3 as reference
  pybind11-dev python3-dev python3-numpy python3-pytest python3-venv python3-setuptools python3-pip  # the Python module
  libgtest-dev libbenchmark-dev
  clang-14 libomp-14-dev libclang-rt-14-dev strace                # sanitizer presets, fuzzers, tests
  qemu-system-x86 linux-image-amd64 busybox-static cpio   # the multi-NUMA guest tests
  slurm-wlm munge python3-matplotlib                      # job scripts, their tests, plots
  e2fsprogs xfsprogs btrfs-progs btrfs-compsize fio util-linux time  # loop file systems, references, peak memory
  man-db file                                                 # the man page's and the cross build's checks
  libfuse3-dev fuse3                                          # tests/faultfs: faults injected for real
  lintian                                                     # the package test (Install.DebianPackage)
  "$@"
)

sudo=""
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || { echo "setup: need root or sudo" >&2; exit 1; }
  sudo="sudo"
fi
if [ "$aarch64" = 1 ]; then
  # shellcheck source=scripts/cross-aarch64-packages.sh
  source "$(dirname "$0")/cross-aarch64-packages.sh"
  packages+=("${aarch64_packages[@]}")
  if ! dpkg --print-foreign-architectures | grep -qx arm64; then
    $sudo dpkg --add-architecture arm64
  fi
fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "setup: all ${#packages[@]} packages present"
  exit 0
fi

echo "setup: installing ${missing[*]}"
$sudo env DEBIAN_FRONTEND=noninteractive apt-get update -qq
# --no-remove: should an arm64 package conflict with a host one, fail rather than remove it.
$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
  --no-remove "${missing[@]}" </dev/null
