# Run by bats once per run, around all the suites (bats finds this file next
# to the first .bats file it is given).

load lib/s3

setup_suite() {
	# One S3 server for the run: the first suite that calls s3_start starts
	# it, and it is stopped here at the end.
	s3_share
}

teardown_suite() {
	s3_stop
}
