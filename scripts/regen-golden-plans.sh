#!/usr/bin/env bash
# Rewrites tests/golden-plans/*.json from tests/golden-plans/scenarios.txt with the built
# dgen_mpi. Run after a deliberate change of the placement plan or of its JSON form, then review
# the diff (git diff tests/golden-plans) before committing.
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${1:-build/src/dgen_mpi}
grep -v '^\s*#' tests/golden-plans/scenarios.txt | grep -v '^\s*$' | while IFS='|' read -r name args; do
  name=$(echo "$name" | xargs)
  # shellcheck disable=SC2086
  "$bin" --plan $args --format json >"tests/golden-plans/$name.json"
  echo "wrote tests/golden-plans/$name.json"
done
