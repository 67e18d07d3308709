#!/usr/bin/env bats
# The S3 tools against every store bkpipe's users run, as the fault proxy's
# store profiles make Ceph RGW 16 answer (tests/lib/faultproxy.py, PROFILES;
# docs/stores.md): AWS, MinIO, Cloudflare R2, Backblaze B2, Ceph 18 and 19,
# and Ceph 16 itself. Each profile gets the same round trips, which between
# them touch every quirk: a single PUT and its Content-Type, a multipart
# upload in 5M parts, keys that listings encode, s3get of a multipart object,
# and --if-none-match on a key that exists; and, where part sizes matter (AWS's
# 200-with-Error and Content-Length, R2's equal parts, Ceph 16 as the
# baseline), parts chosen from --size-hint. What the store holds is checked
# straight at RGW, with the AWS CLI and curl (which also puts the keys the AWS
# CLI would rewrite) as the independent clients. The test server keeps objects
# in memory for every suite of a run, so the data is as small as each case
# allows.
#
# SC2016: the bash -c scripts take their arguments as $1 and so on.
# SC2030/SC2031: shellcheck takes each @test for a subshell. SC2153: FP_URL
# and the others come from lib/faultproxy.
# shellcheck disable=SC2016,SC2030,SC2031,SC2153

load lib/common
load lib/s3
load lib/faultproxy

MIB=1048576

setup_file() {
	local d=$BATS_FILE_TMPDIR
	s3_start
	s3_bucket bkpipe-stores
	fp_start "$S3_ENDPOINT"
	# As small as each case allows (RGW frees deleted parts hours later).
	head -c 1000 /dev/urandom >"$d/small"
	head -c $((10 * MIB + 1000)) /dev/urandom >"$d/10m"	# 3 parts of 5M
	head -c $((16 * MIB + 1000)) /dev/urandom >"$d/16m"	# 2 parts of the default 16M
	head -c $((8 * MIB + 1000)) /dev/urandom >"$d/8m"	# 2 parts of the AWS CLI's 8M
	# A multipart object of another client's, for s3get.
	s3_aws s3 cp --quiet "$d/8m" "s3://$S3_BUCKET/aws-cli/8m"
}

teardown_file() {
	fp_stop
	s3_aws s3 rb --force "s3://bkpipe-stores" >/dev/null 2>&1 || true
	s3_stop
}

setup() {
	D=$BATS_FILE_TMPDIR
	fp_clear_log
}

# use PROFILE: the proxy answers as that store does; sets P to it.
use() {
	P=$1
	fp_profile "$P"
}

# s3curl ARGS...: curl with SigV4 for the test user (an unsigned payload).
s3curl() {
	curl -sS --aws-sigv4 "aws:amz:$AWS_REGION:s3" --user "$AWS_ACCESS_KEY_ID:$AWS_SECRET_ACCESS_KEY" \
		-H "x-amz-content-sha256: UNSIGNED-PAYLOAD" "$@"
}

# The ETag S3 gives FILE uploaded in parts of SIZE bytes: the MD5 of the
# parts' MD5s, then -N (or the MD5 of the whole, in one part).
etag_of() {
	python3 - "$1" "$2" <<-'EOF'
		import hashlib, sys
		data, size = open(sys.argv[1], "rb").read(), int(sys.argv[2])
		parts = [data[i:i + size] for i in range(0, len(data), size)] or [b""]
		if len(parts) == 1:
		    print('"%s"' % hashlib.md5(data).hexdigest())
		else:
		    digests = b"".join(hashlib.md5(p).digest() for p in parts)
		    print('"%s-%d"' % (hashlib.md5(digests).hexdigest(), len(parts)))
	EOF
}

# head_object KEY: "LENGTH ETAG CONTENT-TYPE" of KEY, as the AWS CLI sees it.
head_object() {
	s3_aws s3api head-object --bucket "$S3_BUCKET" --key "$1" \
		--query '[ContentLength, ETag, ContentType]' --output text | tr '\t' ' '
}

