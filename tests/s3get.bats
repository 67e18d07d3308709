#!/usr/bin/env bats
# s3get against a real S3 server (Ceph RGW), through the fault proxy where
# the server has to misbehave.
# shellcheck disable=SC2030,SC2031 # each @test runs in a subshell of its own

load lib/common
load lib/s3
load lib/faultproxy

PART=1048576	# --part-size 1M in the tests, so that a few MiB make many parts

setup_file() {
	s3_start
	s3_bucket bkpipe-s3get
	local d=$BATS_FILE_TMPDIR n
	for n in 0 1 $((PART - 1)) $PART $((PART + 1)); do
		head -c "$n" /dev/urandom >"$d/obj-$n"
		s3_aws s3api put-object --bucket "$S3_BUCKET" --key "obj-$n" --body "$d/obj-$n" >/dev/null
	done
	head -c $((100 * 1048576 + 12345)) /dev/urandom >"$d/big"
	s3_aws s3 cp --quiet "$d/big" "s3://$S3_BUCKET/big"
	head -c $((3 * PART + 7)) /dev/urandom >"$d/single"
	s3_aws s3api put-object --bucket "$S3_BUCKET" --key "single" --body "$d/single" >/dev/null
	printf 'odd' >"$d/odd"
	s3_aws s3api put-object --bucket "$S3_BUCKET" --key $'odd/new\nline 100%' --body "$d/odd" >/dev/null
}

# A test that starts the fault proxy stops it: a test's variables do not
# reach teardown_file.
teardown() {
	fp_stop
}

teardown_file() {
	s3_stop
}

setup() {
	D=$BATS_FILE_TMPDIR
	OUT=$BATS_TEST_TMPDIR/out
}

@test "round trips of 0 B, 1 B and part size - 1, exactly, + 1: byte-identical" {
	local n
	for n in 0 1 $((PART - 1)) $PART $((PART + 1)); do
		s3get --part-size 1M "s3://$S3_BUCKET/obj-$n" >"$OUT"
		cmp "$OUT" "$D/obj-$n"
	done
}

@test "100 MiB with -j 1, 4 and 8: byte-identical, same sha256 as the AWS CLI's copy" {
	local j want
	want=$(s3_aws s3 cp --quiet "s3://$S3_BUCKET/big" - | sha256sum)
	assert_equal "$want" "$(sha256sum <"$D/big")"
	for j in 1 4 8; do
		run -0 --separate-stderr bash -c 's3get -j "$1" "$2" | sha256sum' _ "$j" "s3://$S3_BUCKET/big"
		assert_output "$want"
	done
}

@test "a single-part object is checked against its ETag's MD5, in parts too" {
	run -0 --separate-stderr bash -c 's3get -j 3 --part-size 1M "$1" | cmp - "$2"' _ "s3://$S3_BUCKET/single" "$D/single"
}

@test "URLs from standard input: s3ls lines and bare URLs, keys with a newline and %" {
	run -0 --separate-stderr bash -c 's3ls -r "$1" | s3get' _ "s3://$S3_BUCKET/odd/"
	assert_output "odd"
	run -0 --separate-stderr bash -c 'printf "%s\n\n" "$1" | s3get' _ "s3://$S3_BUCKET/odd/new%0Aline%20100%25"
	assert_output "odd"
}

@test "a line that is not a URL or a listing line: exit 2 naming the line" {
	run -2 --separate-stderr bash -c 'printf "s3://%s/obj-1\nnonsense\n" "$1" | s3get >/dev/null' _ "$S3_BUCKET"
	assert_equal "$stderr" "s3get: stdin line 2: expected an s3:// URL or a listing line"
}

@test "a missing key: exit 1, NoSuchKey with its hint, nothing written" {
	run -1 --separate-stderr s3get "s3://$S3_BUCKET/no-such-key"
	assert_output ""
	[[ $stderr == "s3get: s3://$S3_BUCKET/no-such-key: NoSuchKey"*"(hint: list what is there with s3ls)" ]]
}

