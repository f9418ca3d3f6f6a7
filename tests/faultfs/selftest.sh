#!/usr/bin/env bash
# Self-test for faultfs: builds it into a temp dir, mounts it and exercises
# every fault.  Needs root (or a user allowed to mount FUSE), /dev/fuse,
# libfuse3-dev, fuse3 (fusermount3), pkg-config, gcc, python3.
# Exit status 0 on success.
set -u -o pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
T=$(mktemp -d /tmp/faultfs-selftest.XXXXXX)
BIN=$T/faultfs
BACK=$T/back
MNT=$T/mnt
R=$T/rules
L=$T/log
IMG=
LOOPMNT=
FSPID=
BGPIDS=()
FAILS=0

cleanup() {
	local p
	for p in "${BGPIDS[@]}"; do kill -9 "$p" 2>/dev/null; done
	if mountpoint -q "$MNT" 2>/dev/null; then
		fusermount3 -u "$MNT" 2>/dev/null || umount -l "$MNT" 2>/dev/null
	fi
	if [ -n "$FSPID" ]; then
		kill "$FSPID" 2>/dev/null
		for _ in $(seq 50); do kill -0 "$FSPID" 2>/dev/null || break; sleep 0.1; done
		kill -9 "$FSPID" 2>/dev/null
	fi
	if [ -n "$LOOPMNT" ]; then umount "$LOOPMNT" 2>/dev/null || umount -l "$LOOPMNT"; fi
	rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

pass() { echo "PASS: $*"; }
fail() { echo "FAIL: $*"; FAILS=$((FAILS + 1)); }
check() { local what=$1; shift; if "$@"; then pass "$what"; else fail "$what"; fi; }
die() { echo "FATAL: $*"; exit 1; }

# Replace the rules file atomically (new inode => the daemon always notices).
rules() { printf '%s\n' "$@" > "$R.tmp" && mv -f "$R.tmp" "$R"; }
# wait_log PATTERN [SECONDS]: wait until the fault log has a matching line.
wait_log() {
	local i n=$(( ${2:-5} * 20 ))
	for ((i = 0; i < n; i++)); do grep -q -- "$1" "$L" && return 0; sleep 0.05; done
	return 1
}
# gone PID: true if the process has exited (zombie or reaped).
gone() { local s; s=$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null); [ -z "$s" ] || [ "$s" = Z ]; }
export -f gone
fsize() { stat -c %s "$1"; }

echo "== build"
gcc -std=c11 -O2 -Wall -Wextra -Werror "$HERE/faultfs.c" \
	$(pkg-config --cflags --libs fuse3) -lpthread -o "$BIN" || die "build failed"
mkdir -p "$BACK" "$MNT"

# The backing fs must support O_DIRECT; otherwise use an ext4 image.
# (FAULTFS_SELFTEST_IMG=1 forces the image, to test that path.)
if [ -n "${FAULTFS_SELFTEST_IMG:-}" ] ||
   ! dd if=/dev/zero of="$BACK/.probe" bs=4096 count=1 oflag=direct status=none 2>/dev/null; then
	echo "backing fs ($(findmnt -n -o FSTYPE -T "$BACK")) refuses O_DIRECT (or forced); using an ext4 image"
	IMG=$T/img
	truncate -s 64M "$IMG" && mkfs.ext4 -q "$IMG" || die "mkfs failed"
	mount -o loop "$IMG" "$BACK" || die "loop mount failed"
	LOOPMNT=$BACK
fi
rm -f "$BACK/.probe"
echo "backing fs: $(findmnt -n -o FSTYPE,SOURCE -T "$BACK")"

head -c 4M /dev/urandom > "$T/src"
: > "$R"
: > "$L"

echo "== daemon mode (default) mount/unmount"
"$BIN" "$BACK" "$MNT" || die "daemon-mode mount failed"
check "daemon mode: mounted" mountpoint -q "$MNT"
echo hello > "$MNT/hello"
check "daemon mode: write visible in backing" grep -qx hello "$BACK/hello"
check "daemon mode: fusermount3 -u" fusermount3 -u "$MNT"
check "daemon mode: unmounted" bash -c "! mountpoint -q '$MNT'"
rm -f "$BACK/hello"

