#!/usr/bin/env bash
# Benchmarks s3ls -r against the AWS CLI (aws s3 ls --recursive and
# aws s3api list-objects-v2) on a throwaway Ceph RADOS Gateway on 127.0.0.1
# (tests/lib/s3.bash), and checks the issue's targets.
#
#   bench/s3ls.sh
#
# Environment:
#   S3LS             s3ls to test; default <repo>/s3ls
#   BENCH_OBJECTS    objects to list (default 10000, at least 4); they are
#                    spread over 4 sub-prefixes, so one holds a quarter
#   BENCH_ROUNDS     timed rounds per tool (default 5)
#   BENCH_UPLOAD     how to put the objects: curl (one curl --parallel
#                    --aws-sigv4, the default when curl >= 7.75 is installed)
#                    or aws (aws s3 cp --recursive, about 4x slower)
#   BENCH_UPLOAD_CONCURRENCY   requests at once during the upload (default
#                    32; for aws, its s3.max_concurrent_requests)
#   BENCH_KEEP=1     keep the scratch dir (objects, server logs) at the end;
#                    it is kept anyway when the script fails (not when it is
#                    interrupted)
#
# The server (Ceph monitor, OSD with the in-memory object store, radosgw)
# lives in the scratch dir, a fresh mktemp -d under /tmp, and is stopped on
# exit whatever happens. It starts in a few seconds. Needs the Debian
# packages radosgw, ceph-mon, ceph-osd, ceph-common, awscli, curl and time.
#
# s3ls's wall time is nearly all the server's (about 25 ms per page of 1000
# keys here; its CPU time is printed too), so on a loaded machine the ratios
# move with the server's latency, not with s3ls.
#
# s3ls's listing is checked once against the AWS CLI's, then the three tools
# run interleaved, round after round, and each one's best wall time is kept.
# Missed targets are reported, not treated as failures; the script exits
# non-zero only on a usage error, if the server does not start, or if s3ls's
# listing is wrong.
set -euo pipefail

root=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")/.." && pwd)

objects=${BENCH_OBJECTS:-10000}
rounds=${BENCH_ROUNDS:-5}
concurrency=${BENCH_UPLOAD_CONCURRENCY:-32}
upload=${BENCH_UPLOAD:-}
if [[ ! $objects =~ ^[1-9][0-9]*$ ]] || ((objects < 4)); then
	echo "BENCH_OBJECTS: not a number >= 4: $objects" >&2
	exit 2
fi
[[ $rounds =~ ^[1-9][0-9]*$ ]] || { echo "BENCH_ROUNDS: not a number: $rounds" >&2; exit 2; }
[[ $concurrency =~ ^[1-9][0-9]*$ ]] ||
	{ echo "BENCH_UPLOAD_CONCURRENCY: not a number: $concurrency" >&2; exit 2; }
[[ $upload =~ ^(|curl|aws)$ ]] || { echo "BENCH_UPLOAD: not curl or aws: $upload" >&2; exit 2; }

