#!/usr/bin/env bash
# Benchmarks s3get and s3put on one large object against the AWS CLI
# (aws s3 cp to and from stdin) and, for downloads, against curl on a
# presigned URL, on a throwaway Ceph RADOS Gateway on 127.0.0.1
# (tests/lib/s3.bash), and checks the issue's targets.
#
#   bench/s3.sh
#
# Environment:
#   S3GET            s3get to test; default <repo>/s3get
#   S3PUT            s3put to test; default <repo>/s3put
#   BENCH_SIZE_MB    size of the object in MiB (default 1024)
#   BENCH_ROUNDS     timed rounds per tool (default 3)
#   BENCH_EXTRA=0    skip the extra s3get rows (-j 8, --part-size 16M)
#   BENCH_KEEP=1     keep the scratch dir (source file, server logs) at the
#                    end; it is kept anyway when the script fails (not when
#                    it is interrupted)
#   S3_MEMSTORE_BYTES  the OSD's in-memory store; default 3 x the object
#                    plus 1 GiB (two objects are stored at a time)
#
# The server (Ceph monitor, OSD with the in-memory object store, radosgw)
# lives in the scratch dir, a fresh mktemp -d under /tmp, and is stopped on
# exit whatever happens. It starts in a few seconds. Needs the Debian
# packages radosgw, ceph-mon, ceph-osd, ceph-common, awscli, curl and time,
# and free memory for about 3 x the object (the OSD holds the object and an
# upload, the page cache the source file).
#
# Downloads:  s3get [-j N] [--part-size SIZE] s3://B/obj > /dev/null
#             aws s3 cp s3://B/obj - > /dev/null
#             curl -s -o /dev/null PRESIGNED-URL   (one stream, verifies
#                                                   nothing: the ceiling)
# Uploads:    s3put s3://B/obj2 < FILE
#             aws s3 cp - s3://B/obj2 < FILE
# The AWS CLI runs with its defaults (10 requests at once, 8 MiB parts).
# Every tool's output (or upload, read back with s3get) is checked once
# against the source's SHA-256, then the tools run interleaved, round after
# round, and each one's best wall time is kept. Each upload is deleted
# afterwards and radosgw's garbage collector run, untimed, so the OSD's
# memory stays at two objects.
#
# The server shares the machine's CPUs with the tools: on a small or busy
# machine the figures are as much the server's as the tools'.
#
# Missed targets are reported, not treated as failures; the script exits
# non-zero only on a usage error, if the server does not start, or if s3get's
# or s3put's data is wrong.
set -euo pipefail

root=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")/.." && pwd)

size_mb=${BENCH_SIZE_MB:-1024}
rounds=${BENCH_ROUNDS:-3}
extra=${BENCH_EXTRA:-1}
[[ $size_mb =~ ^[1-9][0-9]*$ ]] || { echo "BENCH_SIZE_MB: not a number: $size_mb" >&2; exit 2; }
[[ $rounds =~ ^[1-9][0-9]*$ ]] || { echo "BENCH_ROUNDS: not a number: $rounds" >&2; exit 2; }
[[ $extra =~ ^[01]$ ]] || { echo "BENCH_EXTRA: not 0 or 1: $extra" >&2; exit 2; }