echo "== foreground mount"
"$BIN" "$BACK" "$MNT" -f --rules-file "$R" --log "$L" \
	--rule 'path=/cli*,op=write,fault=eacces' 2>"$T/fs.stderr" &
FSPID=$!
for _ in $(seq 100); do mountpoint -q "$MNT" && break; sleep 0.05; done
mountpoint -q "$MNT" || die "foreground mount failed: $(cat "$T/fs.stderr")"

echo "== pass-through"
dd if="$T/src" of="$MNT/pass" bs=1M status=none
check "4 MiB dd bs=1M: backing identical (cmp)" cmp "$T/src" "$BACK/pass"
check "read back through mount identical" cmp "$T/src" "$MNT/pass"
python3 - "$MNT" "$BACK" <<'EOF' && pass "metadata ops (mkdir/rename/NOREPLACE/link/symlink/truncate/chmod/utime/fallocate/SEEK_DATA/unlink-while-open/statvfs/listdir)" || fail "metadata ops"
import ctypes, errno, os, sys
m, b = sys.argv[1], sys.argv[2]
os.mkdir(f"{m}/d"); assert os.path.isdir(f"{b}/d")
open(f"{m}/d/x", "w").write("x"); open(f"{m}/d/y", "w").write("y")
libc = ctypes.CDLL(None, use_errno=True)
AT_FDCWD, RENAME_NOREPLACE = -100, 1
r = libc.renameat2(AT_FDCWD, f"{m}/d/x".encode(), AT_FDCWD, f"{m}/d/y".encode(), RENAME_NOREPLACE)
assert r == -1 and ctypes.get_errno() == errno.EEXIST, (r, ctypes.get_errno())
assert open(f"{b}/d/y").read() == "y"
os.rename(f"{m}/d/x", f"{m}/d/z"); assert open(f"{b}/d/z").read() == "x"
os.link(f"{m}/d/z", f"{m}/d/hl"); assert os.stat(f"{b}/d/z").st_nlink == 2
os.symlink("z", f"{m}/d/sl"); assert os.readlink(f"{m}/d/sl") == "z" and os.readlink(f"{b}/d/sl") == "z"
os.truncate(f"{m}/d/z", 10000); assert os.path.getsize(f"{b}/d/z") == 10000
os.chmod(f"{m}/d/z", 0o640); assert os.stat(f"{b}/d/z").st_mode & 0o777 == 0o640
os.utime(f"{m}/d/z", (1000000000, 1000000000)); assert os.stat(f"{b}/d/z").st_mtime == 1000000000
fd = os.open(f"{m}/d/sparse", os.O_RDWR | os.O_CREAT, 0o644)
os.posix_fallocate(fd, 0, 4096)
os.pwrite(fd, b"D" * 4096, 1 << 20)
assert os.lseek(fd, 8192, os.SEEK_DATA) == 1 << 20   # generic llseek would say 8192
bfd = os.open(f"{b}/d/sparse", os.O_RDONLY)
assert os.lseek(fd, 0, os.SEEK_HOLE) == os.lseek(bfd, 0, os.SEEK_HOLE)
os.close(fd); os.close(bfd)
fd = os.open(f"{m}/d/tmp", os.O_RDWR | os.O_CREAT, 0o644)
os.unlink(f"{m}/d/tmp")
assert os.pwrite(fd, b"abc", 0) == 3 and os.pread(fd, 3, 0) == b"abc" and os.fstat(fd).st_size == 3
os.ftruncate(fd, 1); os.fsync(fd); os.fchmod(fd, 0o600); os.close(fd)
import time
for _ in range(100):  # release (which removes the .fuse_hidden* file) is async
    if not any(n.startswith(".fuse_hidden") for n in os.listdir(f"{b}/d")): break
    time.sleep(0.02)