note() { printf '%s\n' "$*" >&2; }
die() { note "s3ls.sh: $*"; exit 1; }
# calc FORMAT EXPR: evaluates an awk expression and prints it with printf FORMAT.
calc() { awk "BEGIN { printf \"$1\", $2 }"; }
# Microseconds in an EPOCHREALTIME value (its point dropped).
usec() { local t=${1/[.,]/}; echo $((10#$t)); }
since() { calc %.1f "($(usec "$EPOCHREALTIME") - $(usec "$1")) / 1e6"; }

# True when curl can sign S3 requests (--aws-sigv4: 7.75) and run them in
# parallel (--parallel: 7.66).
curl_signs() {
	local v
	v=$(curl --version 2>/dev/null | awk 'NR == 1 { print $2 }') || return 1
	[[ $v =~ ^([0-9]+)\.([0-9]+) ]] || return 1
	((BASH_REMATCH[1] > 7 || (BASH_REMATCH[1] == 7 && BASH_REMATCH[2] >= 75)))
}
if [[ -z $upload ]]; then
	if curl_signs; then upload=curl; else upload=aws; fi
elif [[ $upload == curl ]] && ! curl_signs; then
	die "BENCH_UPLOAD=curl needs curl >= 7.75 (--aws-sigv4)"
fi

s3ls=${S3LS:-$root/s3ls}
[[ -x $s3ls ]] || die "$s3ls not found: run make, or set S3LS"

# shellcheck source=bench/s3-server.bash
source "$root/bench/s3-server.bash"
bench_s3_server s3ls

note "starting the S3 server (Ceph RGW) in $BKPIPE_S3_STATE ..."
start=$EPOCHREALTIME
s3_start || die "the S3 server did not start (logs in $BKPIPE_S3_STATE/log)"
note "  took $(since "$start") s, endpoint $S3_ENDPOINT"

bucket=bkpipe-bench-s3ls
prefix=objects/
s3_bucket "$bucket"

# ---------------------------------------------------------------- the objects

# Object i is $prefix<i mod 4>/k<i>, of a few bytes: sub-prefix 0/ holds a
# quarter of them (rounded up), for the max RSS at N/4.
quarter=$(((objects + 3) / 4))
src=$dir/objects
note "creating $objects files in $src ..."
mkdir -p -- "$src"/{0,1,2,3}
for ((i = 0; i < objects; i++)); do
	printf -v name '%d/k%06d' $((i % 4)) "$i"
	printf '%d\n' "$i" >"$src/$name"
done

# PUTs every file of $src under $prefix with one curl: signed (path-style,
# payload unsigned, as the AWS CLI does over plain HTTP), $concurrency at once.
upload_curl() {
	local cfg=$dir/curl.cfg log=$dir/curl.log name
	for ((i = 0; i < objects; i++)); do
		printf -v name '%d/k%06d' $((i % 4)) "$i"
		printf 'upload-file = "%s"\nurl = "%s"\noutput = "/dev/null"\n' \
			"$src/$name" "$S3_ENDPOINT/$bucket/$prefix$name"
	done >"$cfg"
	curl --silent --show-error --no-progress-meter --fail-with-body \
		--parallel --parallel-max "$concurrency" \
		--aws-sigv4 "aws:amz:$AWS_REGION:s3" --user "$AWS_ACCESS_KEY_ID:$AWS_SECRET_ACCESS_KEY" \
		--header 'x-amz-content-sha256: UNSIGNED-PAYLOAD' --config "$cfg" 2>"$log" || {
		head -n 5 -- "$log" >&2
		die "the upload with curl failed (BENCH_UPLOAD=aws uses the AWS CLI)"
	}
}

start=$EPOCHREALTIME
if [[ $upload == curl ]]; then
	upload_how="curl --parallel --aws-sigv4, $concurrency at once"
	note "uploading them with $upload_how ..."
	upload_curl
else
	upload_how="aws s3 cp --recursive, max_concurrent_requests $concurrency"
	"$S3_AWS" configure set default.s3.max_concurrent_requests "$concurrency"
	note "uploading them with $upload_how ..."
	s3_aws s3 cp --recursive --quiet "$src" "s3://$bucket/$prefix"
fi
upload_s=$(since "$start")
note "  took $upload_s s"

# ---------------------------------------------------------------- correctness

# Keys only, sorted bytewise.
keys_s3ls() { cut -f 3 | sed "s|^s3://$bucket/||" | LC_ALL=C sort; }
keys_aws() {
	s3_aws s3api list-objects-v2 --bucket "$bucket" --prefix "$1" \
		--query 'Contents[].[Key]' --output text | LC_ALL=C sort
}

note "checking s3ls -r against aws s3api list-objects-v2 ..."
listing=$dir/s3ls.out
"$s3ls" -r "s3://$bucket/$prefix" >"$listing" || die "s3ls -r s3://$bucket/$prefix failed"
lines=$(wc -l <"$listing")
((lines == objects)) || die "s3ls -r listed $lines lines, not $objects"
cut -f 3 "$listing" | LC_ALL=C sort -c 2>/dev/null || die "s3ls -r output is not in key order"
# (No {n} in the pattern: mawk has no intervals.)
awk -F '\t' 'NF != 3 || $1 !~ /^[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]T[0-9][0-9]:[0-9][0-9]:[0-9][0-9]Z$/ ||
	$2 !~ /^[0-9]+$/ { bad = 1 } END { exit bad }' "$listing" ||
	die "s3ls -r printed lines that are not LAST_MODIFIED<TAB>SIZE<TAB>URL"
keys_aws "$prefix" >"$dir/aws.keys"
keys_s3ls <"$listing" >"$dir/s3ls.keys"
cmp -s -- "$dir/s3ls.keys" "$dir/aws.keys" || {
	diff -- "$dir/s3ls.keys" "$dir/aws.keys" | head -n 10 >&2
	die "s3ls -r keys differ from aws s3api list-objects-v2's (< s3ls, > aws)"
}
lines=$("$s3ls" -r "s3://$bucket/${prefix}0/" | wc -l)
((lines == quarter)) || die "s3ls -r ${prefix}0/ listed $lines lines, not $quarter"
# The peers list the same, or their times would mean nothing.
lines=$(s3_aws s3 ls --recursive "s3://$bucket/$prefix" | wc -l)
((lines == objects)) || die "aws s3 ls --recursive listed $lines lines, not $objects"

# ---------------------------------------------------------------------- tools

labels=("s3ls -r" "aws s3 ls --recursive" "aws s3api list-objects-v2")
run_tool() {
	case $1 in
	0) "$s3ls" -r "s3://$bucket/$prefix" ;;
	1) s3_aws s3 ls --recursive "s3://$bucket/$prefix" ;;
	2) s3_aws s3api list-objects-v2 --bucket "$bucket" --prefix "$prefix" --output json ;;
	esac
}

