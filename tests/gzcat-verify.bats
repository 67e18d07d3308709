#!/usr/bin/env bats
# gzcat-verify: decompression, the checks of RFC 1952, the holdback of the
# end of the output, the messages and the options.
#
# SC2016: the bash -c scripts take their arguments as "$1"/"$@" on purpose.
# SC2030/SC2031: shellcheck takes each @test for a subshell, and so run's
# $output for lost.
# shellcheck disable=SC2016,SC2030,SC2031

load lib/common
load lib/gz

KIB=1024
MIB=$((1024 * 1024))

setup_file() {
	local d=$BATS_FILE_TMPDIR n

	for n in 0 1 2 3 65535 65536 65537; do
		gen_random "$n" "$n" >"$d/rand$n"
		gzip -n -c <"$d/rand$n" >"$d/rand$n.gz"
	done
	gen_random $((3 * MIB)) 3 >"$d/big"		# stored blocks
	gzip -n -c <"$d/big" >"$d/big.gz"
	gen_text $((2 * MIB)) 4 >"$d/dump.sql"		# Huffman blocks
	gzip -n -c <"$d/dump.sql" >"$d/dump.sql.gz"
	head -c $((240 * KIB)) "$d/dump.sql" >"$d/mid.sql"	# ~100 KiB of gzip
	gzip -n -c <"$d/mid.sql" >"$d/mid.sql.gz"
	printf 'hello, world\n' >"$d/hello"
	gzip -n -c <"$d/hello" >"$d/hello.gz"
	# A member with every optional header field, a few hundred bytes long.
	gen_text 600 5 >"$d/small.sql"
	gz_member 0x1f "$ALL_FIELDS" "$d/small.sql" >"$d/small.gz"
}

# The optional fields for flags 0x1f: FEXTRA (XLEN 10: one subfield "AB" of
# 6 bytes that look like a gzip header), FNAME, FCOMMENT. With the 10 fixed
# bytes and the 2 of FHCRC, the header is 44 bytes.
ALL_FIELDS='\x0a\x00AB\x06\x00\x1f\x8b\x08\x00\xff\x01small.sql\x00a comment\x00'
ALL_HEADER_LEN=44

setup() {
	D=$BATS_FILE_TMPDIR
	T=$BATS_TEST_TMPDIR
	OUT=$T/out
}

# gzv OUTFILE [ARGS...]: run gzcat-verify ARGS with standard output into
# OUTFILE (binary-safe, unlike run's $output); sets status and stderr.
gzv() {
	local out=$1
	shift
	status=0
	gzcat-verify "$@" >"$out" 2>"$T/stderr" || status=$?
	stderr=$(<"$T/stderr")
}

# assert_same FILE EXPECTED: identical bytes.
assert_same() {
	cmp -- "$1" "$2" || fail "$1 differs from $2"
}

assert_empty_file() {
	[ ! -s "$1" ] || fail "$1 has $(fsize "$1") bytes, expected none"
}

# assert_stderr_starts PREFIX
assert_stderr_starts() {
	[[ $stderr == "$1"* ]] || fail "stderr does not start with: $1
stderr: $stderr"
}

# assert_withheld OUT ORIGINAL HOLDBACK: OUT is a prefix of ORIGINAL that
# stops at least HOLDBACK bytes short of its end.
assert_withheld() {
	is_prefix "$1" "$2" || fail "the output is not a prefix of $2"
	(($(fsize "$1") + $3 <= $(fsize "$2"))) ||
		fail "$(fsize "$1") of $(fsize "$2") bytes written: less than $3 withheld"
}

# round_trip FILE [OPTIONS...]: FILE.gz decompresses to FILE, quietly.
round_trip() {
	local f=$1
	shift
	gzv "$OUT" "$@" "$f.gz"
	assert_status 0
	assert_equal "$stderr" ""
	assert_same "$OUT" "$f"
}

# hex8 N: N as the 8 hex digits of a CRC-32.
hex8() {
	printf %08x "$1"
}

# --- round trips -------------------------------------------------------

@test "round trip: 0 bytes" {
	round_trip "$D/rand0"
}

@test "round trip: 1 byte" {
	round_trip "$D/rand1"
}

@test "round trip: 2 bytes" {
	round_trip "$D/rand2"
}

@test "round trip: 3 bytes" {
	round_trip "$D/rand3"
}

@test "round trip: 64 KiB - 1 bytes" {
	round_trip "$D/rand65535"
}

@test "round trip: 64 KiB, exactly the holdback" {
	round_trip "$D/rand65536"
}

@test "round trip: 64 KiB + 1 bytes" {
	round_trip "$D/rand65537"
}

@test "round trip: 3 MiB of random bytes (stored blocks)" {
	round_trip "$D/big"
}

@test "round trip: 2 MiB of dump-like text (Huffman blocks)" {
	round_trip "$D/dump.sql"
}

@test "round trip: a name gzip stored (FNAME) is skipped" {
	cp "$D/mid.sql" "$T/named.sql"
	gzip -k "$T/named.sql"
	[ "$(le_at "$T/named.sql.gz" 3 1)" -eq 8 ] || fail "gzip stored no name"
	round_trip "$T/named.sql"
}