note() { printf '%s\n' "$*" >&2; }
die() { note "s3.sh: $*"; exit 1; }
# calc FORMAT EXPR: evaluates an awk expression and prints it with printf FORMAT.
calc() { awk "BEGIN { printf \"$1\", $2 }"; }
# Microseconds in an EPOCHREALTIME value (its point dropped).
usec() { local t=${1/[.,]/}; echo $((10#$t)); }
since() { calc %.1f "($(usec "$EPOCHREALTIME") - $(usec "$1")) / 1e6"; }

s3get=${S3GET:-$root/s3get}
s3put=${S3PUT:-$root/s3put}
[[ -x $s3get ]] || die "$s3get not found: run make, or set S3GET"
[[ -x $s3put ]] || die "$s3put not found: run make, or set S3PUT"
command -v curl >/dev/null || die "curl not found (Debian package curl)"

size=$((size_mb * 1048576))
# Room for the object, an upload, and what radosgw's GC has not freed yet.
if [[ -z ${S3_MEMSTORE_BYTES:-} ]]; then
	S3_MEMSTORE_BYTES=$(((3 * size_mb + 1024) * 1048576))
fi
[[ $S3_MEMSTORE_BYTES =~ ^[1-9][0-9]*$ ]] ||
	{ echo "S3_MEMSTORE_BYTES: not a number: $S3_MEMSTORE_BYTES" >&2; exit 2; }

avail_kib=$(awk '/^MemAvailable:/ { print $2; exit }' /proc/meminfo 2>/dev/null || true)
if [[ -n $avail_kib ]] && ((avail_kib < (3 * size_mb + 512) * 1024)); then
	die "about $((3 * size_mb + 512)) MiB of free memory needed, $((avail_kib / 1024)) MiB available: lower BENCH_SIZE_MB"
fi

# shellcheck source=bench/s3-server.bash
source "$root/bench/s3-server.bash"
bench_s3_server s3

t_all=$EPOCHREALTIME
note "starting the S3 server (Ceph RGW) in $BKPIPE_S3_STATE ..."
start=$EPOCHREALTIME
s3_start || die "the S3 server did not start (logs in $BKPIPE_S3_STATE/log)"
note "  took $(since "$start") s, endpoint $S3_ENDPOINT"

bucket=bkpipe-bench-s3
s3_bucket "$bucket"
obj=s3://$bucket/obj
obj2=s3://$bucket/obj2

# ---------------------------------------------------------------- the object

src=$dir/source
note "writing $size_mb MiB of random bytes to $src ..."
head -c "$size" /dev/urandom >"$src"
sum=$(sha256sum <"$src") sum=${sum%% *}

note "uploading it to $obj with aws s3 cp ..."
start=$EPOCHREALTIME
s3_aws s3 cp --quiet -- "$src" "$obj"
note "  took $(since "$start") s"

# SHA-256 of standard input.
sha() { local s; s=$(sha256sum) && echo "${s%% *}"; }

# Deletes obj2 and runs radosgw's garbage collector at once, so that the
# OSD frees the deleted data (it would wait two hours).
drop_obj2() {
	s3_aws s3 rm --quiet -- "$obj2" >/dev/null
	timeout 300 radosgw-admin -c "$BKPIPE_S3_STATE/ceph.conf" gc process --include-all \
		>>"$dir/gc.log" 2>&1 || die "radosgw-admin gc process failed (see $dir/gc.log)"
}

# ---------------------------------------------------------------------- tools

# Download tool i has a label in dl_labels[i]; run_dl I [WRAPPER...] runs it
# (under WRAPPER if given), the object on stdout.
url=$("$s3get" --presign 1h "$obj") || die "s3get --presign 1h $obj failed"
[[ $url == http* ]] || die "s3get --presign printed no URL: $url"
dl_labels=("s3get -j 4" "aws s3 cp - (download)" "curl presigned URL")
if ((extra)); then dl_labels+=("s3get -j 8" "s3get -j 4 --part-size 16M"); fi
run_dl() {
	local i=$1
	shift
	case $i in
	0) "$@" "$s3get" -j 4 "$obj" ;;
	1) "$@" "$S3_AWS" --endpoint-url "$S3_ENDPOINT" s3 cp --quiet "$obj" - ;;
	2) "$@" curl -s --fail -o - "$url" ;;
	3) "$@" "$s3get" -j 8 "$obj" ;;
	4) "$@" "$s3get" -j 4 --part-size 16M "$obj" ;;
	esac
}
# Upload tool i: up_labels[i], run_up I [WRAPPER...] (the source on stdin).
up_labels=("s3put" "aws s3 cp - (upload)")
run_up() {
	local i=$1
	shift
	case $i in
	0) "$@" "$s3put" "$obj2" ;;
	1) "$@" "$S3_AWS" --endpoint-url "$S3_ENDPOINT" s3 cp --quiet - "$obj2" ;;
	esac <"$src"
}

