#!/usr/bin/env bats
# s3ls against a real S3 server (Ceph RGW), checked against the AWS CLI.
# shellcheck disable=SC2030,SC2031 # each @test runs in a subshell of its own

load lib/common
load lib/s3
load lib/faultproxy

setup_file() {
	s3_start
	s3_bucket bkpipe-s3ls
	local d=$BATS_FILE_TMPDIR/many i
	mkdir -p "$d"
	for ((i = 0; i < 2500; i++)); do
		printf '%d' "$i" >"$d/$(printf 'k%04d' "$i")"
	done
	s3_aws s3 cp --recursive --quiet "$d" "s3://$S3_BUCKET/many/"
	printf 'a' | s3_aws s3 cp - "s3://$S3_BUCKET/dir/a.sql.gz" --quiet
	printf 'bb' | s3_aws s3 cp - "s3://$S3_BUCKET/dir/sub/b.sql.gz" --quiet
	printf 'ccc' | s3_aws s3 cp - "s3://$S3_BUCKET/dir/sub/deeper/c" --quiet
	printf 'dddd' | s3_aws s3 cp - "s3://$S3_BUCKET/dir/z" --quiet
}

# A test that starts the fault proxy stops it: a test's variables do not
# reach teardown_file.
teardown() {
	fp_stop
}

teardown_file() {
	s3_stop
}

