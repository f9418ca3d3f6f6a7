#!/usr/bin/env bash
# Prints a python3 that has matplotlib (for collect.py's plots): $DGEN_PYTHON, else python3 on
# PATH, else Debian's /usr/bin/python3 (python3-matplotlib); else plain python3 (CSV only).
for p in ${DGEN_PYTHON:-} python3 /usr/bin/python3; do
  if command -v "$p" >/dev/null 2>&1 && "$p" -c 'import matplotlib' >/dev/null 2>&1; then
    echo "$p"
    exit 0
  fi
done
echo python3