@test "-o writes the file only once verified, and leaves nothing on failure" {
	run -0 --separate-stderr s3get -o "$OUT" "s3://$S3_BUCKET/obj-$PART"
	cmp "$OUT" "$D/obj-$PART"
	rm -f "$OUT"
	run -1 --separate-stderr s3get -o "$OUT" "s3://$S3_BUCKET/obj-1" "s3://$S3_BUCKET/no-such-key"
	[ ! -e "$OUT" ]
	run ls "$BATS_TEST_TMPDIR"
	refute_output --partial "s3get-"
}

@test "refuses to write object data to a terminal" {
	run -2 script -qec "s3get s3://$S3_BUCKET/obj-1" /dev/null
	assert_output --partial "refusing to write object data to a terminal"
}

@test "| head -c 1 ends quietly with status 0" {
	run -0 bash -c 's3get "$1" | head -c 1 >/dev/null; echo "status ${PIPESTATUS[0]}"' _ "s3://$S3_BUCKET/big"
	assert_output "status 0"
}

@test "--presign: the URL works with curl and with s3get, and hides nothing it should not" {
	run -0 --separate-stderr s3get --presign 1h "s3://$S3_BUCKET/obj-$PART"
	local url=$output
	[[ $url == "$S3_ENDPOINT/$S3_BUCKET/obj-$PART?X-Amz-Algorithm=AWS4-HMAC-SHA256&"*"X-Amz-Expires=3600&"*"X-Amz-Signature="* ]]
	curl -sf "$url" | cmp - "$D/obj-$PART"
	env -u AWS_ACCESS_KEY_ID -u AWS_SECRET_ACCESS_KEY s3get --no-sign-request "$url" | cmp - "$D/obj-$PART"
	run -2 --separate-stderr s3get --presign 8d "s3://$S3_BUCKET/obj-1"
}

@test "a presigned URL: the ETag's MD5 is checked, a changed byte is exit 1" {
	fp_start "$S3_ENDPOINT"
	run -0 --separate-stderr s3get --endpoint-url "$FP_URL" --presign 1h "s3://$S3_BUCKET/single"
	local url=$output
	fp_rules '[{"method": "GET", "path_prefix": "/bkpipe-s3get/single", "forward": true, "corrupt_byte_at": 1000}]'
	run -1 --separate-stderr bash -c 's3get -j 1 --part-size 64M "$1" >/dev/null' _ "$url"
	[[ $stderr == *"md5 mismatch with the ETag"* ]]
	fp_rules '[]'
	run -0 --separate-stderr bash -c 's3get -j 1 --part-size 64M "$1" | cmp - "$2"' _ "$url" "$D/single"
}

@test "a presigned URL of an empty object gives nothing, exit 0" {
	s3_aws s3api put-object --bucket "$S3_BUCKET" --key empty-presigned >/dev/null
	run -0 --separate-stderr s3get --presign 1h "s3://$S3_BUCKET/empty-presigned"
	run -0 --separate-stderr bash -c 's3get "$1" | wc -c' _ "$output"
	assert_output 0
}

@test "a connection reset mid-body resumes from the last byte: identical output" {
	fp_start "$S3_ENDPOINT"
	fp_rules '[{"method": "GET", "path_prefix": "/bkpipe-s3get/single", "times": 2, "forward": true, "cut_body_after": 300000}]'
	run -0 --separate-stderr bash -c 's3get -v -j 1 --endpoint-url "$1" "$2" | cmp - "$3"' _ "$FP_URL" "s3://$S3_BUCKET/single" "$D/single"
	[[ $stderr == *"resuming at byte 300000"* ]]
	[[ $stderr == *"resuming at byte 600000"* ]]
}

@test "a stall past --read-timeout is cut and retried: identical output" {
	fp_start "$S3_ENDPOINT"
	fp_rules '[{"method": "GET", "header": "Range", "times": 1, "stall": 6}]'
	SECONDS=0
	run -0 --separate-stderr bash -c 's3get -j 2 --part-size 1M --read-timeout 2 --endpoint-url "$1" "$2" | cmp - "$3"' _ "$FP_URL" "s3://$S3_BUCKET/single" "$D/single"
	((SECONDS < 6))
	assert_equal "$(grep -c ' stall$' "$FP_LOG")" 1
}

