# shellcheck shell=bash disable=SC2154 # root, note and die come from the script that sources this
# Sourced by the S3 benchmarks: a throwaway S3 server (tests/lib/s3.bash) of
# the calling script only, in a scratch directory that an exit trap removes
# (kept after a failure, for its logs, or with BENCH_KEEP=1).
#
#   bench_s3_server NAME    sets dir and BKPIPE_S3_STATE; the caller defines
#                           root, note and die, and then calls s3_start.

# shellcheck source=tests/lib/s3.bash
source "$root/tests/lib/s3.bash"

bench_s3_server() {
	bench_name=$1
	[[ -x $S3_AWS ]] || die "$S3_AWS not found (Debian package awscli)"
	command -v radosgw >/dev/null ||
		die "radosgw not found (Debian packages radosgw, ceph-mon, ceph-osd, ceph-common)"
	dir=$(mktemp -d "/tmp/bench-$bench_name.XXXXXX")
	# The server of this script only: never one of a bats run or started by
	# hand. s3.bash records this shell as its owner, so s3_stop stops it.
	export BKPIPE_S3_STATE=$dir/s3
	unset BATS_FILE_TMPDIR
	trap bench_s3_cleanup EXIT
	trap 'exit 130' INT
	trap 'exit 143' TERM
}

bench_s3_cleanup() {
	local rc=$?
	trap - EXIT INT TERM
	s3_stop || { note "$bench_name.sh: could not stop the S3 server in $BKPIPE_S3_STATE"; rc=1; }
	# Kept after a failure, for its logs; not after an interrupt.
	if ((rc != 0 && rc < 128)) || [[ ${BENCH_KEEP:-0} == 1 ]]; then
		note "keeping $dir"
	else
		rm -rf -- "$dir"
	fi
	exit "$rc"
}
