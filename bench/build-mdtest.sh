#!/usr/bin/env bash
# Builds mdtest (and ior) from an IOR source tree (github.com/hpc/ior) with mpicc alone, for the
# comparison in bench/metadata.sh: POSIX and MPI-IO backends, no autotools needed. Never part of
# dgen-mpi's build or tests. Usage: bench/build-mdtest.sh IOR_SOURCE_DIR OUT_DIR
set -euo pipefail
src=$(realpath "$1")/src
out=$(mkdir -p "$2" && realpath "$2")
version=${IOR_VERSION:-$(cd "$src/.." && git describe --always 2>/dev/null || echo unknown)}
cat >"$out/config.h" <<H
#define USE_POSIX_AIORI 1
#define USE_MPIIO_AIORI 1
#define HAVE_STRINGS_H 1
#define HAVE_SYS_PARAM_H 1
#define HAVE_SYS_MOUNT_H 1
#define HAVE_SYS_STATVFS_H 1
#define HAVE_STATVFS 1
#define HAVE_SYS_STATFS_H 1
#define HAVE_SYSCONF 1
#define META_VERSION "$version"
#define PACKAGE_VERSION "$version"
H
common=(ior.c mdtest.c utilities.c parse_options.c ior-output.c option.c md-workbench.c aiori.c
  aiori-DUMMY.c aiori-POSIX.c aiori-MPIIO.c)
cd "$src"
mpicc -O2 -DHAVE_CONFIG_H -I"$out" -I. -o "$out/mdtest" mdtest-main.c "${common[@]}" -lm
mpicc -O2 -DHAVE_CONFIG_H -I"$out" -I. -o "$out/ior" ior-main.c "${common[@]}" -lm
echo "built $out/mdtest and $out/ior ($version)"
