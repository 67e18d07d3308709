# Loaded by every bats suite: assertions, and the directory of fixtures.
# The binaries under test are found on PATH (tests/run puts the fresh build first).
bats_require_minimum_version 1.5.0

BATS_LIB=${BATS_LIB:-/usr/lib/bats}
load "$BATS_LIB/bats-support/load.bash"
load "$BATS_LIB/bats-assert/load.bash"

TESTS_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
export TESTS_DIR

# assert_status N: run's exit status is N; says what stderr held when not.
assert_status() {
	[ "$status" -eq "$1" ] || fail "exit status $status, expected $1
stderr: $stderr"
}

# refute_stderr_has TEXT: stderr (of run --separate-stderr) does not contain TEXT.
refute_stderr_has() {
	[[ $stderr != *"$1"* ]] || fail "stderr contains: $1
stderr: $stderr"
}

# assert_stderr_has TEXT: stderr (of run --separate-stderr) contains TEXT.
assert_stderr_has() {
	[[ $stderr == *"$1"* ]] || fail "stderr does not contain: $1
stderr: $stderr"
}