# ---------------------------------------------------------------- correctness

# Downloads go to the index of live tools; a peer with wrong output is dropped.
dl_ids=()
note "checking every download against the source's SHA-256 ..."
for i in "${!dl_labels[@]}"; do
	got=$(run_dl "$i" | sha) || got="(failed)"
	if [[ $got == "$sum" ]]; then
		dl_ids+=("$i")
	elif [[ ${dl_labels[i]} == s3get* ]]; then
		die "${dl_labels[i]}: SHA-256 $got, not the source's $sum"
	else
		note "note: ${dl_labels[i]}: SHA-256 $got, not the source's; skipping it"
	fi
done
up_ids=()
note "checking every upload (read back with s3get) against the source's SHA-256 ..."
for i in "${!up_labels[@]}"; do
	got="(upload failed)"
	if run_up "$i"; then got=$("$s3get" "$obj2" | sha) || got="(read back failed)"; fi
	drop_obj2
	if [[ $got == "$sum" ]]; then
		up_ids+=("$i")
	elif ((i == 0)); then
		die "${up_labels[i]}: SHA-256 $got, not the source's $sum"
	else
		note "note: ${up_labels[i]}: SHA-256 $got, not the source's; skipping it"
	fi
done

# --------------------------------------------------------------------- timing

# Best wall time per tool, in microseconds.
declare -A dl_best=() up_best=()
# time_it COMMAND...: runs COMMAND, and puts its wall time in dt.
dt=0
time_it() {
	local t0=$EPOCHREALTIME
	"$@" || return
	dt=$(($(usec "$EPOCHREALTIME") - $(usec "$t0")))
}

