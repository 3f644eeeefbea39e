#!/usr/bin/env bash
# The one test command: installs what the tests need, then runs every test of the workspace.
set -euo pipefail
cd "$(dirname "$0")/.."
export VIGIL_TEST_DATA="${VIGIL_TEST_DATA:-$(cd .. && pwd)/shared/data}"
if [ ! -d "$VIGIL_TEST_DATA/loghub" ]; then
  echo "test data not found at $VIGIL_TEST_DATA (set VIGIL_TEST_DATA)" >&2
  exit 1
fi
cargo test --workspace --locked
