# Loaded by every bats suite: assertions, and the directory of fixtures.
# The binaries under test are found on PATH (tests/run puts the fresh build first).
bats_require_minimum_version 1.5.0

BATS_LIB=${BATS_LIB:-/usr/lib/bats}
load "$BATS_LIB/bats-support/load.bash"
load "$BATS_LIB/bats-assert/load.bash"

TESTS_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
export TESTS_DIR