else: raise AssertionError(os.listdir(f"{b}/d"))
assert sorted(os.listdir(f"{m}/d")) == sorted(os.listdir(f"{b}/d"))
assert os.statvfs(m).f_blocks == os.statvfs(b).f_blocks
for n in os.listdir(f"{m}/d"): os.unlink(f"{m}/d/{n}")
os.rmdir(f"{m}/d"); assert not os.path.exists(f"{b}/d")
EOF

echo "== command-line rule (eacces on write to /cli*)"
python3 - "$MNT" <<'EOF' && pass "--rule eacces: write raises errno 13" || fail "--rule eacces"
import os, sys
fd = os.open(sys.argv[1] + "/cli", os.O_WRONLY | os.O_CREAT, 0o644)
try: os.write(fd, b"x"); sys.exit(1)
except PermissionError as e: assert e.errno == 13
os.close(fd)
EOF

echo "== enospc after 1 MiB"
rules 'path=/enospc*,op=write,fault=enospc,after=1M'
dd if="$T/src" of="$MNT/enospc" bs=1M 2>"$T/dd.err"; rc=$?
check "dd fails" [ $rc -ne 0 ]
check "dd says 'No space left on device'" grep -q "No space left on device" "$T/dd.err"
check "backing file is exactly 1 MiB ($(fsize "$BACK/enospc"))" [ "$(fsize "$BACK/enospc")" = 1048576 ]
check "backing file = first MiB of source" cmp -n 1048576 "$T/src" "$BACK/enospc"
rules 'path=/enospc2*,op=write,fault=enospc,after=1500000'
dd if="$T/src" of="$MNT/enospc2" bs=1M 2>/dev/null
check "enospc after=1500000 (unaligned): backing has exactly 1500000 bytes" [ "$(fsize "$BACK/enospc2")" = 1500000 ]

echo "== eio on fsync"
rules 'path=/fsync*,op=fsync,fault=eio'
python3 - "$MNT" <<'EOF' && pass "os.fsync raises OSError errno 5; other files fsync fine" || fail "eio on fsync"
import os, sys
fd = os.open(sys.argv[1] + "/fsyncme", os.O_WRONLY | os.O_CREAT, 0o644)
os.write(fd, b"data")
try: os.fsync(fd); sys.exit("fsync succeeded")
except OSError as e: assert e.errno == 5, e
os.close(fd)
fd = os.open(sys.argv[1] + "/other", os.O_WRONLY | os.O_CREAT, 0o644)
os.write(fd, b"data"); os.fsync(fd); os.close(fd)
EOF

echo "== short write"
rules 'path=/short*,op=write,fault=short,count=1'
python3 - "$MNT" "$BACK" <<'EOF' && pass "os.pwrite returns 50000 of 100000; backing has 50000 bytes; next write full" || fail "short write"
import os, sys
fd = os.open(sys.argv[1] + "/short", os.O_WRONLY | os.O_CREAT, 0o644)
n = os.pwrite(fd, b"s" * 100000, 0)
assert n == 50000, n
assert os.path.getsize(sys.argv[2] + "/short") == 50000
assert os.pwrite(fd, b"t" * 1000, n) == 1000
os.close(fd)
EOF

echo "== flip on write at offset 12345"
rules 'path=/flipw*,op=write,fault=flip,offset=12345'
dd if="$T/src" of="$MNT/flipw" bs=1M status=none
cmp -l "$T/src" "$BACK/flipw" > "$T/cmp.out"
check "cmp -l shows exactly one differing byte" [ "$(wc -l < "$T/cmp.out")" = 1 ]
check "difference at byte 12346 (1-based), i.e. offset 12345" [ "$(awk '{print $1}' "$T/cmp.out")" = 12346 ]
check "flip logged" wait_log "fault=flip op=write path=/flipw .*at=12345" 1