@test "RequestTimeTooSkewed on the first HEAD: signed again with the server's clock, identical output" {
	local date
	date=$(LC_ALL=C date -u '+%a, %d %b %Y %H:%M:%S GMT')
	fp_start "$S3_ENDPOINT"
	fp_rules "[{\"method\": \"HEAD\", \"times\": 1, \"status\": 403, \"headers\": {\"Date\": \"$date\"}},
		{\"method\": \"GET\", \"header\": \"Range\", \"times\": 1, \"status\": 403, \"headers\": {\"Date\": \"$date\"},
		\"body\": \"<Error><Code>RequestTimeTooSkewed</Code><Message>The difference between the request time and the current time is too large.</Message></Error>\"}]"
	run -0 --separate-stderr bash -c 's3get -v -j 1 --endpoint-url "$1" "$2" | cmp - "$3"' _ "$FP_URL" "s3://$S3_BUCKET/single" "$D/single"
	[[ $stderr == *"signing with its time"* ]]
	assert_equal "$(grep -c ' 403$' "$FP_LOG")" 2
}

@test "a full disk: exit 1 and the reason, with one stream and with parts" {
	run -1 --separate-stderr bash -c 's3get -j 1 "$1" >/dev/full' _ "s3://$S3_BUCKET/single"
	[[ $stderr == *"write error on the output: No space left on device"* ]]
	run -1 --separate-stderr bash -c 's3get -j 4 --part-size 1M "$1" >/dev/full' _ "s3://$S3_BUCKET/big"
	[[ $stderr == *"write error on the output: No space left on device"* ]]
}

@test "503 SlowDown on some parts: retried, identical output" {
	fp_start "$S3_ENDPOINT"
	fp_rules '[{"method": "GET", "header": "Range", "times": 3, "status": 503,
		"body": "<Error><Code>SlowDown</Code><Message>Please reduce your request rate.</Message></Error>"}]'
	run -0 --separate-stderr bash -c 's3get -j 4 --part-size 1M --endpoint-url "$1" "$2" | cmp - "$3"' _ "$FP_URL" "s3://$S3_BUCKET/single" "$D/single"
	assert_equal "$(grep -c ' 503$' "$FP_LOG")" 3
}

@test "a part cut short, several times: resumed each time, identical output" {
	fp_start "$S3_ENDPOINT"
	fp_rules '[{"method": "GET", "header": "Range", "times": 4, "forward": true, "cut_body_after": 1000}]'
	run -0 --separate-stderr bash -c 's3get -j 2 --part-size 1M --endpoint-url "$1" "$2" | cmp - "$3"' _ "$FP_URL" "s3://$S3_BUCKET/single" "$D/single"
}

@test "a flipped byte in the served body: exit 1, md5 mismatch with the ETag" {
	fp_start "$S3_ENDPOINT"
	fp_rules '[{"method": "GET", "forward": true, "corrupt_byte_at": 12345}]'
	run -1 --separate-stderr bash -c 'set -o pipefail; s3get -j 1 --endpoint-url "$1" "$2" | wc -c' _ "$FP_URL" "s3://$S3_BUCKET/single"
	[[ $stderr == *"s3://$S3_BUCKET/single: md5 mismatch with the ETag"* ]]
}