# head_curl KEY: the same, as curl sees it (faster than the AWS CLI's 0.7 s).
head_curl() {
	s3curl -I "$S3_ENDPOINT/$S3_BUCKET/$1" | tr -d '\r' | awk -F': ' '
		tolower($1) == "content-length" { n = $2 } tolower($1) == "etag" { e = $2 }
		tolower($1) == "content-type" { t = $2 } END { print n, e, t }'
}

# The quirks of profile $P that changed an answer, as the log names them.
quirks_seen() {
	awk -v p="$P:" 'index($3, p) == 1 { print substr($3, length(p) + 1) }' "$FP_LOG" | sort -u | paste -sd ' '
}

# --- the round trips, the same for every profile

# check_put KEY FILE PART [S3PUT OPTION...]: s3put FILE through the proxy;
# the store then holds it whole, with the ETag of parts of PART bytes (the
# MD5 of the parts' MD5s: the parts themselves, checked).
check_put() {
	local key=$1 file=$2 part=$3
	shift 3
	run -0 --separate-stderr s3put --endpoint-url "$FP_URL" "$@" "s3://$S3_BUCKET/$P/$key" <"$file"
	run -0 head_curl "$P/$key"
	assert_output --regexp "^$(stat -c %s "$file") $(etag_of "$file" "$part") "
}

# One PutObject: application/octet-stream unless --content-type.
check_single_put() {
	check_put small "$D/small" 1000
	run -0 head_object "$P/small"
	assert_output "1000 $(etag_of "$D/small" 1000) application/octet-stream"
	run -0 grep -c "^PUT /$S3_BUCKET/$P/small " "$FP_LOG"
	assert_output 1
}

# Three parts of 5 MiB (the last shorter).
check_multipart() {
	check_put 10m "$D/10m" $((5 * MIB)) --part-size 5M
	run -0 grep -c "^PUT /$S3_BUCKET/$P/10m?partNumber=" "$FP_LOG"
	assert_output 3
}

# With --size-hint: parts of one size, chosen before the first (16 MiB, the
# default, is more than the hint asks for), so R2 takes them too.
check_size_hint() {
	check_put 16m "$D/16m" $((16 * MIB)) --size-hint 16M
	run -0 grep -c "^PUT /$S3_BUCKET/$P/16m?partNumber=" "$FP_LOG"
	assert_output 2
}

# Keys that a listing encodes, and dot segments: s3ls lists the keys
# themselves, s3get reads those objects and s3rm deletes those, not others.
KEYS=("a b" "a%b" "a+b" "a/../b" "a/./b" "é")	# in key order
PATHS=("a%20b" "a%25b" "a%2Bb" "a/../b" "a/./b" "%C3%A9")
check_keys() {
	local i want="" urls=() rest=()
	for i in "${!KEYS[@]}"; do
		s3curl --path-as-is -X PUT --data-binary "${KEYS[i]};" -o /dev/null \
			"$S3_ENDPOINT/$S3_BUCKET/$P/keys/${PATHS[i]}"
		want+="${KEYS[i]};"
		urls+=("s3://$S3_BUCKET/$P/keys/${KEYS[i]//%/%25}")
		[[ ${KEYS[i]} == "a b" ]] || rest+=("$P/keys/${KEYS[i]}")
	done
	run -0 --separate-stderr s3ls -r -1 --endpoint-url "$FP_URL" "s3://$S3_BUCKET/$P/keys/"
	assert_output "$(printf '%s\n' "${urls[@]}")"
	run -0 --separate-stderr bash -c 's3ls -r --endpoint-url "$1" "$2" | s3get --endpoint-url "$1"' \
		_ "$FP_URL" "s3://$S3_BUCKET/$P/keys/"
	assert_output "$want"
	run -0 --separate-stderr bash -c 's3ls -r --endpoint-url "$1" "$2" | grep -F "$3" | s3rm --endpoint-url "$1"' \
		_ "$FP_URL" "s3://$S3_BUCKET/$P/keys/" "/keys/a b"
	run -0 s3_aws s3api list-objects-v2 --bucket "$S3_BUCKET" --prefix "$P/keys/" \
		--query 'Contents[].Key' --output json
	assert_equal "$(python3 -c 'import json, sys; print("\n".join(json.load(sys.stdin)))' <<<"$output")" \
		"$(printf '%s\n' "${rest[@]}")"
	run -0 --separate-stderr bash -c 's3ls -r --endpoint-url "$1" "$2" | s3rm --endpoint-url "$1"' \
		_ "$FP_URL" "s3://$S3_BUCKET/$P/keys/"
	run -0 s3curl "$S3_ENDPOINT/$S3_BUCKET?list-type=2&prefix=$P%2Fkeys%2F"
	assert_output --partial "<KeyCount>0</KeyCount>"
}