@test "standard input is read with no operand and for -, and named stdin" {
	gzv "$OUT" <"$D/rand65537.gz"
	assert_status 0
	assert_same "$OUT" "$D/rand65537"
	gzv "$OUT" - <"$D/rand65537.gz"
	assert_status 0
	assert_same "$OUT" "$D/rand65537"
	gzv "$OUT" - <"$D/hello"
	assert_status 1
	assert_stderr_starts "gzcat-verify: stdin: not in gzip format"
}

@test "input through a pipe a few bytes at a time decodes the same" {
	local i
	for i in $(seq 20); do
		gzip -n -c <"$D/rand$((i % 4))"
		gzip -n -c <"$D/small.sql"
	done >"$T/many.gz"
	for i in $(seq 20); do
		cat "$D/rand$((i % 4))" "$D/small.sql"
	done >"$T/many"
	run -0 bash -c 'dd bs=3 status=none <"$1" | gzcat-verify >"$2"' _ "$T/many.gz" "$OUT"
	assert_same "$OUT" "$T/many"
	run -0 bash -c 'dd bs=1000 status=none <"$1" | gzcat-verify >"$2"' _ "$D/dump.sql.gz" "$OUT"
	assert_same "$OUT" "$D/dump.sql"
}

# --- members -----------------------------------------------------------

@test "three members, the middle one empty: the concatenation, 3 members verified" {
	cat "$D/rand3.gz" "$D/rand0.gz" "$D/rand65537.gz" >"$T/three.gz"
	cat "$D/rand3" "$D/rand65537" >"$T/three"
	gzv "$OUT" -v - <"$T/three.gz"
	assert_status 0
	assert_same "$OUT" "$T/three"
	assert_regex "$stderr" "^gzcat-verify: stdin: ok, 3 members, $(fsize "$T/three.gz") -> 65540 bytes \(.*\), crc32 $(hex8 "$(crc32 "$T/three")"), (isa-l|zlib)\$"
}

@test "empty members first and last are members too" {
	cat "$D/rand0.gz" "$D/hello.gz" "$D/rand0.gz" >"$T/e.gz"
	gzv "$OUT" -v - <"$T/e.gz"
	assert_status 0
	assert_same "$OUT" "$D/hello"
	assert_stderr_has ": ok, 3 members, "
}

@test "a hundred one-line members" {
	local i
	for i in $(seq 100); do
		printf 'line %d\n' "$i" | gzip -n -c
	done >"$T/lines.gz"
	gzv "$OUT" -v "$T/lines.gz"
	assert_status 0
	seq -f 'line %g' 100 | cmp - "$OUT"
	assert_stderr_has ": ok, 100 members, "
}

@test "pigz output verifies: one member of many blocks, and pigz members concatenated" {
	command -v pigz >/dev/null || skip "pigz is not installed"
	pigz -n -c -p 4 -b 32 <"$D/dump.sql" >"$T/p.gz"
	gzv "$OUT" "$T/p.gz"
	assert_status 0
	assert_same "$OUT" "$D/dump.sql"
	pigz -n -c -i -p 2 -b 32 <"$D/big" >"$T/pi.gz"
	{ pigz -n -c <"$D/mid.sql"; cat "$T/pi.gz"; pigz -n -c <"$D/rand0"; } >"$T/pm.gz"
	cat "$D/mid.sql" "$D/big" >"$T/pm"
	gzv "$OUT" -v "$T/pm.gz"
	assert_status 0
	assert_same "$OUT" "$T/pm"
	assert_stderr_has ": ok, 3 members, "
}

@test "damage in the second member names member 2 and its offset" {
	cat "$D/hello.gz" "$D/small.gz" >"$T/two.gz"
	local size crc
	size=$(fsize "$T/two.gz")
	crc=$(le_at "$T/two.gz" $((size - 8)) 4)
	put_byte "$T/two.gz" $((size - 5)) $(((crc >> 24) ^ 0x80))
	gzv "$OUT" "$T/two.gz"
	assert_status 1
	assert_equal "$stderr" "gzcat-verify: $T/two.gz: corrupted at byte $((size - 8)) (member 2): crc32 mismatch (stored $(hex8 $((crc ^ 0x80000000))), computed $(hex8 "$crc"))"
	assert_empty_file "$OUT"
}

@test "a bad method in the second member is reported at its offset" {
	{ cat "$D/hello.gz"; gz_header 0 '' 7; deflate_tail "$D/hello"; } >"$T/two.gz"
	gzv "$OUT" "$T/two.gz"
	assert_status 1
	assert_stderr_starts "gzcat-verify: $T/two.gz: corrupted at byte $(($(fsize "$D/hello.gz") + 2)) (member 2): unknown compression method 7"
	assert_empty_file "$OUT"
}

# --- header fields -----------------------------------------------------

# header_round_trip FLAGS FIELDS: a member of mid.sql with that header
# decompresses intact, and gzip agrees that the fixture is valid.
header_round_trip() {
	gz_member "$1" "$2" "$D/mid.sql" >"$T/h.gz"
	gzip -t "$T/h.gz" 2>/dev/null || fail "gzip -t rejects the fixture"
	gzv "$OUT" "$T/h.gz"
	assert_status 0
	assert_equal "$stderr" ""
	assert_same "$OUT" "$D/mid.sql"
}

@test "header flag FTEXT is accepted" {
	header_round_trip 0x01 ''
}

@test "header flag FEXTRA: a subfield is skipped" {
	header_round_trip 0x04 '\x0a\x00AB\x06\x00\x1f\x8b\x08\x00\xff\x01'
}

