#!/usr/bin/env bats
# Smoke tests for tests/lib/s3.bash, the throwaway S3 server (radosgw), with
# the AWS CLI as the independent client.

load lib/common
load lib/s3

BUCKET=bkpipe-s3-smoke

setup_file() {
	s3_start && s3_bucket "$BUCKET"
}

teardown_file() {
	s3_stop
}

@test "the gateway answers on 127.0.0.1 only" {
	local pid sockets line addr

	assert_equal "$S3_ENDPOINT" "http://127.0.0.1:$S3_PORT"
	assert_equal "$AWS_ENDPOINT_URL" "$S3_ENDPOINT"

	run s3_pids
	assert_success
	assert_equal "${#lines[@]}" 3

	# Every socket the daemons listen on, TCP or UDP, is on 127.0.0.1.
	run ss -Hltunp
	assert_success
	for pid in $(s3_pids); do
		sockets=$(grep -F "pid=$pid," <<<"$output") || fail "pid $pid listens nowhere"
		while read -r line; do
			read -r _ _ _ _ addr _ <<<"$line"
			[[ $addr == 127.0.0.1:* ]] || fail "listens on $addr: $line"
		done <<<"$sockets"
	done
	assert_regex "$output" "127\.0\.0\.1:$S3_PORT .*\"radosgw\""
}

@test "a bucket can be created and an object put, listed and read with the AWS CLI" {
	printf 'hello, s3\n' >"$BATS_TEST_TMPDIR/hello"

	run s3_aws s3api list-buckets --query 'Buckets[].Name' --output text
	assert_success
	assert_output --partial "$BUCKET"

	run s3_aws s3api put-object --bucket "$BUCKET" --key dir/hello.txt \
		--body "$BATS_TEST_TMPDIR/hello"
	assert_success

	run s3_aws s3api list-objects-v2 --bucket "$BUCKET" --prefix dir/ \
		--query 'Contents[].[Key,Size]' --output text
	assert_success
	assert_output "$(printf 'dir/hello.txt\t10')"

	run s3_aws s3 cp "s3://$BUCKET/dir/hello.txt" -
	assert_success
	assert_output 'hello, s3'
}

@test "s3_bucket makes a fresh bucket, empty of what an earlier one held" {
	local name=bkpipe-s3-fresh

	s3_bucket "$name"
	assert_equal "$S3_BUCKET" "$name"
	echo x | s3_aws s3 cp - "s3://$name/left-over"

	s3_bucket "$name"
	run s3_aws s3 ls "s3://$name/"
	assert_success
	assert_output ''

	run s3_bucket Not_A_Bucket
	assert_failure
	assert_output --partial 'not a valid bucket name'
}

@test "a wrong secret key gets 403 SignatureDoesNotMatch" {
	AWS_SECRET_ACCESS_KEY=not-the-secret-key run s3_aws_error s3api list-objects-v2 \
		--bucket "$BUCKET"
	assert_failure
	assert_output '403 SignatureDoesNotMatch'

	# An unknown key is another error.
	AWS_ACCESS_KEY_ID=BKPIPENOSUCHKEY00000 run s3_aws_error s3api list-objects-v2 \
		--bucket "$BUCKET"
	assert_failure
	assert_output '403 InvalidAccessKeyId'
}

@test "anonymous access gets 403 AccessDenied" {
	echo secret | s3_aws s3 cp - "s3://$BUCKET/private"

	run s3_aws_error s3api list-objects-v2 --bucket "$BUCKET" --no-sign-request
	assert_failure
	assert_output '403 AccessDenied'

	run s3_aws_error s3api get-object --bucket "$BUCKET" --key private \
		"$BATS_TEST_TMPDIR/out" --no-sign-request
	assert_failure
	assert_output '403 AccessDenied'
}

@test "the second user has keys of its own and no access to the first user's bucket" {
	AWS_ACCESS_KEY_ID=$S3_OTHER_ACCESS_KEY AWS_SECRET_ACCESS_KEY=$S3_OTHER_SECRET_KEY \
		run s3_aws s3api list-buckets --query 'Owner.ID' --output text
	assert_success
	assert_output other

	AWS_ACCESS_KEY_ID=$S3_OTHER_ACCESS_KEY AWS_SECRET_ACCESS_KEY=$S3_OTHER_SECRET_KEY \
		run s3_aws_error s3api list-objects-v2 --bucket "$BUCKET"
	assert_failure
	assert_output '403 AccessDenied'
}

@test "listing with encoding-type=url round-trips a key with a newline, a tab, % and unicode" {
	local key=$'odd/line\nbreak\ttab 100%25 \xc3\xa9t\xc3\xa9 \xe2\x82\xac.txt'

	echo odd >"$BATS_TEST_TMPDIR/odd"
	run s3_aws s3api put-object --bucket "$BUCKET" --key "$key" --body "$BATS_TEST_TMPDIR/odd"
	assert_success

	# The AWS CLI asks for encoding-type=url and decodes the keys.
	run s3_aws s3api list-objects-v2 --bucket "$BUCKET" --prefix odd/ \
		--query 'Contents[0].Key' --output text
	assert_success
	assert_output "$key"

	# On the wire the keys are percent-encoded: the XML holds no raw newline.
	run s3_aws --debug s3api list-objects-v2 --bucket "$BUCKET" --prefix odd/
	assert_success
	assert_output --partial 'encoding-type=url'
	assert_output --partial '<EncodingType>url</EncodingType>'
	assert_output --partial 'line%0Abreak%09tab'
	assert_output --partial '100%2525'
	assert_output --partial '%C3%A9t%C3%A9'
	assert_output --partial '%E2%82%AC.txt</Key>'
}

@test "a multipart upload gets an ETag ending in -N" {
	# 9 MiB: over the AWS CLI's 8 MiB multipart threshold, so two parts.
	head -c $((9 * 1024 * 1024)) /dev/zero >"$BATS_TEST_TMPDIR/big"
	run s3_aws s3 cp --quiet "$BATS_TEST_TMPDIR/big" "s3://$BUCKET/big"
	assert_success

	run s3_aws s3api head-object --bucket "$BUCKET" --key big \
		--query '[ETag,ContentLength]' --output text
	assert_success
	assert_regex "$output" '^"[0-9a-f]{32}-2"[[:space:]]+9437184$'
}
