#!/usr/bin/env bats
# s3rm against a real S3 server (Ceph RGW), checked with the AWS CLI.
# shellcheck disable=SC2030,SC2031 # each @test runs in a subshell of its own

load lib/common
load lib/s3

setup_file() {
	s3_start
	s3_bucket bkpipe-s3rm
}

teardown_file() {
	s3_stop
}

put() {
	printf 'x' >"$BATS_TEST_TMPDIR/x"
	s3_aws s3api put-object --bucket "$S3_BUCKET" --key "$1" --body "$BATS_TEST_TMPDIR/x" >/dev/null
}

keys() {
	s3_aws s3api list-objects-v2 --bucket "$S3_BUCKET" --prefix "$1" --output json |
		python3 -c '
import json, sys
text = sys.stdin.read().strip()
for o in (json.loads(text) if text else {}).get("Contents", []):
    print(repr(o["Key"]))'
}

@test "2500 keys with awkward names, from s3ls: all deleted, and nothing else" {
	local d=$BATS_TEST_TMPDIR/many i k
	mkdir -p "$d"
	for ((i = 0; i < 2500; i++)); do : >"$d/$(printf 'k%04d' "$i")"; done
	s3_aws s3 cp --recursive --quiet "$d" "s3://$S3_BUCKET/many/"
	for k in $'many/new\nline' $'many/tab\t' 'many/100%' 'many/a b+c' 'many/é€' 'many/&<>"'"'" 'many//x'; do
		put "$k"
	done
	put keep/me
	run -0 --separate-stderr bash -c 's3ls -r "$1" | s3rm' _ "s3://$S3_BUCKET/many/"
	assert_equal "$stderr" ""
	run -0 keys many/
	assert_output ""
	run -0 keys keep/
	assert_output "'keep/me'"
}

@test "a key with control bytes is deleted on its own" {
	put $'ctl/a\x01b'
	put ctl/plain
	run -0 --separate-stderr bash -c 's3ls -r "$1" | s3rm' _ "s3://$S3_BUCKET/ctl/"
	run -0 keys ctl/
	assert_output ""
}

@test "a key that does not exist counts as deleted" {
	run -0 --separate-stderr s3rm "s3://$S3_BUCKET/no/such/key"
	assert_equal "$stderr" ""
}

@test "never a prefix: s3://bucket/dir/ is the key dir/ only" {
	put dir/a
	put dir/b
	run -0 --separate-stderr s3rm "s3://$S3_BUCKET/dir/"
	run -0 keys dir/
	assert_output "'dir/a'
'dir/b'"
}

@test "-n prints what would go and deletes nothing" {
	put dry/a
	put dry/b
	run -0 --separate-stderr bash -c 's3ls -r "$1" | s3rm -n' _ "s3://$S3_BUCKET/dry/"
	assert_output "s3://$S3_BUCKET/dry/a
s3://$S3_BUCKET/dry/b"
	run -0 keys dry/
	assert_equal "${#lines[@]}" 2
}

@test "a line that is not a URL: exit 2 naming it, and its batch is not deleted" {
	put bad/a
	run -2 --separate-stderr bash -c 'printf "s3://%s/bad/a\nrm -rf /\n" "$1" | s3rm' _ "$S3_BUCKET"
	assert_equal "$stderr" "s3rm: stdin line 2: expected an s3:// URL or a listing line"
	run -0 keys bad/
	assert_output "'bad/a'"
}

@test "another user's bucket: exit 1, and each key reported" {
	put other/a
	AWS_ACCESS_KEY_ID=$S3_OTHER_ACCESS_KEY AWS_SECRET_ACCESS_KEY=$S3_OTHER_SECRET_KEY \
		run -1 --separate-stderr s3rm "s3://$S3_BUCKET/other/a" "s3://$S3_BUCKET/other/b"
	[[ $stderr == *"s3://$S3_BUCKET/other/a: "*AccessDenied* ]]
	[[ $stderr == *"s3://$S3_BUCKET/other/b: "*AccessDenied* ]]
	run -0 keys other/
	assert_output "'other/a'"
}

@test "a key with %00 is refused: exit 2, and the object its first bytes name is kept" {
	put nul/a
	put nul/b
	run -2 --separate-stderr bash -c 'printf "s3://%s/nul/b\n2026-01-26T03:00:15Z\t1\ts3://%s/nul/a%%00x\n" "$1" "$1" | s3rm' _ "$S3_BUCKET"
	assert_stderr_has "line 2"
	run -2 --separate-stderr s3rm "s3://$S3_BUCKET/nul/a%00x"
	assert_stderr_has "NUL"
	run -0 keys nul/
	assert_output "'nul/a'
'nul/b'"
}

@test "a bucket name outside S3's rules on a listing line (x@host:port#) is refused: exit 2, nothing deleted" {
	put host/a
	run -2 --separate-stderr bash -c 'printf "s3://%s/host/a\n2026-01-26T03:00:15Z\t1\ts3://x@127.0.0.1:1#/host/a\n" "$1" | s3rm' _ "$S3_BUCKET"
	assert_stderr_has "a bucket name"
	run -2 --separate-stderr s3rm "s3://Upper/host/a"
	run -0 keys host/
	assert_output "'host/a'"
}

@test "a key with .. deletes that key, not the one its dot segments would reach" {
	put "dots/../../elsewhere/k"
	put "elsewhere/k"
	run -0 --separate-stderr s3rm "s3://$S3_BUCKET/dots/../../elsewhere/k"
	run -0 keys dots/
	assert_output ""
	run -0 keys elsewhere/
	assert_output "'elsewhere/k'"
}

@test "usage: a URL without a key exits 2" {
	run -2 --separate-stderr s3rm "s3://$S3_BUCKET"
	run -0 s3rm --help
	assert_line --index 0 "Usage: s3rm [options] [URL...]"
}