# s3get of another client's multipart object: byte for byte, and checked.
check_get_multipart() {
	run -0 --separate-stderr bash -c 's3get --endpoint-url "$1" "$2" | cmp - "$3"' \
		_ "$FP_URL" "s3://$S3_BUCKET/aws-cli/8m" "$D/8m"
	run -0 grep -c "^HEAD /$S3_BUCKET/aws-cli/8m - 200$" "$FP_LOG"
	assert_output 1
}

# --if-none-match on a key that exists: exit 1 before a byte is sent (the
# stores differ in whether Complete keeps the condition; RGW 16's does not).
check_if_none_match() {
	s3curl -X PUT --data-binary "old" -o /dev/null "$S3_ENDPOINT/$S3_BUCKET/$P/inm"
	run -1 --separate-stderr s3put --if-none-match --endpoint-url "$FP_URL" --part-size 5M \
		"s3://$S3_BUCKET/$P/inm" <"$D/10m"
	assert_stderr_has "exists"
	run -0 head_object "$P/inm"
	assert_output --regexp "^3 \"$(printf old | md5sum | cut -d' ' -f1)\" "
	run -0 awk -v k="/$S3_BUCKET/$P/inm" '($1 == "PUT" || $1 == "POST") && index($2, k) == 1' "$FP_LOG"
	assert_output ""
}

# check_quirks WORDS: the quirks of the profile that the log shows were
# played, sorted ("" for none), so that a round trip is known to meet them.
check_quirks() {
	run -0 quirks_seen
	assert_output "$1"
}

# --- AWS S3

@test "aws: a small s3put is one PUT with a Content-Length, stored as application/octet-stream" {
	use aws
	check_single_put
	check_quirks ""
}

@test "aws: s3put in 5M parts retries a Complete answered 200 with an <Error>, and stores those parts" {
	use aws
	check_multipart
	check_quirks "complete_etag error_200"
}

@test "aws: s3put --size-hint: parts of one size, stored whole" {
	use aws
	check_size_hint
}

@test "aws: keys with a space, +, %, a/../b, a/./b and é: listed as themselves ('+' is a space), read and deleted" {
	use aws
	check_keys
	check_quirks "listing_encoding"
}

@test "aws: s3get of a multipart object, checked" {
	use aws
	check_get_multipart
}

@test "aws: s3put --if-none-match on an existing key exits 1, sends nothing, leaves the object" {
	use aws
	check_if_none_match
}

# --- MinIO

@test "minio: a small s3put is one PUT, stored as application/octet-stream" {
	use minio
	check_single_put
}

@test "minio: s3put in 5M parts retries a Complete answered 200 with an <Error>, and stores those parts" {
	use minio
	check_multipart
	check_quirks "complete_etag error_200"
}

@test "minio: keys with a space, +, %, a/../b, a/./b and é: listed as themselves ('+' is a space), read and deleted" {
	use minio
	check_keys
	check_quirks "listing_encoding"
}

@test "minio: s3get of a multipart object, checked" {
	use minio
	check_get_multipart
}