# --------------------------------------------------------------------- timing

# Best wall time per tool, in microseconds.
declare -A best=()
n=${#labels[@]}
note "timing $n tools, $rounds interleaved rounds ..."
for ((r = 0; r < rounds; r++)); do
	# Rotate the starting tool each round so no tool always follows another.
	for ((k = 0; k < n; k++)); do
		i=$(((r + k) % n))
		t0=$EPOCHREALTIME
		run_tool "$i" >/dev/null || die "${labels[i]} failed"
		t1=$EPOCHREALTIME
		dt=$(($(usec "$t1") - $(usec "$t0")))
		if [[ -z ${best[$i]:-} ]] || ((dt < best[$i])); then best[$i]=$dt; fi
	done
done
# For reading the table: what of the AWS CLI's time is its start-up alone.
aws_start=''
for ((r = 0; r < rounds; r++)); do
	t0=$EPOCHREALTIME
	"$S3_AWS" --version >/dev/null
	t1=$EPOCHREALTIME
	dt=$(($(usec "$t1") - $(usec "$t0")))
	if [[ -z $aws_start ]] || ((dt < aws_start)); then aws_start=$dt; fi
done

# ------------------------------------------------------------------ max RSS

# The largest max RSS (KiB) of s3ls -r over the rounds, at N and at N/4,
# and, for reading them, that of s3ls --version (the program and its shared
# libraries loaded, nothing listed). Also the least CPU time (user + system)
# of s3ls -r at N: the rest of its wall time is waiting for the server.
rss_all='' rss_quarter='' rss_base='' cpu_all=''
if /usr/bin/time --version 2>&1 | grep -q GNU; then
	note "measuring s3ls's max RSS at $objects and $quarter objects ..."
	rss_file=$dir/rss.txt
	# Prints the largest max RSS in KiB and the least CPU seconds.
	peak_rss() {
		local r kib user sys peak=0 cpu=''
		for ((r = 0; r < rounds; r++)); do
			/usr/bin/time -f '%M %U %S' -o "$rss_file" "$s3ls" -r "s3://$bucket/$1" >/dev/null ||
				die "s3ls -r s3://$bucket/$1 failed under /usr/bin/time"
			read -r kib user sys < <(tail -n 1 "$rss_file")
			((kib > peak)) && peak=$kib
			cpu=$(calc %.2f "($user + $sys < ${cpu:-1e9}) ? $user + $sys : ${cpu:-1e9}")
		done
		echo "$peak $cpu"
	}
	read -r rss_all cpu_all < <(peak_rss "$prefix")
	read -r rss_quarter _ < <(peak_rss "${prefix}0/")
	[[ -n $rss_all && -n $rss_quarter ]] || die "could not measure s3ls's max RSS"
	/usr/bin/time -f %M -o "$rss_file" "$s3ls" --version >/dev/null
	rss_base=$(tail -n 1 "$rss_file")
else
	note "note: GNU time (/usr/bin/time, Debian package time) not found, skipping max RSS"
fi

# ------------------------------------------------------------------- report

cpu=$(awk -F': *' '/^model name/ { print $2; exit }' /proc/cpuinfo 2>/dev/null || true)
ceph=$(ceph --version 2>/dev/null | awk '{ print $3; exit }' || true)

echo
echo "machine:  $(uname -sr), $(nproc) CPUs, ${cpu:-unknown CPU}"
echo "server:   Ceph ${ceph:-?} radosgw on $S3_ENDPOINT (one OSD, in-memory store)"
echo "aws:      $("$S3_AWS" --version 2>&1 | awk '{ print $1; exit }')"
echo "objects:  $objects under s3://$bucket/$prefix, 4 sub-prefixes of about $quarter"
echo "upload:   $upload_how:" \
	"$upload_s s, $(calc %.0f "$objects / ($upload_s > 0 ? $upload_s : 0.1)") obj/s"
echo "s3ls:     $s3ls"
echo
echo "listing s3://$bucket/$prefix, best of $rounds rounds, wall time (process start included):"
for ((i = 0; i < n; i++)); do
	awk -v label="${labels[i]}" -v us="${best[$i]}" -v ref="${best[0]}" -v objs="$objects" 'BEGIN {
		printf "  %-27s %7.3f s  %7.0f obj/s  ", label, us / 1e6, objs * 1e6 / us
		if (label == "s3ls -r") print "(reference)"
		else printf "%5.1fx slower than s3ls\n", us / ref }'