# The listing lines the AWS CLI sees for a prefix, in s3ls's format.
aws_lines() {
	s3_aws s3api list-objects-v2 --bucket "$S3_BUCKET" --prefix "$1" --output json |
		python3 -c '
import json, sys, datetime
bucket = sys.argv[1]
data = json.load(sys.stdin)
for o in data.get("Contents", []):
    key = "".join("%%%02X" % b if b < 0x20 or b == 0x7f or b == 0x25 else chr(b)
                  for b in o["Key"].encode("utf-8")).encode("latin-1").decode("utf-8")
    t = datetime.datetime.fromisoformat(o["LastModified"].replace("Z", "+00:00"))
    t = t.astimezone(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    print("%s\t%d\ts3://%s/%s" % (t, o["Size"], bucket, key))
' "$S3_BUCKET"
}

@test "a prefix with nothing under it prints nothing and exits 0" {
	run -0 --separate-stderr s3ls "s3://$S3_BUCKET/nothing-here/"
	assert_output ""
	assert_equal "$stderr" ""
}

@test "2500 objects: every one, in key order, equal to the AWS CLI's listing" {
	run -0 --separate-stderr s3ls -r "s3://$S3_BUCKET/many/"
	assert_equal "${#lines[@]}" 2500
	assert_equal "$output" "$(aws_lines many/)"
	assert_line --index 0 --regexp $'^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z\t1\ts3://bkpipe-s3ls/many/k0000$'
	assert_line --index 2499 --regexp $'\t4\ts3://bkpipe-s3ls/many/k2499$'
}

@test "page boundaries: 0, 1, 999, 1000 and 1001 objects after --start-after" {
	local n key
	for n in 0 1 999 1000 1001; do
		key=$(printf 'many/k%04d' $((2499 - n)))
		run -0 --separate-stderr s3ls -r -1 --start-after "$key" "s3://$S3_BUCKET/many/"
		if ((n == 0)); then
			assert_output ""
		else
			assert_equal "${#lines[@]}" "$n"
			assert_line --index 0 "s3://$S3_BUCKET/many/$(printf 'k%04d' $((2500 - n)))"
			assert_line --index $((n - 1)) "s3://$S3_BUCKET/many/k2499"
		fi
	done
}

@test "one level by default: common prefixes as -<TAB>-<TAB>URL, in key order" {
	run -0 --separate-stderr s3ls "s3://$S3_BUCKET/dir/"
	assert_equal "${#lines[@]}" 3
	assert_line --index 0 --regexp $'Z\t1\ts3://bkpipe-s3ls/dir/a\\.sql\\.gz$'
	assert_line --index 1 $'-\t-\ts3://bkpipe-s3ls/dir/sub/'
	assert_line --index 2 --regexp $'Z\t4\ts3://bkpipe-s3ls/dir/z$'
}

@test "-r lists everything under the prefix" {
	run -0 --separate-stderr s3ls -r -1 "s3://$S3_BUCKET/dir/"
	assert_output "s3://$S3_BUCKET/dir/a.sql.gz
s3://$S3_BUCKET/dir/sub/b.sql.gz
s3://$S3_BUCKET/dir/sub/deeper/c
s3://$S3_BUCKET/dir/z"
}

@test "a prefix without a slash lists what starts with it, like S3" {
	run -0 --separate-stderr s3ls -1 "s3://$S3_BUCKET/di"
	assert_output "s3://$S3_BUCKET/dir/"
}

@test "keys with newlines, tabs, %, spaces, unicode, .., // and a leading / list exactly as the AWS CLI sees them" {
	local k
	local -a keys=($'odd/new\nline' $'odd/tab\there' 'odd/100%.sql' 'odd/a b+c' 'odd/é€😀' 'odd/../up'
		'odd//double' 'odd/&<>"'"'" 'odd/~tilde' $'odd/ctl\x01\x7f')
	for k in "${keys[@]}"; do
		printf '%s' "$k" >"$BATS_TEST_TMPDIR/body"
		s3_aws s3api put-object --bucket "$S3_BUCKET" --key "$k" --body "$BATS_TEST_TMPDIR/body" >/dev/null
	done
	: >"$BATS_TEST_TMPDIR/empty"
	s3_aws s3api put-object --bucket "$S3_BUCKET" --key "/odd-leading" --body "$BATS_TEST_TMPDIR/empty" >/dev/null
	run -0 --separate-stderr s3ls -r "s3://$S3_BUCKET/odd/"
	assert_equal "${#lines[@]}" "${#keys[@]}"
	assert_equal "$output" "$(aws_lines odd/)"
	assert_line --partial $'\ts3://bkpipe-s3ls/odd/new%0Aline'
	assert_line --partial $'\ts3://bkpipe-s3ls/odd/tab%09here'
	assert_line --partial $'\ts3://bkpipe-s3ls/odd/100%25.sql'
	run -0 --separate-stderr s3ls -r "s3://$S3_BUCKET//odd"
	assert_equal "$output" "$(aws_lines /odd)"
	assert_line --partial $'\ts3://bkpipe-s3ls//odd-leading'
}

@test "--json: one object a line with every field" {
	run -0 --separate-stderr s3ls --json -r "s3://$S3_BUCKET/dir/sub/"
	assert_equal "${#lines[@]}" 2
	python3 -c '
import json, sys
for line in sys.stdin:
    o = json.loads(line)
    assert set(o) == {"url", "key", "last_modified", "size", "etag", "storage_class"}, o
    assert o["etag"].startswith("\"") and o["storage_class"], o
    assert o["url"] == "s3://bkpipe-s3ls/" + o["key"], o
' <<<"$output"
	assert_line --index 0 --partial '"key":"dir/sub/b.sql.gz"'
	assert_line --index 0 --partial '"size":2'
}

@test "--max stops after N lines; --since and --until filter on LastModified" {
	run -0 --separate-stderr s3ls -r -1 --max 3 "s3://$S3_BUCKET/many/"
	assert_equal "${#lines[@]}" 3
	run -0 --separate-stderr s3ls -r -1 --since 1h "s3://$S3_BUCKET/dir/"
	assert_equal "${#lines[@]}" 4
	run -0 --separate-stderr s3ls -r -1 --until 1h "s3://$S3_BUCKET/dir/"
	assert_output ""
	run -0 --separate-stderr s3ls -r -1 --since 2000-01-01 --until 2999-01-01T00:00:00Z "s3://$S3_BUCKET/dir/"
	assert_equal "${#lines[@]}" 4
	run -2 --separate-stderr s3ls --since yesterday "s3://$S3_BUCKET/dir/"
	assert_equal "$stderr" "s3ls: --since yesterday: expected a duration (26h, 7d) or a UTC time (2026-01-26T03:00:00Z)"
}

@test "TZ=America/New_York changes nothing" {
	run -0 --separate-stderr s3ls -r "s3://$S3_BUCKET/dir/"
	local utc=$output
	TZ=America/New_York run -0 --separate-stderr s3ls -r "s3://$S3_BUCKET/dir/"
	assert_equal "$output" "$utc"
}

@test "| head -n 1 ends quietly with status 0" {
	run -0 bash -c 's3ls -r "$1" | head -n 1; echo "status ${PIPESTATUS[0]}"' _ "s3://$S3_BUCKET/many/"
	assert_line --index 0 --partial "s3://$S3_BUCKET/many/k0000"
	assert_line --index 1 "status 0"
	assert_equal "${#lines[@]}" 2
}

@test "a wrong secret: exit 1, SignatureDoesNotMatch with its hint, no secret in the output" {
	AWS_SECRET_ACCESS_KEY=not-the-secret-0123456789 run -1 --separate-stderr s3ls -v "s3://$S3_BUCKET/dir/"
	assert_output ""
	[[ $stderr == *"s3ls: s3://$S3_BUCKET/dir/: SignatureDoesNotMatch"*"(hint: check the secret key and the system clock)"* ]]
	[[ $stderr != *not-the-secret* ]]
	[[ $stderr != *Signature=* ]]
}

@test "an unknown access key: exit 1, InvalidAccessKeyId" {
	AWS_ACCESS_KEY_ID=NOSUCHKEY0000000000 run -1 --separate-stderr s3ls "s3://$S3_BUCKET/dir/"
	[[ $stderr == *"InvalidAccessKeyId"* ]]
}

@test "an unknown bucket: exit 1, NoSuchBucket with its hint" {
	run -1 --separate-stderr s3ls "s3://bkpipe-no-such-bucket/"
	[[ $stderr == "s3ls: s3://bkpipe-no-such-bucket/: NoSuchBucket"*"(hint: check the bucket name, the endpoint and the region)" ]]
}

@test "another user's bucket: exit 1, AccessDenied" {
	AWS_ACCESS_KEY_ID=$S3_OTHER_ACCESS_KEY AWS_SECRET_ACCESS_KEY=$S3_OTHER_SECRET_KEY \
		run -1 --separate-stderr s3ls "s3://$S3_BUCKET/dir/"
	[[ $stderr == *"AccessDenied"* ]]
}

@test "missing credentials: exit 2, naming the places searched" {
	env -u AWS_ACCESS_KEY_ID -u AWS_SECRET_ACCESS_KEY HOME=/nonexistent \
		AWS_SHARED_CREDENTIALS_FILE=/nonexistent/c AWS_CONFIG_FILE=/nonexistent/f \
		bash -c 's3ls "$1"' _ "s3://$S3_BUCKET/" 2>"$BATS_TEST_TMPDIR/err" && false || status=$?
	assert_equal "$status" 2
	run cat "$BATS_TEST_TMPDIR/err"
	assert_output --partial "no credentials found: searched AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, profile \"default\" in /nonexistent/c and in /nonexistent/f"
}

@test "an exported AWS_ENDPOINT_URL overrides --profile's endpoint_url, as in the AWS CLI: said on stderr, by -v, and in a connection error's hint" {
	local conf=$BATS_TEST_TMPDIR/config
	printf '[profile dr]\nendpoint_url = %s\naws_access_key_id = %s\naws_secret_access_key = %s\n' \
		"$S3_ENDPOINT" "$AWS_ACCESS_KEY_ID" "$AWS_SECRET_ACCESS_KEY" >"$conf"
	AWS_CONFIG_FILE=$conf AWS_ENDPOINT_URL=http://127.0.0.1:1 AWS_MAX_ATTEMPTS=1 \
		run -3 --separate-stderr s3ls -v --profile dr "s3://$S3_BUCKET/"
	assert_stderr_has "s3ls: warning: AWS_ENDPOINT_URL (http://127.0.0.1:1) overrides profile dr's endpoint_url ($S3_ENDPOINT), as in the AWS CLI; unset AWS_ENDPOINT_URL to use the profile's"
	assert_stderr_has "s3ls: endpoint http://127.0.0.1:1 (from AWS_ENDPOINT_URL)"
	assert_stderr_has "(after 1 attempt) (hint: the endpoint comes from AWS_ENDPOINT_URL)"
	# Unset, the profile's endpoint is used, and -v says so.
	AWS_CONFIG_FILE=$conf run -0 --separate-stderr env -u AWS_ENDPOINT_URL s3ls -v --profile dr "s3://$S3_BUCKET/"
	assert_stderr_has "s3ls: endpoint $S3_ENDPOINT (from profile dr's endpoint_url)"
	refute_stderr_has "overrides"
}

@test "nothing listening: exit 3 after AWS_MAX_ATTEMPTS tries" {
	AWS_MAX_ATTEMPTS=2 run -3 --separate-stderr s3ls --endpoint-url http://127.0.0.1:1 "s3://$S3_BUCKET/"
	[[ $stderr == *"Couldn't connect to server (after 2 attempts)"* ]]
}

@test "a hung store is reported by the read timeout: 10 s by default, --read-timeout to change, exit 3 naming it" {
	fp_start "$S3_ENDPOINT"
	fp_rules '[{"query_contains": "list-type", "stall": 60, "then": "close"}]'
	local t0=$SECONDS
	AWS_MAX_ATTEMPTS=1 run -3 --separate-stderr s3ls --endpoint-url "$FP_URL" "s3://$S3_BUCKET/dir/"
	# The default: one attempt ends after 10 s without a byte (not 60, not never).
	((SECONDS - t0 >= 9 && SECONDS - t0 < 30))
	assert_stderr_has "(after 1 attempt)"
	assert_stderr_has "Operation too slow"
	t0=$SECONDS
	AWS_MAX_ATTEMPTS=2 run -3 --separate-stderr s3ls --read-timeout 1 --endpoint-url "$FP_URL" "s3://$S3_BUCKET/dir/"
	((SECONDS - t0 < 9))
	assert_stderr_has "(after 2 attempts)"
	# Not a terminal: no waiting message.
	refute_stderr_has "waiting for an answer"
}

@test "on a terminal, a request without an answer for 3 s says what it is waiting for" {
	fp_start "$S3_ENDPOINT"
	fp_rules '[{"query_contains": "list-type", "stall": 60, "then": "close"}]'
	run script -qec "AWS_MAX_ATTEMPTS=1 s3ls --read-timeout 5 --endpoint-url $FP_URL s3://$S3_BUCKET/dir/" /dev/null
	assert_output --partial "s3ls: waiting for an answer to GET $FP_URL/$S3_BUCKET/?list-type=2"
	assert_output --partial "(attempt 1 of 1; 5 s to connect, 5 s without a byte, then a retry)"
}

@test "--connect-timeout and --read-timeout take 1 to 3600 seconds, in every S3 tool" {
	local tool opt
	for tool in s3ls s3get s3put s3rm; do
		for opt in --connect-timeout --read-timeout; do
			run -2 --separate-stderr "$tool" "$opt" 0 "s3://$S3_BUCKET/x" </dev/null
			assert_stderr_has "$opt 0: expected seconds from 1 to 3600"
			run -2 --separate-stderr "$tool" "$opt" 5s "s3://$S3_BUCKET/x" </dev/null
			assert_stderr_has "$opt 5s: expected seconds from 1 to 3600"
		done
	done
}

@test "503 SlowDown twice, then success: lists fully" {
	fp_start "$S3_ENDPOINT"
	fp_rules '[{"query_contains": "list-type", "times": 2, "status": 503,
		"body": "<Error><Code>SlowDown</Code><Message>Please reduce your request rate.</Message></Error>"}]'
	AWS_MAX_ATTEMPTS=3 run -0 --separate-stderr s3ls -r --endpoint-url "$FP_URL" "s3://$S3_BUCKET/many/"
	assert_equal "${#lines[@]}" 2500
	assert_equal "$(grep -c ' 503$' "$FP_LOG")" 2
}

