# Sourced by bench/storage.sh and bench/verify.sh: the two file systems they measure on, made
# fresh and removed on exit (also when the benchmark fails).
#   make_targets BYTES: $work/tmpfs, a tmpfs of BYTES; $work/xfs, xfs on a loop device attached
#   with --direct-io=on (so O_DIRECT bypasses the host's page cache) over an image of BYTES.
work=$(mktemp -d /var/tmp/dgen-bench-XXXXXX)
loop=""
cleanup_targets() {
  umount "$work/tmpfs" 2>/dev/null || true
  umount "$work/xfs" 2>/dev/null || true
  if [ -n "$loop" ]; then losetup -d "$loop" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup_targets EXIT
make_targets() {
  mkdir -p "$work/tmpfs" "$work/xfs"
  mount -t tmpfs -o size="$1" tmpfs "$work/tmpfs"
  truncate -s "$1" "$work/xfs.img"
  loop=$(losetup --direct-io=on -f --show "$work/xfs.img")
  mkfs.xfs -q -f "$loop"
  mount "$loop" "$work/xfs"
}
