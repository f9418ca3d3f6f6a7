#!/usr/bin/env bash
# Builds an initramfs (uncompressed cpio) holding busybox, dgen_mpi, Open MPI's launcher and
# plugins, numactl and every shared library they load, plus the guest's /init script.
#   make-initramfs.sh DGEN_MPI_BINARY GUEST_SCRIPT OUTPUT.cpio
set -euo pipefail
binary=$1
script=$2
out=$3
root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT

copy() {  # copy a file to the same path under $root, following symlinks
  local f
  for f in "$@"; do
    [ -e "$f" ] || continue
    mkdir -p "$root$(dirname "$f")"
    cp -L "$f" "$root$f"
  done
}
copy_with_libs() {  # files and the shared libraries ldd says they need
  local f lib
  for f in "$@"; do
    copy "$f"
    for lib in $(ldd "$f" 2>/dev/null | awk '/=> \//{print $3} /^\t\//{print $1}'); do
      [ -e "$root$lib" ] || copy "$lib"
    done
  done
}

ompi=/usr/lib/x86_64-linux-gnu/openmpi
pmix=/usr/lib/x86_64-linux-gnu/pmix2
copy_with_libs /bin/busybox "$binary" "$(readlink -f /usr/bin/orterun)" /usr/bin/orted /usr/bin/numactl \
  /usr/bin/lstopo-no-graphics
copy_with_libs $(find "$ompi/lib/openmpi3" "$pmix/lib/pmix" -name '*.so' 2>/dev/null)
copy /lib64/ld-linux-x86-64.so.2
mkdir -p "$root/usr/share" "$root/etc" "$root/bin" "$root/usr/bin"
cp -r /usr/share/openmpi "$root/usr/share/"
[ -d "$pmix/share" ] && { mkdir -p "$root$pmix"; cp -r "$pmix/share" "$root$pmix/"; }
cp -r /etc/openmpi "$root/etc/"
ln -sf "$(readlink -f /usr/bin/orterun)" "$root/usr/bin/mpirun"
echo 'root:x:0:0:root:/root:/bin/sh' >"$root/etc/passwd"
echo 'root:x:0:' >"$root/etc/group"
printf '127.0.0.1 localhost guest\n' >"$root/etc/hosts"
mkdir -p "$root/bin/dgen" "$root/root" "$root/tmp" "$root/proc" "$root/sys" "$root/dev"
cp -L "$binary" "$root/bin/dgen/dgen_mpi"
install -m 755 "$script" "$root/init"
(cd "$root" && find . | cpio -o -H newc --quiet) >"$out"