@test "SlowDown on every try: exit 3 with the code" {
	fp_start "$S3_ENDPOINT"
	fp_rules '[{"query_contains": "list-type", "status": 503,
		"body": "<Error><Code>SlowDown</Code><Message>Please reduce your request rate.</Message></Error>"}]'
	AWS_MAX_ATTEMPTS=2 run -3 --separate-stderr s3ls --endpoint-url "$FP_URL" "s3://$S3_BUCKET/dir/"
	[[ $stderr == *"SlowDown: Please reduce your request rate."* ]]
	assert_equal "$(grep -c ' 503$' "$FP_LOG")" 2
}

@test "a listing encoded as AWS and MinIO encode it (a space as +, a + as %2B) gives the keys themselves, which s3get and s3rm reach" {
	printf 'space' | s3put "s3://$S3_BUCKET/plus/a b"
	printf 'plus' | s3put "s3://$S3_BUCKET/plus/a+b"
	printf 'both' | s3put "s3://$S3_BUCKET/plus/c d+e"
	fp_start "$S3_ENDPOINT"
	# RGW sends %20 for a space and %2B for a +; AWS sends + and %2B.
	fp_rules '[{"query_contains": "list-type", "forward": true, "replace_body": [["%20", "+"]]}]'
	run -0 --separate-stderr s3ls --endpoint-url "$FP_URL" "s3://$S3_BUCKET/plus/"
	assert_equal "$(grep -c ' 200$' "$FP_LOG")" 1
	assert_equal "$(cut -f3 <<<"$output")" "s3://$S3_BUCKET/plus/a b
s3://$S3_BUCKET/plus/a+b
s3://$S3_BUCKET/plus/c d+e"
	run -0 bash -c 'printf "%s\n" "$1" | s3get' _ "$output"
	assert_output "spaceplusboth"
	run -0 bash -c 's3ls --endpoint-url "$1" "$2" | grep "a+b" | s3rm' _ "$FP_URL" "s3://$S3_BUCKET/plus/"
	run -0 s3_aws s3api list-objects-v2 --bucket "$S3_BUCKET" --prefix plus/ --query 'Contents[].Key' --output text
	assert_output $'plus/a b\tplus/c d+e'
}