@test "minio: s3put --if-none-match on an existing key exits 1, sends nothing, leaves the object" {
	use minio
	check_if_none_match
}

# --- Cloudflare R2

@test "r2: a small s3put is one PUT, stored as application/octet-stream" {
	use r2
	check_single_put
}

@test "r2: s3put in 5M parts: every part but the last of one size, so R2 completes it" {
	use r2
	check_multipart
	check_quirks "complete_etag"
}

@test "r2: s3put --size-hint: parts of one size, so R2 completes it" {
	use r2
	check_size_hint
	check_quirks "complete_etag"
}

@test "r2: keys with a space, +, %, a/../b, a/./b and é: listed, read and deleted as themselves" {
	use r2
	check_keys
}

@test "r2: s3get of a multipart object: HEAD asked again without x-amz-checksum-mode (501), checked" {
	use r2
	check_get_multipart
	check_quirks "checksum_mode"
}

@test "r2: s3put --if-none-match on an existing key exits 1, sends nothing, leaves the object" {
	use r2
	check_if_none_match
}

# --- Backblaze B2

@test "b2: a small s3put is one PUT, stored as application/octet-stream" {
	use b2
	check_single_put
}

@test "b2: s3put in 5M parts completes and stores those parts" {
	use b2
	check_multipart
}

@test "b2: keys with a space, +, %, a/../b, a/./b and é: listed, read and deleted as themselves" {
	use b2
	check_keys
}

@test "b2: s3get of a multipart object: HEAD asked again without x-amz-checksum-mode (400), checked" {
	use b2
	check_get_multipart
	check_quirks "checksum_mode"
}

@test "b2: s3put --if-none-match on an existing key exits 1, sends nothing, leaves the object" {
	use b2
	check_if_none_match
}

# --- Ceph 18.2 and 19.2

@test "ceph18: s3put in 5M parts takes Complete's ETag without quotes and stores those parts" {
	use ceph18
	check_multipart
	check_quirks "complete_etag"
}

@test "ceph18: a small s3put is one PUT, stored as application/octet-stream" {
	use ceph18
	check_single_put
}

@test "ceph18: keys with a space, +, %, a/../b, a/./b and é: listed, read and deleted as themselves" {
	use ceph18
	check_keys
}

@test "ceph18: s3get of a multipart object, checked" {
	use ceph18
	check_get_multipart
}

@test "ceph18: s3put --if-none-match on an existing key exits 1, sends nothing, leaves the object" {
	use ceph18
	check_if_none_match
}

@test "ceph19: s3put in 5M parts takes Complete's ETag without quotes and stores those parts" {
	use ceph19
	check_multipart
	check_quirks "complete_etag"
}

@test "ceph19: a small s3put is one PUT, stored as application/octet-stream" {
	use ceph19
	check_single_put
}

@test "ceph19: keys with a space, +, %, a/../b, a/./b and é: listed, read and deleted as themselves" {
	use ceph19
	check_keys
}

@test "ceph19: s3get of a multipart object, checked" {
	use ceph19
	check_get_multipart
}

@test "ceph19: s3put --if-none-match on an existing key exits 1, sends nothing, leaves the object" {
	use ceph19
	check_if_none_match
}

# --- Ceph 16.2, as it is (an empty Complete ETag; If-None-Match ignored on Complete)

@test "ceph16: a small s3put is one PUT, stored as application/octet-stream" {
	use ceph16
	check_single_put
}

@test "ceph16: s3put in 5M parts, and with --size-hint, store those parts" {
	use ceph16
	check_multipart
	check_size_hint
	check_quirks ""
}

@test "ceph16: keys with a space, +, %, a/../b, a/./b and é: listed, read and deleted as themselves" {
	use ceph16
	check_keys
}

@test "ceph16: s3get of a multipart object, checked" {
	use ceph16
	check_get_multipart
}

@test "ceph16: s3put --if-none-match on an existing key exits 1 (Complete would overwrite it), sends nothing" {
	use ceph16
	check_if_none_match
}
