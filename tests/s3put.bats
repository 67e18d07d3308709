#!/usr/bin/env bats
# s3put against a real S3 server (Ceph RGW), checked with the AWS CLI and s3get.
# shellcheck disable=SC2030,SC2031 # each @test runs in a subshell of its own

load lib/common
load lib/s3

P=5242880	# --part-size 5M, S3's smallest

setup_file() {
	s3_start
	s3_bucket bkpipe-s3put
}

teardown_file() {
	s3_stop
}

setup() {
	IN=$BATS_TEST_TMPDIR/in
}

uploads() {
	s3_aws s3api list-multipart-uploads --bucket "$S3_BUCKET" --output json |
		python3 -c 'import json,sys; t=sys.stdin.read().strip(); print(len(json.loads(t).get("Uploads", [])) if t else 0)'
}

@test "round trips of 0 B, 1 B, part size - 1, exactly, + 1 and 3 parts: identical, by s3get and by the AWS CLI" {
	local n
	for n in 0 1 $((P - 1)) $P $((P + 1)) $((3 * P - 7)); do
		head -c "$n" /dev/urandom >"$IN"
		s3put --part-size 5M "s3://$S3_BUCKET/rt-$n" <"$IN"
		s3get "s3://$S3_BUCKET/rt-$n" | cmp - "$IN"
		s3_aws s3 cp --quiet "s3://$S3_BUCKET/rt-$n" - | cmp - "$IN"
	done
	assert_equal "$(uploads)" 0
}

@test "100 MiB in parts of 8 MiB, 4 at once: identical, and what aws s3 cp uploads s3get reads" {
	head -c $((100 * 1048576 + 3)) /dev/urandom >"$IN"
	run -0 --separate-stderr bash -c 's3put -j 4 "$1" <"$2"' _ "s3://$S3_BUCKET/big" "$IN"
	s3_aws s3 cp --quiet "s3://$S3_BUCKET/big" - | cmp - "$IN"
	s3_aws s3 cp --quiet "$IN" "s3://$S3_BUCKET/big-aws"
	s3get "s3://$S3_BUCKET/big-aws" | cmp - "$IN"
}

@test "-v prints the new object's listing line, which s3get reads back" {
	printf 'hello' >"$IN"
	run -0 --separate-stderr s3put -v "s3://$S3_BUCKET/v/hello" <"$IN"
	assert_output --regexp $'^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}Z\t5\ts3://bkpipe-s3put/v/hello$'
	run -0 bash -c 'printf "%s\n" "$1" | s3get' _ "$output"
	assert_output "hello"
}

@test "--if-none-match refuses to overwrite: exit 1, PreconditionFailed, the old object kept" {
	printf 'first' | s3put "s3://$S3_BUCKET/once"
	run -1 --separate-stderr bash -c 'printf "second" | s3put --if-none-match "$1"' _ "s3://$S3_BUCKET/once"
	[[ $stderr == *PreconditionFailed* ]]
	run -0 s3get "s3://$S3_BUCKET/once"
	assert_output "first"
}

@test "--expect-size: input that ends early fails, single part or multipart, and leaves no upload" {
	run -1 --separate-stderr bash -c 'head -c 100 /dev/zero | s3put --expect-size 200 "$1"' _ "s3://$S3_BUCKET/short"
	assert_equal "$stderr" "s3put: s3://$S3_BUCKET/short: standard input ended at 100 bytes, --expect-size 200"
	run -1 --separate-stderr bash -c 'head -c 12000000 /dev/zero | s3put --part-size 5M --expect-size 20M "$1"' _ "s3://$S3_BUCKET/short2"
	[[ $stderr == *"standard input ended at 12000000 bytes, --expect-size 20971520"* ]]
	run --separate-stderr s3_aws s3api head-object --bucket "$S3_BUCKET" --key short2
	assert_failure
	assert_equal "$(uploads)" 0
}

@test "SIGTERM mid-upload aborts the multipart upload: none left, killed by the signal" {
	local fifo=$BATS_TEST_TMPDIR/fifo pid waited=0
	mkfifo "$fifo"
	s3put --part-size 5M "s3://$S3_BUCKET/killed" <"$fifo" &
	pid=$!
	exec 4>"$fifo"
	head -c $((P + 100)) /dev/urandom >&4
	# Wait for the first part to be under way; standard input stays open.
	until [ "$(uploads)" -gt 0 ] || ((waited++ > 50)); do sleep 0.2; done
	kill -TERM "$pid"
	wait "$pid" && status=0 || status=$?
	exec 4>&-
	assert_equal "$status" 143
	assert_equal "$(uploads)" 0
	run --separate-stderr s3_aws s3api head-object --bucket "$S3_BUCKET" --key killed
	assert_failure
}