@test "a truncated page without a continuation token is an error, not a loop" {
	fp_start "$S3_ENDPOINT"
	fp_rules '[{"query_contains": "list-type", "forward": true,
		"replace_body": [["<IsTruncated>false</IsTruncated>", "<IsTruncated>true</IsTruncated>"]]}]'
	run -1 --separate-stderr s3ls -r --endpoint-url "$FP_URL" "s3://$S3_BUCKET/dir/"
	assert_output ""
	assert_equal "$stderr" "s3ls: s3://$S3_BUCKET/dir/: bad listing from the server: a truncated page without a continuation token"
}

@test "a redirect to the bucket's region is followed once" {
	fp_start "$S3_ENDPOINT"
	fp_rules '[{"query_contains": "list-type", "times": 1, "status": 301,
		"headers": {"x-amz-bucket-region": "us-east-1"},
		"body": "<Error><Code>PermanentRedirect</Code><Message>The bucket you are attempting to access must be addressed using the specified endpoint.</Message></Error>"}]'
	AWS_REGION=eu-west-1 run -0 --separate-stderr s3ls -v -r -1 --endpoint-url "$FP_URL" "s3://$S3_BUCKET/dir/sub/"
	assert_equal "${#lines[@]}" 2
	[[ $stderr == *"the bucket is in region us-east-1; asking there"* ]]
	assert_equal "$(wc -l <"$FP_LOG")" 2
}

