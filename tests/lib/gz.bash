# Helpers for suites that make gzip fixtures by hand: deterministic data,
# raw deflate, hand-built headers, and byte-level reads and patches.
# Needs only bash, perl (Debian's perl-base is essential), gzip and coreutils.

# gen_random N SEED: N pseudo-random bytes; the same N and SEED give the
# same bytes on every run.
gen_random() {
	perl -e '
		my ($n, $seed) = @ARGV;
		srand($seed);
		binmode STDOUT;
		while ($n > 0) {
			my $k = $n < 65536 ? $n : 65536;
			print substr(pack("L*", map { int rand 4294967296 } 1 .. ($k + 3) >> 2), 0, $k);
			$n -= $k;
		}' "$1" "$2"
}

# gen_text N SEED: N bytes of text like a pg_dump COPY block (compresses
# about 2.5 times, into dynamic Huffman blocks); deterministic like gen_random.
gen_text() {
	perl -e '
		my ($n, $seed) = @ARGV;
		my @w = qw(alpha beta gamma delta epsilon zeta eta theta iota kappa);
		my $i = 1;
		srand($seed);
		while ($n > 0) {
			my $l = sprintf("%d\t%s\t%s\t%d.%02d\t2024-%02d-%02d\n", $i++,
			    $w[rand @w], join("", map { chr(97 + int rand 26) } 0 .. rand 12),
			    int rand 100000, int rand 100, 1 + int rand 12, 1 + int rand 28);
			$l = substr($l, 0, $n);
			print $l;
			$n -= length $l;
		}' "$1" "$2"
}

# fsize FILE: its size in bytes.
fsize() {
	stat -c %s -- "$1"
}

# byte V: write the one byte of value V (decimal, or 0x.. hexadecimal).
byte() {
	# shellcheck disable=SC2059 # the format is the escape being built
	printf "\\x$(printf %02x "$(($1))")"
}

# le_at FILE OFFSET COUNT: the little-endian unsigned number of COUNT bytes
# at OFFSET, in decimal. FILE - is standard input.
le_at() {
	local v=0 i
	local -a b
	read -ra b < <(od -An -v -tu1 -j "$2" -N "$3" "$1")
	for ((i = ${#b[@]} - 1; i >= 0; i--)); do
		v=$((v << 8 | b[i]))
	done
	echo "$v"
}

# put_byte FILE OFFSET V: overwrite the byte at OFFSET with V.
put_byte() {
	byte "$3" | dd of="$1" bs=1 seek="$2" conv=notrunc status=none
}

# crc32 FILE: the CRC-32 (RFC 1952) of FILE, in decimal. gzip computes it:
# it is the first word of the trailer of any gzip file of these bytes.
crc32() {
	gzip -c <"$1" | tail -c 8 | le_at - 0 4
}

# crc16: the header CRC of the bytes on standard input as FHCRC stores it,
# two bytes: the low 16 bits of their CRC-32, little-endian.
crc16() {
	gzip -c | tail -c 8 | head -c 2
}

# deflate_tail FILE: the raw deflate data and the 8-byte trailer of a gzip
# member of FILE; gzip -n writes a 10-byte header with no optional field.
deflate_tail() {
	gzip -n -c <"$1" | tail -c +11
}

# gz_header FLAGS [FIELDS [METHOD]]: a fixed 10-byte header (MTIME 0, XFL 0,
# OS 3) with FLAGS and METHOD (default 8), then FIELDS, a printf format for
# the optional fields in their order (FEXTRA, FNAME, FCOMMENT), with \xHH
# escapes for any byte. No header CRC: see gz_member.
gz_header() {
	local flags=$1 fields=${2-} method=${3:-8}
	byte 0x1f
	byte 0x8b
	byte "$method"
	byte "$flags"
	printf '\x00\x00\x00\x00\x00\x03'
	# shellcheck disable=SC2059 # FIELDS is a format on purpose, for \xHH
	printf -- "$fields"
}

# gz_member FLAGS FIELDS FILE: a whole gzip member of FILE behind a
# hand-made header; when FLAGS has FHCRC (0x02) the right header CRC follows
# the optional fields.
gz_member() {
	local flags=$1 fields=$2 data=$3
	gz_header "$flags" "$fields"
	if ((flags & 0x02)); then
		gz_header "$flags" "$fields" | crc16
	fi
	deflate_tail "$data"
}

# is_prefix PART WHOLE: PART's bytes are the first bytes of WHOLE (an empty
# PART is a prefix of anything).
is_prefix() {
	cmp -s -n "$(fsize "$1")" -- "$1" "$2"
}