done
printf '  (aws --version alone: %.3f s' "$(calc %.6f "$aws_start / 1e6")"
if [[ -n $cpu_all ]]; then printf '; s3ls -r CPU time, user + system: %s s' "$cpu_all"; fi
echo ')'
echo
if [[ -n $rss_all ]]; then
	echo "s3ls -r max RSS (largest of $rounds runs):"
	printf '  %-27s %7d KiB\n' "$objects objects ($prefix)" "$rss_all" \
		"$quarter objects (${prefix}0/)" "$rss_quarter" "s3ls --version" "$rss_base"
else
	echo "s3ls -r max RSS: not measured (no GNU time)"
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
verdict "s3ls speed-up over aws s3 ls --recursive" "$(calc %.2f "${best[1]} / ${best[0]}")" ">=" 5
if [[ -n $rss_all ]]; then
	verdict "s3ls -r max RSS, KiB" "$((rss_all > rss_quarter ? rss_all : rss_quarter))" "<=" 8192
	# Flat: the larger of the two within 10% of the smaller.
	verdict "s3ls max RSS at N / at N/4 (or N/4 / N)" \
		"$(calc %.3f "($rss_all > $rss_quarter ? $rss_all / $rss_quarter : $rss_quarter / $rss_all)")" "<=" 1.10
else
	echo "SKIP  s3ls -r max RSS <= 8192 KiB: not measured"
	echo "SKIP  s3ls max RSS flat (N vs N/4 within 10%): not measured"
fi