@test "a failing producer: the pipeline fails under pipefail, and s3put stores what it was given (hence --expect-size)" {
	run -1 bash -c 'set -o pipefail; (head -c 1000 /dev/urandom; exit 1) | s3put "$1"' _ "s3://$S3_BUCKET/producer"
	run -0 s3_aws s3api head-object --bucket "$S3_BUCKET" --key producer --query ContentLength
	assert_output 1000
}

@test "empty input: a warning on stderr, and the 0-byte object is stored" {
	run -0 --separate-stderr s3put "s3://$S3_BUCKET/empty" </dev/null
	assert_equal "$stderr" "s3put: warning: the input was empty: stored a 0-byte object s3://$S3_BUCKET/empty"
	run -0 s3_aws s3api head-object --bucket "$S3_BUCKET" --key empty --query ContentLength
	assert_output 0
	# One byte is not empty: no warning.
	run -0 --separate-stderr bash -c 'printf x | s3put "$1"' _ "s3://$S3_BUCKET/one"
	assert_equal "$stderr" ""
}

@test "--metadata, --content-type and --storage-class that would add header lines: exit 2, nothing stored" {
	local bad
	for bad in $'k=v\r\nx-amz-acl: public-read' $'k=v\nX: 1' $'k=a\x01b' 'a b=v' 'a:b=v' 'a@b=v' \
		$'a\r\nx-amz-acl: public-read\r\nx=v' $'caf\xc3\xa9=v'; do
		run -2 --separate-stderr bash -c 'printf x | s3put --metadata "$1" "$2"' _ "$bad" "s3://$S3_BUCKET/hdr"
		assert_stderr_has "s3put: --metadata "
	done
	run -2 --separate-stderr bash -c 'printf x | s3put --content-type "$1" "$2"' _ $'text/plain\r\nx-amz-acl: public-read' "s3://$S3_BUCKET/hdr"
	assert_stderr_has "a header value cannot hold control bytes"
	run -2 --separate-stderr bash -c 'printf x | s3put --storage-class "$1" "$2"' _ $'STANDARD\nX: 1' "s3://$S3_BUCKET/hdr"
	run --separate-stderr s3_aws s3api head-object --bucket "$S3_BUCKET" --key hdr
	assert_failure
}

@test "a bucket name outside S3's rules (x@host:port#) is refused: exit 2, no request" {
	local b
	for b in 'x@127.0.0.1:1#' 'Upper' 'a_b' 'ab' 'a..b' '192.168.0.1'; do
		run -2 --separate-stderr bash -c 'printf x | AWS_ENDPOINT_URL=http://127.0.0.1:1 s3put "$1"' _ "s3://$b/k"
		assert_stderr_has "a bucket name"
	done
}

@test "a key with .. goes out as written: s3://b/db/../../other/k is that key, nothing else" {
	run -0 bash -c 'printf dots | s3put "$1"' _ "s3://$S3_BUCKET/db/../../other/k"
	run -0 s3_aws s3api list-objects-v2 --bucket "$S3_BUCKET" --prefix db/ --query 'Contents[].Key' --output text
	assert_output "db/../../other/k"
	run --separate-stderr s3_aws s3api head-object --bucket "$S3_BUCKET" --key other/k
	assert_failure
	run -0 s3get "s3://$S3_BUCKET/db/../../other/k"
	assert_output dots
	# A key with NUL would be cut short: refused.
	run -2 --separate-stderr bash -c 'printf x | s3put "$1"' _ "s3://$S3_BUCKET/db/a%00b"
	assert_stderr_has "NUL"
}

@test "--content-type, --storage-class and --metadata reach the object" {
	printf 'x' | s3put --content-type application/gzip --storage-class STANDARD \
		--metadata source=pg_dump --metadata db=main "s3://$S3_BUCKET/meta"
	run -0 s3_aws s3api head-object --bucket "$S3_BUCKET" --key meta --output json
	assert_output --partial '"ContentType": "application/gzip"'
	assert_output --partial '"source": "pg_dump"'
	assert_output --partial '"db": "main"'
}

@test "usage: a part size under 5M, no key, a terminal on stdin: exit 2" {
	run -2 --separate-stderr s3put --part-size 1M "s3://$S3_BUCKET/x" </dev/null
	assert_equal "$stderr" "s3put: --part-size 1M: S3 takes parts from 5M to 5G"
	run -2 --separate-stderr s3put "s3://$S3_BUCKET" </dev/null
	run -2 script -qec "s3put s3://$S3_BUCKET/tty" /dev/null
	assert_output --partial "refusing to read object data from a terminal"
}