@test "a redirect that keeps redirecting: exit 1 with the region in the hint" {
	fp_start "$S3_ENDPOINT"
	fp_rules '[{"query_contains": "list-type", "status": 301,
		"headers": {"x-amz-bucket-region": "ap-south-1"},
		"body": "<Error><Code>PermanentRedirect</Code><Message>Wrong endpoint.</Message></Error>"}]'
	run -1 --separate-stderr s3ls --endpoint-url "$FP_URL" "s3://$S3_BUCKET/dir/"
	[[ $stderr == *"PermanentRedirect: Wrong endpoint. (hint: bucket is in region ap-south-1)"* ]]
}

@test "RequestTimeTooSkewed: signed again with the server's clock, once" {
	fp_start "$S3_ENDPOINT"
	fp_rules "[{\"query_contains\": \"list-type\", \"times\": 1, \"status\": 403,
		\"headers\": {\"Date\": \"$(LC_ALL=C date -u '+%a, %d %b %Y %H:%M:%S GMT')\"},
		\"body\": \"<Error><Code>RequestTimeTooSkewed</Code><Message>The difference between the request time and the current time is too large.</Message></Error>\"}]"
	run -0 --separate-stderr s3ls -v -r -1 --endpoint-url "$FP_URL" "s3://$S3_BUCKET/dir/sub/"
	assert_equal "${#lines[@]}" 2
	[[ $stderr == *"signing with its time"* ]]
	assert_equal "$(wc -l <"$FP_LOG")" 2
}

@test "AWS_PROFILE with endpoint_url and keys from the config files" {
	local cfg=$BATS_TEST_TMPDIR/config cred=$BATS_TEST_TMPDIR/credentials
	printf '[profile ceph]\nregion = us-east-1\nendpoint_url = %s\n' "$S3_ENDPOINT" >"$cfg"
	printf '[ceph]\naws_access_key_id = %s\naws_secret_access_key = %s\n' \
		"$AWS_ACCESS_KEY_ID" "$AWS_SECRET_ACCESS_KEY" >"$cred"
	run -0 --separate-stderr env -u AWS_ACCESS_KEY_ID -u AWS_SECRET_ACCESS_KEY -u AWS_ENDPOINT_URL \
		AWS_PROFILE=ceph AWS_CONFIG_FILE="$cfg" AWS_SHARED_CREDENTIALS_FILE="$cred" \
		s3ls -r -1 "s3://$S3_BUCKET/dir/sub/"
	assert_output "s3://$S3_BUCKET/dir/sub/b.sql.gz
s3://$S3_BUCKET/dir/sub/deeper/c"
}