@test "x-amz-checksum-crc32, -crc32c and -sha256 are checked when the object has them" {
	local sums crc32 crc32c sha256
	sums=$(python3 -c '
import base64, hashlib, sys, zlib
d = open(sys.argv[1], "rb").read()
c = 0xFFFFFFFF
for b in d:
    c ^= b
    for _ in range(8):
        c = (c >> 1) ^ (0x82F63B78 if c & 1 else 0)
c ^= 0xFFFFFFFF
b64 = lambda x: base64.b64encode(x).decode()
print(b64(zlib.crc32(d).to_bytes(4, "big")), b64(c.to_bytes(4, "big")), b64(hashlib.sha256(d).digest()))
' "$D/obj-$((PART - 1))")
	read -r crc32 crc32c sha256 <<<"$sums"
	fp_start "$S3_ENDPOINT"
	fp_rules "[{\"method\": \"HEAD\", \"forward\": true, \"set_headers\": {\"x-amz-checksum-crc32\": \"$crc32\",
		\"x-amz-checksum-crc32c\": \"$crc32c\", \"x-amz-checksum-sha256\": \"$sha256\"}}]"
	run -0 --separate-stderr bash -c 's3get --endpoint-url "$1" "$2" | cmp - "$3"' _ "$FP_URL" "s3://$S3_BUCKET/obj-$((PART - 1))" "$D/obj-$((PART - 1))"
	local kind
	for kind in crc32 crc32c sha256; do
		fp_rules "[{\"method\": \"HEAD\", \"forward\": true, \"set_headers\": {\"x-amz-checksum-$kind\": \"$([[ $kind == sha256 ]] && echo 47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU= || echo AAAAAA==)\"}}]"
		run -1 --separate-stderr bash -c 's3get --endpoint-url "$1" "$2" >/dev/null' _ "$FP_URL" "s3://$S3_BUCKET/obj-$((PART - 1))"
		[[ $stderr == *"$kind mismatch with x-amz-checksum-$kind"* ]]
	done
	# A checksum header that is not one is an error, not a pass.
	fp_rules '[{"method": "HEAD", "forward": true, "set_headers": {"x-amz-checksum-sha256": "not*base64*"}}]'
	run -1 --separate-stderr bash -c 's3get --endpoint-url "$1" "$2" >/dev/null' _ "$FP_URL" "s3://$S3_BUCKET/obj-$((PART - 1))"
	[[ $stderr == *"malformed x-amz-checksum-sha256"* ]]
	# A composite checksum (of parts, "...-3") is not a whole-object one: not checked.
	fp_rules '[{"method": "HEAD", "forward": true, "set_headers": {"x-amz-checksum-crc32": "AAAAAA==-3", "x-amz-checksum-type": "COMPOSITE"}}]'
	run -0 --separate-stderr bash -c 's3get --endpoint-url "$1" "$2" >/dev/null' _ "$FP_URL" "s3://$S3_BUCKET/obj-$((PART - 1))"
}

@test "an object replaced during the download: exit 1, never spliced" {
	fp_start "$S3_ENDPOINT"
	fp_rules '[{"method": "GET", "header": "Range", "times": 1, "stall": 2}]'
	s3get -j 2 --part-size 1M --endpoint-url "$FP_URL" "s3://$S3_BUCKET/single" >"$OUT" 2>"$BATS_TEST_TMPDIR/err" &
	local pid=$!
	sleep 0.5
	s3_aws s3api put-object --bucket "$S3_BUCKET" --key single --body "$D/obj-1" >/dev/null
	wait "$pid" && status=0 || status=$?
	s3_aws s3api put-object --bucket "$S3_BUCKET" --key single --body "$D/single" >/dev/null
	assert_equal "$status" 1
	run cat "$BATS_TEST_TMPDIR/err"
	assert_output --partial "object changed during download"
	[ "$(stat -c %s "$OUT")" -lt "$(stat -c %s "$D/single")" ]
}

@test "the server ignoring Range is refused, not spliced" {
	fp_start "$S3_ENDPOINT"
	fp_rules '[{"method": "GET", "header": "Range", "forward": true, "drop_headers": ["Content-Range"], "status": 200}]'
	run -1 --separate-stderr bash -c 's3get -j 2 --part-size 1M --endpoint-url "$1" "$2" >/dev/null' _ "$FP_URL" "s3://$S3_BUCKET/single"
	[[ $stderr == *"the server ignored the Range header"* ]]
}

@test "usage errors exit 2" {
	run -2 --separate-stderr s3get -j 0 "s3://$S3_BUCKET/obj-1"
	run -2 --separate-stderr s3get "s3://$S3_BUCKET"
	run -2 --separate-stderr s3get --part-size 0 "s3://$S3_BUCKET/obj-1"
	run -0 s3get --help
	assert_line --index 0 "Usage: s3get [options] [URL...]"
}