# Other work on the machine skews the figures: its load is printed.
read -r load _ _ _ </proc/loadavg 2>/dev/null || load='?'
n=${#dl_ids[@]}
m=${#up_ids[@]}
note "timing $n downloads and $m uploads, $rounds interleaved rounds ..."
for ((r = 0; r < rounds; r++)); do
	start=$EPOCHREALTIME
	# Rotate the starting tool each round so no tool always follows another.
	for ((k = 0; k < n; k++)); do
		i=${dl_ids[(r + k) % n]}
		time_it run_dl "$i" >/dev/null || die "${dl_labels[i]} failed"
		if [[ -z ${dl_best[$i]:-} ]] || ((dt < dl_best[$i])); then dl_best[$i]=$dt; fi
	done
	for ((k = 0; k < m; k++)); do
		i=${up_ids[(r + k) % m]}
		time_it run_up "$i" || die "${up_labels[i]} failed"
		drop_obj2
		if [[ -z ${up_best[$i]:-} ]] || ((dt < up_best[$i])); then up_best[$i]=$dt; fi
	done
	note "  round $((r + 1)) of $rounds took $(since "$start") s"
done

# ------------------------------------------------------------------ max RSS

# Max RSS (KiB) of each s3get row and of s3put, one run each.
declare -A dl_rss=()
up_rss=''
if /usr/bin/time --version 2>&1 | grep -q GNU; then
	note "measuring the max RSS of s3get and s3put ..."
	rss_file=$dir/rss.txt
	for i in "${dl_ids[@]}"; do
		[[ ${dl_labels[i]} == s3get* ]] || continue
		run_dl "$i" /usr/bin/time -f %M -o "$rss_file" >/dev/null || die "${dl_labels[i]} failed"
		dl_rss[$i]=$(tail -n 1 "$rss_file")
	done
	run_up 0 /usr/bin/time -f %M -o "$rss_file" || die "s3put failed"
	up_rss=$(tail -n 1 "$rss_file")
	drop_obj2
else
	note "note: GNU time (/usr/bin/time, Debian package time) not found, skipping max RSS"
fi

# ------------------------------------------------------------------- report

cpu=$(awk -F': *' '/^model name/ { print $2; exit }' /proc/cpuinfo 2>/dev/null || true)
ceph=$(ceph --version 2>/dev/null | awk '{ print $3; exit }' || true)
have() { local i; for i in "${@:2}"; do [[ $i == "$1" ]] && return 0; done; return 1; }

echo
echo "machine:  $(uname -sr), $(nproc) CPUs, ${cpu:-unknown CPU}; load average $load before timing"
echo "server:   Ceph ${ceph:-?} radosgw on $S3_ENDPOINT (one OSD, in-memory store)"
echo "aws:      $("$S3_AWS" --version 2>&1 | awk '{ print $1; exit }') (default settings)"
echo "curl:     $(curl --version | awk '{ print $2; exit }')"
echo "object:   $size bytes ($size_mb MiB) of random bytes, sha256 checked once per tool"
echo "s3get:    $s3get"
echo "s3put:    $s3put"
echo
echo "best of $rounds rounds, wall time; MB/s = 10^6 bytes a second;"
echo "last column: throughput of s3get -j 4 (downloads) or s3put (uploads) / this tool's"
# table LABELS BEST REF IDS...
table() {
	local -n lab=$1 times=$2
	local ref=${times[$3]} i
	shift 3
	for i in "$@"; do
		awk -v label="${lab[i]}" -v us="${times[$i]}" -v ref="$ref" -v bytes="$size" 'BEGIN {
			printf "  %-28s %7.3f s  %6.0f MB/s  %5.2fx\n", label, us / 1e6, bytes / us, us / ref }'
	done
}
echo
echo "download s3://$bucket/obj to /dev/null:"
table dl_labels dl_best 0 "${dl_ids[@]}"
echo
echo "upload s3://$bucket/obj2 from a file on stdin:"
table up_labels up_best 0 "${up_ids[@]}"
echo
if ((${#dl_rss[@]} > 0)); then
	echo "max RSS:"
	for i in "${dl_ids[@]}"; do
		[[ -n ${dl_rss[$i]:-} ]] || continue
		printf '  %-28s %7d KiB\n' "${dl_labels[i]}" "${dl_rss[$i]}"
	done
	printf '  %-28s %7d KiB\n' "s3put (-j 4, 8M parts)" "$up_rss"
else
	echo "max RSS: not measured (no GNU time)"
fi

# ------------------------------------------------------------------ targets

# Prints PASS or MISS for "value OP want", with the figures.
verdict() {
	local what=$1 value=$2 op=$3 want=$4 ok
	ok=$(calc %d "(($value $op $want) ? 1 : 0)")
	printf '%s  %-46s %s (target %s %s)\n' "$([[ $ok == 1 ]] && echo PASS || echo MISS)" "$what" "$value" "$op" "$want"
}

echo
echo "targets:"
if have 1 "${dl_ids[@]}"; then
	verdict "s3get -j 4 throughput / aws s3 cp download" "$(calc %.2f "${dl_best[1]} / ${dl_best[0]}")" ">=" 3
else
	echo "SKIP  s3get >= 3x aws s3 cp download: aws's download was wrong"
fi
if have 2 "${dl_ids[@]}"; then
	verdict "s3get -j 4 throughput / curl presigned URL" "$(calc %.2f "${dl_best[2]} / ${dl_best[0]}")" ">=" 0.8
else
	echo "SKIP  s3get >= 0.8x curl: curl's download was wrong"
fi
if [[ -n ${dl_rss[0]:-} ]]; then
	verdict "s3get -j 4 max RSS, KiB" "${dl_rss[0]}" "<=" 65536
else
	echo "SKIP  s3get -j 4 max RSS <= 65536 KiB: not measured"
fi
if have 1 "${up_ids[@]}"; then
	verdict "s3put throughput / aws s3 cp upload" "$(calc %.2f "${up_best[1]} / ${up_best[0]}")" ">=" 2
else
	echo "SKIP  s3put >= 2x aws s3 cp upload: aws's upload was wrong"
fi
note "total run time $(since "$t_all") s"