@test "header flag FEXTRA: XLEN 0, and an XLEN over 255" {
	header_round_trip 0x04 '\x00\x00'
	header_round_trip 0x04 "\\x04\\x01XY\\x00\\x01$(printf '\\x00%.0s' $(seq 256))"
}

@test "header flag FNAME is skipped" {
	header_round_trip 0x08 'dump.sql\x00'
}

@test "header flag FCOMMENT is skipped" {
	header_round_trip 0x10 'nightly backup \x1f\x8b\x08\x00'
}

@test "header flag FHCRC with the right header CRC is accepted" {
	header_round_trip 0x02 ''
}

@test "all header flags together, fields in the order of RFC 1952" {
	header_round_trip 0x1f "$ALL_FIELDS"
	gzv "$OUT" "$D/small.gz"
	assert_status 0
	assert_same "$OUT" "$D/small.sql"
}

@test "header fields in a second member, with its own header CRC" {
	cat "$D/hello.gz" "$D/small.gz" "$D/small.gz" >"$T/m.gz"
	cat "$D/hello" "$D/small.sql" "$D/small.sql" >"$T/m"
	gzv "$OUT" "$T/m.gz"
	assert_status 0
	assert_same "$OUT" "$T/m"
}

@test "a wrong FHCRC is a header crc mismatch at the CRC's offset" {
	local good
	gz_member 0x0a 'x.sql\x00' "$D/hello" >"$T/h.gz"
	good=$(le_at "$T/h.gz" 16 2)
	put_byte "$T/h.gz" 16 $(((good & 0xff) ^ 0x5a))
	gzv "$OUT" "$T/h.gz"
	assert_status 1
	assert_equal "$stderr" "gzcat-verify: $T/h.gz: corrupted at byte 16 (member 1): header crc mismatch (stored $(printf %04x $((good ^ 0x5a))), computed $(printf %04x "$good"))"
	assert_empty_file "$OUT"
}

@test "a header byte changed under FHCRC is a header crc mismatch" {
	gz_member 0x02 '' "$D/hello" >"$T/h.gz"
	put_byte "$T/h.gz" 9 0x07	# OS, covered by the header CRC
	gzv "$OUT" "$T/h.gz"
	assert_status 1
	assert_stderr_starts "gzcat-verify: $T/h.gz: corrupted at byte 10 (member 1): header crc mismatch (stored "
}

@test "reserved flag bits (0x20, 0x40, 0x80) are an error at byte 3" {
	local f
	for f in 0x20 0x40 0x80 0xe1; do
		{ gz_header "$f"; deflate_tail "$D/hello"; } >"$T/r.gz"
		gzv "$OUT" "$T/r.gz"
		assert_status 1
		assert_equal "$stderr" "gzcat-verify: $T/r.gz: corrupted at byte 3 (member 1): reserved flag bits set (flags $(printf %#04x "$f"))"
		assert_empty_file "$OUT"
	done
}

@test "compression method 7 (or anything but 8) is an error at byte 2" {
	local m
	for m in 7 0 9 255; do
		{ gz_header 0 '' "$m"; deflate_tail "$D/hello"; } >"$T/m.gz"
		gzv "$OUT" "$T/m.gz"
		assert_status 1
		assert_stderr_starts "gzcat-verify: $T/m.gz: corrupted at byte 2 (member 1): unknown compression method $m"
		assert_empty_file "$OUT"
	done
}

# --- truncation --------------------------------------------------------