echo "== flip on read at offset 12345"
rules ''
dd if="$T/src" of="$MNT/flipr" bs=1M status=none
rules 'path=/flipr*,op=read,fault=flip,offset=12345'
cat "$MNT/flipr" > "$T/flipr.out"
cmp -l "$T/src" "$T/flipr.out" > "$T/cmp.out"
check "read through mount differs at exactly one byte (12346)" \
	[ "$(wc -l < "$T/cmp.out")" = 1 -a "$(awk '{print $1}' "$T/cmp.out")" = 12346 ]
check "backing intact" cmp "$T/src" "$BACK/flipr"
check "count=1 default: second read is clean" cmp "$T/src" "$MNT/flipr"

echo "== slow every 2nd write, ms=200"
rules 'path=/slow*,op=write,fault=slow,every=2,ms=200'
t=$(python3 - "$MNT" <<'EOF'
import os, sys, time
fd = os.open(sys.argv[1] + "/slow", os.O_WRONLY | os.O_CREAT, 0o644)
t0 = time.monotonic()
for i in range(6): assert os.pwrite(fd, b"w" * 4096, i * 4096) == 4096
print(f"{time.monotonic() - t0:.3f}")
os.close(fd)
EOF
)
check "6 writes, 3 slowed: took ${t}s (expect 0.55..5)" python3 -c "import sys; sys.exit(not 0.55 <= $t <= 5)"
check "3 slow faults logged" [ "$(grep -c 'fault=slow op=write path=/slow' "$L")" = 3 ]

echo "== hang with ms cap, every/count triggers"
rules 'path=/cap*,op=write,fault=hang,ms=300' 'path=/ec*,op=write,fault=eio,every=2,count=1'
python3 - "$MNT" <<'EOF' && pass "hang ms=300 proceeds after ~0.3 s; every=2,count=1 fails only the 2nd write" || fail "hang cap / every+count"
import errno, os, sys, time
m = sys.argv[1]
fd = os.open(m + "/cap", os.O_WRONLY | os.O_CREAT, 0o644)
t0 = time.monotonic(); assert os.write(fd, b"c" * 10) == 10; dt = time.monotonic() - t0
assert 0.28 <= dt < 5, dt
os.close(fd)
fd = os.open(m + "/ec", os.O_WRONLY | os.O_CREAT, 0o644)
res = []
for i in range(5):
    try: res.append(os.pwrite(fd, b"e", i))
    except OSError as e: res.append(-e.errno)
assert res == [1, -errno.EIO, 1, 1, 1], res
os.close(fd)
EOF

echo "== more errno faults (eacces open, erofs mkdir, eio create/close/unlink/read, enospc rename)"
rules 'path=/ro*,op=open,fault=eacces' 'path=/nodir,op=mkdir,fault=erofs' \
	'path=/newf,op=create,fault=eio' 'path=/closeme,op=close,fault=eio' \
	'path=/keep,op=unlink,fault=eio' 'path=/rn*,op=rename,fault=enospc' \
	'path=/rd,op=read,fault=eio,after=64K'
echo x > "$BACK/ro"; echo k > "$BACK/keep"; echo r > "$BACK/rn1"; head -c 1M "$T/src" > "$BACK/rd"
python3 - "$MNT" <<'EOF' && pass "errno faults" || fail "errno faults"
import errno, os, sys
m = sys.argv[1]
def expect(err, fn, *a):
    try: fn(*a)
    except OSError as e:
        assert e.errno == err, (fn, a, e)
        return
    raise AssertionError(f"{fn} {a} did not fail")
expect(errno.EACCES, open, m + "/ro")
expect(errno.EROFS, os.mkdir, m + "/nodir")
expect(errno.EIO, open, m + "/newf", "w")
fd = os.open(m + "/closeme", os.O_WRONLY | os.O_CREAT, 0o644)
expect(errno.EIO, os.close, fd)
expect(errno.EIO, os.unlink, m + "/keep")
fd = os.open(m + "/keep", os.O_RDONLY)   # unlink of an open file is a rename to
expect(errno.EIO, os.unlink, m + "/keep")  # .fuse_hidden* inside libfuse: still op=unlink
os.close(fd)
expect(errno.ENOSPC, os.rename, m + "/rn1", m + "/rn2")
# buffered reads go through kernel readahead (128K+ requests), so the exact
# point of failure depends on request sizes: read until it fails.
fd = os.open(m + "/rd", os.O_RDONLY)
got = 0
try:
    while os.pread(fd, 65536, got): got += 65536
    raise AssertionError("read never failed")