@test "--no-sign-request lists a public bucket, and is refused by a private one" {
	s3_aws s3 rb --force s3://bkpipe-s3ls-public >/dev/null 2>&1 || true
	s3_aws s3api create-bucket --bucket bkpipe-s3ls-public --acl public-read >/dev/null
	printf 'x' | s3_aws s3 cp - s3://bkpipe-s3ls-public/open.txt --quiet
	run -0 --separate-stderr env -u AWS_ACCESS_KEY_ID -u AWS_SECRET_ACCESS_KEY \
		s3ls --no-sign-request -1 s3://bkpipe-s3ls-public/
	assert_output "s3://bkpipe-s3ls-public/open.txt"
	run -1 --separate-stderr env -u AWS_ACCESS_KEY_ID -u AWS_SECRET_ACCESS_KEY \
		s3ls --no-sign-request "s3://$S3_BUCKET/"
	[[ $stderr == *AccessDenied* ]]
}

@test "-v logs each request without Authorization, tokens or signatures" {
	run -0 --separate-stderr s3ls -v -r -1 "s3://$S3_BUCKET/many/"
	[[ $stderr == *"s3ls: GET $S3_ENDPOINT/$S3_BUCKET/?"*"-> 200"* ]]
	assert_equal "$(grep -c -- '-> 200' <<<"$stderr")" 3
	[[ $stderr != *"$AWS_SECRET_ACCESS_KEY"* && $stderr != *Authorization* && $stderr != *Signature* ]]
}

@test "presigned URLs equal aws s3 presign's for awkward keys" {
	local k u d
	for k in 'db/my backup.sql.gz' 'db/a+b%c~d' 'db/é€😀' 'db//double' '/lead'; do
		u=$(s3_aws s3 presign "s3://$S3_BUCKET/$k" --expires-in 3600)
		d=$(sed 's/.*X-Amz-Date=\([0-9TZ]*\).*/\1/' <<<"$u")
		run -0 presign "s3://$S3_BUCKET/$k" 3600 "$d"
		assert_output "$u"
	done
	u=$(s3_aws s3 presign "s3://$S3_BUCKET/x" --expires-in 604800)
	d=$(sed 's/.*X-Amz-Date=\([0-9TZ]*\).*/\1/' <<<"$u")
	run -0 presign "s3://$S3_BUCKET/x" 604800 "$d"
	assert_output "$u"
}

@test "a bucket name outside S3's rules is refused: exit 2, no request" {
	local b
	for b in 'x@127.0.0.1:1#' 'Upper' 'a_b' 'ab' 'a..b' '192.168.0.1'; do
		AWS_ENDPOINT_URL=http://127.0.0.1:1 run -2 --separate-stderr s3ls "s3://$b/"
		assert_stderr_has "s3ls: s3://$b/: a bucket name"
	done
}

@test "endpoint userinfo (http://user:password@host) is hidden in -v and in errors" {
	AWS_ENDPOINT_URL=${S3_ENDPOINT/http:\/\//http://user:s3cr3tpw@} run -0 --separate-stderr s3ls -v "s3://$S3_BUCKET/"
	assert_stderr_has "GET http://(userinfo hidden)@127.0.0.1:"
	[[ $stderr != *s3cr3tpw* ]]
	AWS_ENDPOINT_URL=http://user:s3cr3tpw@127.0.0.1:1 AWS_MAX_ATTEMPTS=1 run -3 --separate-stderr s3ls -v "s3://$S3_BUCKET/"
	assert_stderr_has "(userinfo hidden)@127.0.0.1:1"
	[[ $stderr != *s3cr3tpw* ]]
}

@test "a 200 reply that is not a ListBucketResult is an error, not an empty listing" {
	fp_start "$S3_ENDPOINT"
	fp_rules '[{"method": "GET", "status": 200, "headers": {"Content-Type": "text/html"}, "body": "<html><body>hello</body></html>"}]'
	run -1 --separate-stderr s3ls --endpoint-url "$FP_URL" "s3://$S3_BUCKET/"
	assert_stderr_has "not a ListBucketResult"
}

@test "usage: no operand or a URL that is not s3:// exits 2" {
	run -2 --separate-stderr s3ls
	run -2 --separate-stderr s3ls https://example.com/x
	assert_equal "$stderr" "s3ls: https://example.com/x: expected s3://bucket[/prefix]"
	run -0 s3ls --help
	assert_line --index 0 "Usage: s3ls [options] s3://bucket[/prefix]..."
}