@test "truncated at every byte of a small file with every header field: exit 1, nothing written, the place named" {
	local gz=$D/small.gz size len rc where bad=()
	size=$(fsize "$gz")
	for ((len = 1; len < size; len++)); do
		rc=0
		head -c "$len" "$gz" | gzcat-verify >"$OUT" 2>"$T/err" || rc=$?
		if ((len < ALL_HEADER_LEN)); then
			where="in the header"
		elif ((len < size - 8)); then
			where="in the deflate data"
		else
			where="in the trailer"
		fi
		[ "$rc" -eq 1 ] || bad+=("$len: exit $rc")
		[ ! -s "$OUT" ] || bad+=("$len: $(fsize "$OUT") bytes written")
		[ "$(<"$T/err")" = "gzcat-verify: stdin: corrupted at byte $len (member 1): unexpected end of input $where" ] ||
			bad+=("$len: $(<"$T/err")")
	done
	((${#bad[@]} == 0)) || fail "$(printf 'prefix of %s\n' "${bad[@]:0:20}")"
}

@test "truncated at 50 points of a 2 MiB file: exit 1, and the last 64 KiB withheld" {
	local gz=$D/dump.sql.gz size len rc i
	size=$(fsize "$gz")
	for len in $(for ((i = 1; i < 50; i++)); do echo $((size * i / 50)); done) \
		$((size - 9)) $((size - 8)) $((size - 4)) $((size - 1)); do
		rc=0
		head -c "$len" "$gz" | gzcat-verify >"$OUT" 2>"$T/err" || rc=$?
		[ "$rc" -eq 1 ] || fail "prefix of $len: exit $rc: $(<"$T/err")"
		[[ $(<"$T/err") == "gzcat-verify: stdin: corrupted at byte $len (member 1): unexpected end of input in the "* ]] ||
			fail "prefix of $len: $(<"$T/err")"
		assert_withheld "$OUT" "$D/dump.sql" $((64 * KIB))
	done
}

@test "truncated inside the deflate data: exits 1 and withholds the last 64 KiB" {
	local len=$(($(fsize "$D/big.gz") - 1000))
	head -c "$len" "$D/big.gz" >"$T/t.gz"
	gzv "$OUT" "$T/t.gz"
	assert_status 1
	assert_equal "$stderr" "gzcat-verify: $T/t.gz: corrupted at byte $len (member 1): unexpected end of input in the deflate data"
	assert_withheld "$OUT" "$D/big" $((64 * KIB))
	# Memory is about the holdback plus 1.3 MiB: the rest streamed out.
	(($(fsize "$OUT") >= MIB)) || fail "only $(fsize "$OUT") bytes written"
}

@test "truncated in the header and in the trailer: the messages" {
	head -c 5 "$D/hello.gz" >"$T/t.gz"
	gzv "$OUT" "$T/t.gz"
	assert_status 1
	assert_equal "$stderr" "gzcat-verify: $T/t.gz: corrupted at byte 5 (member 1): unexpected end of input in the header"
	head -c -3 "$D/hello.gz" >"$T/t.gz"
	gzv "$OUT" "$T/t.gz"
	assert_status 1
	assert_equal "$stderr" "gzcat-verify: $T/t.gz: corrupted at byte $(($(fsize "$D/hello.gz") - 3)) (member 1): unexpected end of input in the trailer"
	assert_empty_file "$OUT"
}

@test "truncated in the second member's header: member 2 named, nothing written" {
	{ cat "$D/hello.gz"; head -c 7 "$D/hello.gz"; } >"$T/t.gz"
	gzv "$OUT" "$T/t.gz"
	assert_status 1
	assert_equal "$stderr" "gzcat-verify: $T/t.gz: corrupted at byte $(($(fsize "$D/hello.gz") + 7)) (member 2): unexpected end of input in the header"
	assert_empty_file "$OUT"
}

# --- damage ------------------------------------------------------------

# Damage found only by the CRC comes to light at the end of the member, so
# with the default holdback the damaged bytes before the last 64 KiB have
# already been written (the inherent limit of streaming; see the truncation
# tests and the next ones for the default). A holdback larger than the
# whole output makes the promise sharp: on any failure, nothing at all.
@test "one byte changed, 100 times over a 100 KiB file: always detected, nothing withheld written" {
	local gz=$D/mid.sql.gz size off old new rc i bad=()
	size=$(fsize "$gz")
	RANDOM=1952
	for ((i = 0; i < 100; i++)); do
		off=$(((RANDOM << 15 | RANDOM) % size))
		old=$(le_at "$gz" "$off" 1)
		new=$(((old + 1 + RANDOM % 255) % 256))
		cp "$gz" "$T/x.gz"
		put_byte "$T/x.gz" "$off" "$new"
		rc=0
		gzcat-verify --holdback 1M "$T/x.gz" >"$OUT" 2>"$T/err" || rc=$?
		if [ "$rc" -eq 0 ]; then
			# Undetectable, and harmless: MTIME, XFL and OS (bytes 4-9),
			# FLG becoming FTEXT, or the unused bits that pad the last
			# byte of the deflate data.
			if ! { ((off >= 4 && off <= 9)) || ((off == 3 && new == 1)) ||
				((off == size - 9)); }; then
				bad+=("byte $off $old -> $new: not detected")
			elif ! cmp -s "$OUT" "$D/mid.sql"; then
				bad+=("byte $off $old -> $new: exit 0 with different output")
			fi
		elif [ "$rc" -ne 1 ]; then
			bad+=("byte $off $old -> $new: exit $rc: $(<"$T/err")")
		elif [ -s "$OUT" ]; then
			bad+=("byte $off $old -> $new: $(fsize "$OUT") bytes written")
		elif [[ $(<"$T/err") != "gzcat-verify: $T/x.gz: corrupted at byte "* &&
			$(<"$T/err") != "gzcat-verify: $T/x.gz: not in gzip format"* ]]; then
			bad+=("byte $off $old -> $new: message $(<"$T/err")")
		fi
	done
	((${#bad[@]} == 0)) || fail "$(printf '%s\n' "${bad[@]}")"
}

@test "crc32 mismatch: reported at the trailer's offset with both values, nothing written" {
	local size crc
	cp "$D/rand65537.gz" "$T/c.gz"
	size=$(fsize "$T/c.gz")
	crc=$(le_at "$T/c.gz" $((size - 8)) 4)
	put_byte "$T/c.gz" $((size - 8)) $(((crc & 0xff) ^ 0xff))
	gzv "$OUT" "$T/c.gz"
	assert_status 1
	assert_equal "$stderr" "gzcat-verify: $T/c.gz: corrupted at byte $((size - 8)) (member 1): crc32 mismatch (stored $(hex8 $((crc ^ 0xff))), computed $(hex8 "$crc"))"
	assert_withheld "$OUT" "$D/rand65537" $((64 * KIB))
}

@test "length mismatch: reported at ISIZE's offset with both values" {
	local size
	cp "$D/rand65537.gz" "$T/c.gz"
	size=$(fsize "$T/c.gz")
	put_byte "$T/c.gz" $((size - 4)) 2	# 65537 is 0x00010001
	gzv "$OUT" "$T/c.gz"
	assert_status 1
	assert_equal "$stderr" "gzcat-verify: $T/c.gz: corrupted at byte $((size - 4)) (member 1): length mismatch (stored 65538, computed 65537 mod 2^32)"
	assert_withheld "$OUT" "$D/rand65537" $((64 * KIB))
}

@test "invalid deflate data: a block of the reserved type 3" {
	{ gz_header 0; printf '\x07'; head -c 100 /dev/zero; } >"$T/d.gz"
	gzv "$OUT" "$T/d.gz"
	assert_status 1
	assert_regex "$stderr" "^gzcat-verify: $T/d.gz: corrupted at byte [0-9]+ \(member 1\): invalid deflate data \(.+\)\$"
	local at=${stderr#*byte }
	at=${at%% *}
	# The damaged byte is byte 10; an inflater may have read a little past it.
	((at >= 10 && at <= 19)) || fail "reported at byte $at"
	assert_empty_file "$OUT"
}

@test "invalid deflate data: a stored block whose lengths disagree" {
	{ gz_header 0; printf '\x01\x05\x00\x00\x00hello'; head -c 100 /dev/zero; } >"$T/d.gz"
	gzv "$OUT" "$T/d.gz"
	assert_status 1
	assert_stderr_starts "gzcat-verify: $T/d.gz: corrupted at byte "
	assert_stderr_has " (member 1): invalid deflate data ("
	assert_empty_file "$OUT"
}

@test "a byte changed in the last 64 KiB of the data: crc32 mismatch, and an intact prefix 64 KiB short" {
	# big.gz is stored blocks: the byte 20000 before the end of the deflate
	# data is the output byte 20000 before the end, inside the holdback.
	local size
	cp "$D/big.gz" "$T/d.gz"
	size=$(fsize "$T/d.gz")
	put_byte "$T/d.gz" $((size - 20000)) $(($(le_at "$T/d.gz" $((size - 20000)) 1) ^ 0x10))
	gzv "$OUT" "$T/d.gz"
	assert_status 1
	assert_stderr_starts "gzcat-verify: $T/d.gz: corrupted at byte $((size - 8)) (member 1): crc32 mismatch"
	assert_withheld "$OUT" "$D/big" $((64 * KIB))
}

# --- not gzip ----------------------------------------------------------

@test "empty input on stdin: 'stdin: empty input', exit 1" {
	gzv "$OUT" </dev/null
	assert_status 1
	assert_equal "$stderr" "gzcat-verify: stdin: empty input"
	assert_empty_file "$OUT"
}

@test "an empty file is named in the message" {
	: >"$T/empty.gz"
	gzv "$OUT" "$T/empty.gz"
	assert_status 1
	assert_equal "$stderr" "gzcat-verify: $T/empty.gz: empty input"
}

@test "plain SQL: not in gzip format, with the plain text hint" {
	printf 'SET statement_timeout = 0;\nCREATE TABLE t (id int);\n' >"$T/dump.sql"
	gzv "$OUT" "$T/dump.sql"
	assert_status 1
	assert_stderr_starts "gzcat-verify: $T/dump.sql: not in gzip format"
	assert_stderr_has "plain text"
	assert_empty_file "$OUT"
}

@test "a pg_dump custom archive: not in gzip format, with the pg_restore hint" {
	{ printf 'PGDMP\x01\x0f\x00\x04\x08\x01\x01'; head -c 200 "$D/rand65537"; } >"$T/dump.custom"
	gzv "$OUT" "$T/dump.custom"
	assert_status 1
	assert_stderr_starts "gzcat-verify: $T/dump.custom: not in gzip format"
	assert_stderr_has "pg_restore"
}

@test "zstd, xz, bzip2, zip and tar data: not in gzip format, each with its hint" {
	local magic hint
	while IFS='|' read -r magic hint; do
		{ printf '%b' "$magic"; head -c 600 "$D/rand65537"; } >"$T/x"
		gzv "$OUT" - <"$T/x"
		assert_status 1
		assert_stderr_starts "gzcat-verify: stdin: not in gzip format"
		assert_stderr_has "$hint"
	done <<-'EOF'
		\x28\xb5\x2f\xfd|zstd
		\xfd7zXZ\x00|xz
		BZh9|bzip2
		PK\x03\x04|zip
	EOF
	{ head -c 257 /dev/zero; printf 'ustar\x0000'; head -c 250 /dev/zero; } >"$T/x"
	gzv "$OUT" - <"$T/x"
	assert_status 1
	assert_stderr_starts "gzcat-verify: stdin: not in gzip format"
	assert_stderr_has "tar"
}

@test "binary data of no known kind: not in gzip format" {
	{ printf '\x1f\x00'; head -c 100 "$D/rand65537"; } >"$T/x"
	gzv "$OUT" - <"$T/x"
	assert_status 1
	assert_stderr_starts "gzcat-verify: stdin: not in gzip format"
}

# --- after the last member ---------------------------------------------

@test "junk after the last member: trailing garbage at its offset, nothing written" {
	local size
	size=$(fsize "$D/hello.gz")
	{ cat "$D/hello.gz"; printf 'junk\n'; } >"$T/g.gz"
	gzv "$OUT" "$T/g.gz"
	assert_status 1
	assert_stderr_starts "gzcat-verify: $T/g.gz: corrupted at byte $size: trailing garbage after member 1"
	assert_empty_file "$OUT"
	{ cat "$D/hello.gz" "$D/hello.gz"; printf '\x1f\x9d'; } >"$T/g.gz"
	gzv "$OUT" "$T/g.gz"
	assert_status 1
	assert_stderr_starts "gzcat-verify: $T/g.gz: corrupted at byte $((2 * size)): trailing garbage after member 2"
}

@test "--ignore-trailing-garbage accepts junk after the last member, output identical" {
	{ cat "$D/rand65537.gz"; printf 'junk'; head -c 5000 "$D/rand65537"; } >"$T/g.gz"
	gzv "$OUT" --ignore-trailing-garbage "$T/g.gz"
	assert_status 0
	assert_same "$OUT" "$D/rand65537"
}

@test "trailing zero bytes (block padding) are accepted with a warning" {
	{ cat "$D/rand65537.gz"; head -c 512 /dev/zero; } >"$T/z.gz"
	gzv "$OUT" "$T/z.gz"
	assert_status 0
	assert_same "$OUT" "$D/rand65537"
	assert_stderr_starts "gzcat-verify: $T/z.gz: ignored 512 trailing zero bytes"
}

@test "zero bytes followed by anything else are trailing garbage from the zeros on" {
	local size
	size=$(fsize "$D/hello.gz")
	{ cat "$D/hello.gz"; head -c 10 /dev/zero; cat "$D/hello.gz"; } >"$T/z.gz"
	gzv "$OUT" "$T/z.gz"
	assert_status 1
	assert_stderr_starts "gzcat-verify: $T/z.gz: corrupted at byte $size: trailing garbage after member 1"
	assert_empty_file "$OUT"
}

# --- options -----------------------------------------------------------

@test "-f copies plain text through unchanged" {
	gzv "$OUT" -f "$D/small.sql"
	assert_status 0
	assert_equal "$stderr" ""
	assert_same "$OUT" "$D/small.sql"
	gzv "$OUT" --force - <"$D/dump.sql"
	assert_status 0
	assert_same "$OUT" "$D/dump.sql"
}

@test "-f copies a one-byte non-gzip file through unchanged" {
	printf '\n' >"$T/nl"
	gzv "$OUT" -f "$T/nl"
	assert_status 0
	assert_same "$OUT" "$T/nl"
	printf '\x1f' >"$T/one"
	gzv "$OUT" -f "$T/one"
	assert_status 0
	assert_same "$OUT" "$T/one"
}

@test "-f copies other binary data through when stdout is not a terminal" {
	{ printf 'PGDMP'; cat "$D/rand65537"; } >"$T/dump.custom"
	gzv "$OUT" -f "$T/dump.custom"
	assert_status 0
	assert_same "$OUT" "$T/dump.custom"
}

@test "-f still decompresses and verifies gzip input" {
	gzv "$OUT" -f "$D/rand65537.gz"
	assert_status 0
	assert_same "$OUT" "$D/rand65537"
	head -c 1000 "$D/rand65537.gz" >"$T/t.gz"
	gzv "$OUT" -f "$T/t.gz"
	assert_status 1
	assert_stderr_starts "gzcat-verify: $T/t.gz: corrupted at byte 1000 (member 1): unexpected end of input in the deflate data"
	assert_empty_file "$OUT"
}

@test "-f on empty input: still empty input, exit 1" {
	gzv "$OUT" -f </dev/null
	assert_status 1
	assert_equal "$stderr" "gzcat-verify: stdin: empty input"
}

@test "-t writes nothing and exits 0 on good data" {
	gzv "$OUT" -t "$D/dump.sql.gz"
	assert_status 0
	assert_equal "$stderr" ""
	assert_empty_file "$OUT"
	gzv "$OUT" --test - <"$D/big.gz"
	assert_status 0
	assert_empty_file "$OUT"
}

@test "-t exits 1 on damaged data and still writes nothing" {
	head -c -1 "$D/big.gz" >"$T/t.gz"
	gzv "$OUT" -t "$T/t.gz"
	assert_status 1
	assert_stderr_starts "gzcat-verify: $T/t.gz: corrupted at byte $(fsize "$T/t.gz") (member 1): unexpected end of input in the trailer"
	assert_empty_file "$OUT"
}

@test "-v prints a summary line on stderr after success" {
	gzv "$OUT" -t --verbose - <"$D/dump.sql.gz"
	assert_status 0
	assert_regex "$stderr" "^gzcat-verify: stdin: ok, 1 member, $(fsize "$D/dump.sql.gz") -> $((2 * MIB)) bytes \(.*%\), crc32 $(hex8 "$(crc32 "$D/dump.sql")"), (isa-l|zlib)\$"
}

@test "-v prints no summary for damaged input" {
	head -c 20 "$D/hello.gz" >"$T/t.gz"
	gzv "$OUT" -v "$T/t.gz"
	assert_status 1
	[[ $stderr != *": ok, "* ]] || fail "summary printed: $stderr"
}

@test "--holdback 0 round trip" {
	round_trip "$D/dump.sql" --holdback 0
	round_trip "$D/rand1" --holdback 0
}

@test "--holdback 1M round trip" {
	round_trip "$D/big" --holdback 1M
	round_trip "$D/rand65537" --holdback 1M
}

@test "--holdback 1M on a truncated 3 MiB file writes at most size - 1 MiB" {
	local size len
	size=$(fsize "$D/big.gz")
	for len in $((size / 2)) $((size - 9)) $((size - 1)); do
		head -c "$len" "$D/big.gz" >"$T/t.gz"
		gzv "$OUT" --holdback 1M "$T/t.gz"
		assert_status 1
		assert_withheld "$OUT" "$D/big" "$MIB"
	done
}

@test "--holdback 0 on a truncated file: what was written is a prefix" {
	head -c -9 "$D/dump.sql.gz" >"$T/t.gz"
	gzv "$OUT" --holdback 0 "$T/t.gz"
	assert_status 1
	assert_withheld "$OUT" "$D/dump.sql" 0
}

@test "--holdback takes the units of the manual" {
	round_trip "$D/rand65537" --holdback 100K
	round_trip "$D/rand65537" --holdback 100kB
	round_trip "$D/rand65537" --holdback=2000
}

@test "a bad --holdback value exits 2" {
	local v
	for v in abc 10X -1 '' 1.5 64Q; do
		gzv "$OUT" --holdback "$v" "$D/hello.gz"
		[ "$status" -eq 2 ] || fail "--holdback '$v': exit $status"
		assert_stderr_starts "gzcat-verify: --holdback $v"
		assert_empty_file "$OUT"
	done
}

@test "--help prints the usage on stdout and exits 0" {
	run -0 --separate-stderr gzcat-verify --help
	assert_line --index 0 "Usage: gzcat-verify [options] [FILE...]"
	assert_output --partial "--holdback"
	assert_equal "$stderr" ""
	run -0 gzcat-verify -h
	assert_line --index 0 --partial "Usage: gzcat-verify"
}

@test "--version prints the version and exits 0" {
	run -0 gzcat-verify --version
	assert_output --regexp '^gzcat-verify [0-9]+\.[0-9]+'
}

@test "an unknown option exits 2 with the usage on stderr" {
	run -2 --separate-stderr gzcat-verify --no-such-option "$D/hello.gz"
	assert_output ""
	assert_stderr_has "Usage: gzcat-verify"
	run -2 --separate-stderr gzcat-verify -Z "$D/hello.gz"
	assert_output ""
	run -2 --separate-stderr gzcat-verify --holdback
	assert_output ""
}

@test "--progress does not change the output" {
	gzv "$OUT" --progress "$D/big.gz"
	assert_status 0
	assert_same "$OUT" "$D/big"
	assert_stderr_has "100%"
}

@test "a terminal as standard input is refused with exit 2" {
	command -v script >/dev/null || skip "script (util-linux) is not installed"
	run -2 script -qec gzcat-verify /dev/null </dev/null
	assert_output --partial "gzcat-verify: stdin: refusing to read compressed data from a terminal"
}

# --- several files -----------------------------------------------------

@test "several files: the output is their concatenation" {
	cat "$D/hello" "$D/rand65537" "$D/rand0" "$D/small.sql" >"$T/all"
	gzv "$OUT" "$D/hello.gz" "$D/rand65537.gz" - "$D/small.gz" <"$D/rand0.gz"
	assert_status 0
	assert_equal "$stderr" ""
	assert_same "$OUT" "$T/all"
}

@test "after a damaged file, later files are verified and reported but none of their output is written" {
	head -c -1 "$D/rand65537.gz" >"$T/bad.gz"
	head -c 30 "$D/small.gz" >"$T/bad2.gz"
	cat "$D/hello" "$D/dump.sql" >"$T/before"
	gzv "$OUT" "$D/hello.gz" "$D/dump.sql.gz" "$T/bad.gz" "$D/mid.sql.gz" "$T/bad2.gz" "$D/hello.gz"
	assert_status 1
	# Files before the damage were verified and written whole; the damaged
	# file's output stops at least 64 KiB short; nothing after it.
	is_prefix "$T/before" "$OUT" || fail "the files before the damaged one are not all there"
	cat "$T/before" "$D/rand65537" >"$T/upto"
	(($(fsize "$OUT") + 64 * KIB <= $(fsize "$T/upto"))) ||
		fail "$(($(fsize "$OUT") - $(fsize "$T/before"))) bytes written after the files before the damaged one; at most $(($(fsize "$T/upto") - 64 * KIB - $(fsize "$T/before"))) may be"
	assert_withheld "$OUT" "$T/upto" $((64 * KIB))
	assert_equal "$stderr" "gzcat-verify: $T/bad.gz: corrupted at byte $(fsize "$T/bad.gz") (member 1): unexpected end of input in the trailer
gzcat-verify: $T/bad2.gz: corrupted at byte 30 (member 1): unexpected end of input in the header"
}

@test "after a missing file, later files are verified but none of their output is written" {
	gzv "$OUT" "$D/hello.gz" "$T/missing.gz" "$D/small.gz"
	assert_status 1
	assert_stderr_starts "gzcat-verify: $T/missing.gz: cannot open"
	assert_same "$OUT" "$D/hello"
}

@test "a directory operand: 'read error: Is a directory', exit 1, and later files only verified" {
	gzv "$OUT" "$D/hello.gz" "$T" "$D/small.gz"
	assert_status 1
	assert_equal "$stderr" "gzcat-verify: $T: read error: Is a directory"
	assert_same "$OUT" "$D/hello"
}

@test "a directory as standard input, with -f and with -t: the read error and its errno, never 'empty input'" {
	gzv "$OUT" <"$T"
	assert_status 1
	assert_equal "$stderr" "gzcat-verify: stdin: read error: Is a directory"
	assert_empty_file "$OUT"
	gzv "$OUT" -f "$T"
	assert_status 1
	assert_equal "$stderr" "gzcat-verify: $T: read error: Is a directory"
	assert_empty_file "$OUT"
	gzv "$OUT" -t - <"$T"
	assert_status 1
	assert_equal "$stderr" "gzcat-verify: stdin: read error: Is a directory"
}

# with_read_shim MODE ARGS...: run gzcat-verify ARGS with read(2) on standard
# input made to fail by a preloaded library: MODE "eintr" fails every other
# read with EINTR (and returns at most 4 KiB); "eio=N" fails with EIO once N
# bytes were read. Output into $OUT; skips when no C compiler can build the
# library, or when the build under test cannot be interposed (a static
# sanitizer runtime defines read itself).
with_read_shim() {
	local mode=$1 shim=$BATS_FILE_TMPDIR/readshim.so
	shift
	if [ ! -e "$shim" ]; then
		command -v cc >/dev/null || skip "no C compiler for the read(2) shim"
		cat >"$BATS_FILE_TMPDIR/readshim.c" <<'C'
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static long long got;
static unsigned calls;

static void
mark(void)
{
	const char *m = getenv("READSHIM_MARK");
	int fd = m ? open(m, O_WRONLY | O_CREAT, 0600) : -1;

	if (fd >= 0)
		close(fd);
}

ssize_t
read(int fd, void *buf, size_t len)
{
	static ssize_t (*next)(int, void *, size_t);
	const char *mode = getenv("READSHIM");
	ssize_t n;

	if (next == NULL)
		next = (ssize_t (*)(int, void *, size_t))dlsym(RTLD_NEXT, "read");
	if (fd == 0 && mode && strcmp(mode, "eintr") == 0) {
		if (calls++ % 2 == 0) {
			mark();
			errno = EINTR;
			return -1;
		}
		if (len > 4096)
			len = 4096;
	}
	if (fd == 0 && mode && strncmp(mode, "eio=", 4) == 0 && got >= atoll(mode + 4)) {
		mark();
		errno = EIO;
		return -1;
	}
	n = next(fd, buf, len);
	if (fd == 0 && n > 0)
		got += n;
	return n;
}
C
		cc -shared -fPIC -o "$shim" "$BATS_FILE_TMPDIR/readshim.c" -ldl ||
			skip "the read(2) shim does not build"
	fi
	rm -f "$T/shim-hit"
	status=0
	READSHIM=$mode READSHIM_MARK=$T/shim-hit LD_PRELOAD=$shim \
		ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0 \
		gzcat-verify "$@" >"$OUT" 2>"$T/stderr" || status=$?
	stderr=$(<"$T/stderr")
	[ -e "$T/shim-hit" ] || skip "read(2) of this build cannot be interposed"
}

@test "reads interrupted by a signal (EINTR) are restarted: the output is whole, exit 0" {
	with_read_shim eintr <"$D/dump.sql.gz"
	assert_status 0
	assert_equal "$stderr" ""
	assert_same "$OUT" "$D/dump.sql"
	with_read_shim eintr -f <"$D/dump.sql"
	assert_status 0
	assert_equal "$stderr" ""
	assert_same "$OUT" "$D/dump.sql"
}

@test "a read error part way (EIO): 'read error: Input/output error', exit 1, the last 64 KiB withheld" {
	with_read_shim eio=300000 <"$D/dump.sql.gz"
	assert_status 1
	assert_equal "$stderr" "gzcat-verify: stdin: read error: Input/output error"
	assert_withheld "$OUT" "$D/dump.sql" $((64 * KIB))
	with_read_shim eio=0 <"$D/dump.sql.gz"
	assert_status 1
	assert_equal "$stderr" "gzcat-verify: stdin: read error: Input/output error"
	assert_empty_file "$OUT"
}

@test "a read error part way with -f: the read error with its errno, exit 1" {
	with_read_shim eio=300000 -f <"$D/dump.sql"
	assert_status 1
	assert_equal "$stderr" "gzcat-verify: stdin: read error: Input/output error"
	is_prefix "$OUT" "$D/dump.sql" || fail "the output is not a prefix of the input"
}

# --- the reader of the output ------------------------------------------

# epipe ARGS...: run gzcat-verify ARGS | head -c 1; output is its status.
epipe() {
	run --separate-stderr bash -c 'set +o pipefail
		gzcat-verify "$@" | head -c 1 >/dev/null
		echo "${PIPESTATUS[0]}"' _ "$@"
	if [ "$output" != 0 ] || [ -n "$stderr" ]; then
		fail "gzcat-verify $* | head -c 1: exit $output, stderr: $stderr"
	fi
}

@test "EPIPE under | head -c 1 is quiet and exits 0" {
	epipe "$D/big.gz"
}

@test "EPIPE while releasing the holdback, with -f, and with several files: quiet, exit 0" {
	epipe --holdback 4M "$D/big.gz"
	epipe -f "$D/dump.sql"
	epipe "$D/hello.gz" "$D/dump.sql.gz" "$D/big.gz"
}

@test "a write error on stdout exits 1 with a message" {
	[ -w /dev/full ] || skip "no /dev/full"
	run -1 --separate-stderr bash -c 'gzcat-verify "$1" >/dev/full' _ "$D/big.gz"
	assert_stderr_has "write error"
}
