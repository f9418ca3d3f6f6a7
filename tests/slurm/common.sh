# Shared by cluster.sh and multinode.sh (sourced): bounded waits and munged.

# wait_for SECONDS DESCRIPTION COMMAND...: polls COMMAND until it succeeds, or says what timed out.
wait_for() {
  local limit=$1 what=$2
  shift 2
  local end=$((SECONDS + limit))
  until "$@" >/dev/null 2>&1; do
    if [ $SECONDS -ge $end ]; then
      echo "$(basename "$0"): timed out after ${limit}s waiting for $what" >&2
      return 1
    fi
    sleep 0.2
  done
}

# start_munged DIR: a munged with its own key, socket (DIR/munge/munge.socket) and logs, in the
# foreground under setsid; its pid in DIR/run/munged.launcher.pid.
start_munged() {
  local dir=$1
  mkdir -p "$dir"/{munge,log,run}
  chmod 755 "$dir" "$dir/munge"  # munged insists: its socket directory not writable by others
  dd if=/dev/urandom of="$dir/munge/munge.key" bs=1024 count=1 status=none
  chmod 400 "$dir/munge/munge.key"
  setsid munged --foreground --force --key-file="$dir/munge/munge.key" \
    --socket="$dir/munge/munge.socket" --pid-file="$dir/run/munged.pid" \
    --log-file="$dir/log/munged.log" --seed-file="$dir/munge/seed" \
    >"$dir/log/munged.out" 2>&1 </dev/null &
  echo $! >"$dir/run/munged.launcher.pid"
  wait_for 10 "munged's socket" test -S "$dir/munge/munge.socket"
}