except OSError as e: assert e.errno == errno.EIO, e
assert 65536 <= got < 1 << 20, got
os.close(fd)
EOF
check "rules not matching pass: rename /keep works" mv "$MNT/keep" "$MNT/kept"

echo "== O_DIRECT"
rules ''
dd if="$T/src" of="$MNT/direct" bs=1M oflag=direct status=none; rc=$?
check "dd oflag=direct succeeds" [ $rc = 0 ]
check "O_DIRECT: backing identical" cmp "$T/src" "$BACK/direct"
dd if="$MNT/direct" of="$T/direct.out" bs=1M iflag=direct status=none
check "dd iflag=direct read back identical" cmp "$T/src" "$T/direct.out"
python3 - "$MNT" <<'EOF' && pass "unaligned O_DIRECT pwrite gets EINVAL (O_DIRECT reaches backing fd)" || fail "O_DIRECT passthrough"
import errno, mmap, os, sys
fd = os.open(sys.argv[1] + "/direct", os.O_RDWR | os.O_DIRECT)
try: os.pwrite(fd, b"z" * 4096, 1); sys.exit("unaligned O_DIRECT write succeeded")
except OSError as e: assert e.errno == errno.EINVAL, e
buf = mmap.mmap(-1, 8192); buf.write(b"a" * 8192)
assert os.pwritev(fd, [buf], 4096) == 8192
os.close(fd)
EOF

echo "== hang on write, released by removing the rule"
rules 'path=/hang1*,op=write,fault=hang'
dd if="$T/src" of="$MNT/hang1" bs=1M status=none 2>"$T/dd1.err" &
DD=$!; BGPIDS+=("$DD")
check "hang started (logged)" wait_log "fault=hang op=write path=/hang1" 5
sleep 0.3
check "writer still blocked" bash -c "! gone $DD"
rules ''
timeout 10 bash -c "while ! gone $DD; do sleep 0.05; done"
wait "$DD"; rc=$?
check "writer finished with rc 0 after rule removal" [ $rc = 0 ]
check "hang1: backing identical" cmp "$T/src" "$BACK/hang1"

echo "== hang on write, writer killed with SIGKILL, then unmount"
rules 'path=/hang2*,op=write,fault=hang'
dd if="$T/src" of="$MNT/hang2" bs=1M status=none 2>/dev/null &
DD=$!; BGPIDS+=("$DD")
check "hang started (logged)" wait_log "fault=hang op=write path=/hang2" 5
exec 3>&2 2>/dev/null   # silence bash's "Killed" job report
t0=$(date +%s.%N)
kill -9 "$DD"
timeout 5 bash -c "while ! gone $DD; do sleep 0.02; done"; rc=$?
t1=$(date +%s.%N)
check "killed writer exited within 5 s ($(awk "BEGIN{printf \"%.2f\", $t1 - $t0}")s)" [ $rc = 0 ]
wait "$DD"; exec 2>&3 3>&-
check "fusermount3 -u succeeds (rule still active)" fusermount3 -u "$MNT"
timeout 5 bash -c "while kill -0 $FSPID 2>/dev/null; do sleep 0.05; done"
check "daemon exited after unmount" bash -c "! kill -0 $FSPID 2>/dev/null"
wait "$FSPID"; FSPID=

echo "== fault log"
cat "$L"
echo
if [ "$FAILS" = 0 ]; then echo "ALL PASSED"; exit 0; fi
echo "$FAILS CHECK(S) FAILED"; exit 1
