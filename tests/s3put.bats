#!/usr/bin/env bats
# s3put against a real S3 server (Ceph RGW), checked with the AWS CLI and s3get.
# shellcheck disable=SC2030,SC2031 # each @test runs in a subshell of its own

load lib/common
load lib/s3
load lib/faultproxy

P=5242880	# --part-size 5M, S3's smallest

setup_file() {
	s3_start
	s3_bucket bkpipe-s3put
	fp_start "$S3_ENDPOINT"
}

teardown_file() {
	fp_stop
	s3_stop
}

setup() {
	IN=$BATS_TEST_TMPDIR/in
}

# The ETag of a multipart upload of FILE in parts of SIZE bytes (the last
# shorter): the MD5 of the parts' MD5s, "-", the number of parts.
layout_etag() {
	python3 -c '
import hashlib, sys
size, md5s = int(sys.argv[2]), []
with open(sys.argv[1], "rb") as f:
    while True:
        b = f.read(size)
        if not b:
            break
        md5s.append(hashlib.md5(b).digest())
print("%s-%d" % (hashlib.md5(b"".join(md5s)).hexdigest(), len(md5s)))' "$1" "$2"
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

@test "100 MiB in parts of 16 MiB, 4 at once: identical, and what aws s3 cp uploads s3get reads" {
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

@test "--if-none-match refuses to overwrite: exit 1, the old object kept" {
	printf 'first' | s3put "s3://$S3_BUCKET/once"
	run -1 --separate-stderr bash -c 'printf "second" | s3put --if-none-match "$1"' _ "s3://$S3_BUCKET/once"
	assert_equal "$stderr" "s3put: s3://$S3_BUCKET/once: the object exists (--if-none-match): nothing was sent"
	run -0 s3get "s3://$S3_BUCKET/once"
	assert_output "first"
	# A new key is written.
	run -0 bash -c 'printf "new" | s3put --if-none-match "$1"' _ "s3://$S3_BUCKET/once-new"
	run -0 s3get "s3://$S3_BUCKET/once-new"
	assert_output "new"
}

@test "--if-none-match protects a multipart upload on a store that ignores the condition at Complete (RGW): refused before a part is sent" {
	head -c $((3 * P)) /dev/urandom >"$IN"
	s3put --part-size 5M "s3://$S3_BUCKET/once-mp" <"$IN"
	fp_clear_log
	run -1 --separate-stderr bash -c 'head -c $((3 * 5242880)) /dev/zero | s3put --part-size 5M --if-none-match --endpoint-url "$1" "$2"' _ "$FP_URL" "s3://$S3_BUCKET/once-mp"
	assert_stderr_has "the object exists (--if-none-match): nothing was sent"
	run -0 cat "$FP_LOG"
	assert_output --regexp '^HEAD /bkpipe-s3put/once-mp - 200$'
	s3get "s3://$S3_BUCKET/once-mp" | cmp - "$IN"
	assert_equal "$(uploads)" 0
}

@test "--if-none-match: a HEAD that fails for another reason than 404 stops the upload with that error" {
	fp_rules '[{"method": "HEAD", "status": 403}]'
	run -1 --separate-stderr bash -c 'printf x | s3put --if-none-match --endpoint-url "$1" "$2"' _ "$FP_URL" "s3://$S3_BUCKET/once-403"
	assert_stderr_has "asking whether the object exists: AccessDenied"
	fp_rules '[]'
	run --separate-stderr s3_aws s3api head-object --bucket "$S3_BUCKET" --key once-403
	assert_failure
}

@test "parts are all of one size: --part-size 5M over 16 MiB is 4 parts, the last shorter (R2 takes nothing else)" {
	head -c $((3 * P + 1000)) /dev/urandom >"$IN"
	run -0 --separate-stderr bash -c 's3put --part-size 5M "$1" <"$2"' _ "s3://$S3_BUCKET/equal" "$IN"
	run -0 s3_aws s3api head-object --bucket "$S3_BUCKET" --key equal --query ETag --output text
	assert_output --regexp '-4"$'
	# The ETag of parts of 5 MiB, computed here from the data: the layout the store holds.
	assert_output "\"$(layout_etag "$IN" "$P")\""
	s3get "s3://$S3_BUCKET/equal" | cmp - "$IN"
}

@test "a stream that outgrows S3's 10,000 parts stops at once, names --size-hint, and aborts the upload" {
	# s3put-3parts is s3put built with the limit at 3 parts.
	run -2 --separate-stderr bash -c 'head -c $((4 * 5242880)) /dev/zero | s3put-3parts --part-size 5M "$1"' _ "s3://$S3_BUCKET/outgrown"
	assert_stderr_has "the input outgrew 3 parts of 5 MiB (S3's limit), at 15728640 bytes: give --size-hint (an estimate of its size) or a larger --part-size"
	assert_equal "$(uploads)" 0
	run --separate-stderr s3_aws s3api head-object --bucket "$S3_BUCKET" --key outgrown
	assert_failure
	# Three parts exactly fit.
	head -c $((3 * P)) /dev/urandom >"$IN"
	run -0 --separate-stderr bash -c 's3put-3parts --part-size 5M "$1" <"$2"' _ "s3://$S3_BUCKET/three" "$IN"
	s3get "s3://$S3_BUCKET/three" | cmp - "$IN"
}

@test "--size-hint and --expect-size choose parts large enough before anything is sent" {
	# With 3 parts at most (s3put-3parts), 50 MiB outgrows the default 16 MiB parts;
	# a 30M hint leaves room for 60 MiB: parts of 20 MiB.
	head -c $((50 * 1048576)) /dev/urandom >"$IN"
	run -2 --separate-stderr bash -c 's3put-3parts "$1" <"$2"' _ "s3://$S3_BUCKET/hinted" "$IN"
	assert_stderr_has "the input outgrew 3 parts of 16 MiB"
	run -0 --separate-stderr bash -c 's3put-3parts --size-hint 30M "$1" <"$2"' _ "s3://$S3_BUCKET/hinted" "$IN"
	s3get "s3://$S3_BUCKET/hinted" | cmp - "$IN"
	run -0 s3_aws s3api head-object --bucket "$S3_BUCKET" --key hinted --query ETag --output text
	assert_output "\"$(layout_etag "$IN" 20971520)\""
	# --expect-size: the smallest whole MiB that fits, 17 MiB.
	run -0 --separate-stderr bash -c 's3put-3parts --expect-size 50M "$1" <"$2"' _ "s3://$S3_BUCKET/expected" "$IN"
	s3get "s3://$S3_BUCKET/expected" | cmp - "$IN"
	run -0 s3_aws s3api head-object --bucket "$S3_BUCKET" --key expected --query ETag --output text
	assert_output "\"$(layout_etag "$IN" 17825792)\""
	assert_equal "$(uploads)" 0
	# An --expect-size that --part-size cannot hold: exit 2, nothing sent.
	fp_clear_log
	run -2 --separate-stderr bash -c 's3put --part-size 5M --expect-size 60G --endpoint-url "$1" "$2" </dev/null' _ "$FP_URL" "s3://$S3_BUCKET/toolarge"
	assert_equal "$stderr" "s3put: s3://$S3_BUCKET/toolarge: --expect-size is more than 10000 parts of 5 MiB (--part-size): give a larger --part-size"
	run -0 cat "$FP_LOG"
	assert_output ""
}

@test "a 200 reply to CompleteMultipartUpload that holds an <Error> is retried as a 500: stored when a retry succeeds, exit 3 and aborted when none does" {
	local err='<?xml version=\"1.0\" encoding=\"UTF-8\"?><Error><Code>InternalError</Code><Message>try again</Message></Error>'
	head -c $((2 * P + 5)) /dev/urandom >"$IN"
	fp_rules "[{\"method\": \"POST\", \"query_contains\": \"uploadId=\", \"times\": 1, \"status\": 200, \"body\": \"$err\"}]"
	run -0 --separate-stderr bash -c 's3put --part-size 5M --endpoint-url "$1" "$2" <"$3"' _ "$FP_URL" "s3://$S3_BUCKET/err200" "$IN"
	s3get "s3://$S3_BUCKET/err200" | cmp - "$IN"
	fp_rules "[{\"method\": \"POST\", \"query_contains\": \"uploadId=\", \"status\": 200, \"body\": \"$err\"}]"
	AWS_MAX_ATTEMPTS=2 run -3 --separate-stderr bash -c 's3put --part-size 5M --endpoint-url "$1" "$2" <"$3"' _ "$FP_URL" "s3://$S3_BUCKET/err200-always" "$IN"
	fp_rules '[]'
	assert_stderr_has "InternalError: try again"
	assert_equal "$(uploads)" 0
	run --separate-stderr s3_aws s3api head-object --bucket "$S3_BUCKET" --key err200-always
	assert_failure
}

@test "CompleteMultipartUpload's ETag without quotes (Ceph 18.2, 19.2) is accepted" {
	head -c $((2 * P + 5)) /dev/urandom >"$IN"
	fp_rules '[{"method": "POST", "query_contains": "uploadId=", "forward": true, "replace_body": [["<ETag>&quot;([0-9a-f]+-[0-9]+)&quot;</ETag>", "<ETag>\\1</ETag>"]], "regex": true}]'
	run -0 --separate-stderr bash -c 's3put --part-size 5M --endpoint-url "$1" "$2" <"$3"' _ "$FP_URL" "s3://$S3_BUCKET/bare-etag" "$IN"
	fp_rules '[]'
	s3get "s3://$S3_BUCKET/bare-etag" | cmp - "$IN"
}

@test "a PUT's Content-Type is application/octet-stream unless --content-type, single part and multipart" {
	printf 'x' | s3put "s3://$S3_BUCKET/ctype-1"
	head -c $((P + 1)) /dev/zero | s3put --part-size 5M "s3://$S3_BUCKET/ctype-mp"
	local k
	for k in ctype-1 ctype-mp; do
		run -0 s3_aws s3api head-object --bucket "$S3_BUCKET" --key "$k" --query ContentType --output text
		assert_output application/octet-stream
	done
	head -c $((P + 1)) /dev/zero | s3put --part-size 5M --content-type application/gzip "s3://$S3_BUCKET/ctype-gz"
	run -0 s3_aws s3api head-object --bucket "$S3_BUCKET" --key ctype-gz --query ContentType --output text
	assert_output application/gzip
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

@test "s3put FILE URL (the AWS CLI habit) says that s3put reads standard input: exit 2, nothing stored" {
	printf 'x' >"$IN"
	run -2 --separate-stderr s3put "$IN" "s3://$S3_BUCKET/habit"
	assert_equal "$stderr" "s3put: s3put reads standard input: s3put s3://$S3_BUCKET/habit < $IN"
	run --separate-stderr s3_aws s3api head-object --bucket "$S3_BUCKET" --key habit
	assert_failure
}

@test "usage: a part size under 5M, no key, a terminal on stdin: exit 2" {
	run -2 --separate-stderr s3put --part-size 1M "s3://$S3_BUCKET/x" </dev/null
	assert_equal "$stderr" "s3put: --part-size 1M: parts are 5M to 5000M (S3 takes up to 5G, R2 up to 4.995 GiB)"
	run -2 --separate-stderr s3put --part-size 5001M "s3://$S3_BUCKET/x" </dev/null
	assert_stderr_has "parts are 5M to 5000M"
	run -2 --separate-stderr s3put "s3://$S3_BUCKET" </dev/null
	run -2 script -qec "s3put s3://$S3_BUCKET/tty" /dev/null
	assert_output --partial "refusing to read object data from a terminal"
}
