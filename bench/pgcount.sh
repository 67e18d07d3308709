#!/usr/bin/env bash
# Benchmarks pgcount: --dump on a plain pg_dump file against gzip -dc's
# output rate on the same dump compressed (gzip -6), and database mode with
# -j 2 against -j 1 on the dump restored into a throwaway PostgreSQL server
# (tests/lib/pg.bash); checks the issue's targets.
#
#   bench/pgcount.sh
#
# Environment:
#   PGCOUNT        pgcount to test; default <repo>/pgcount (make bench builds it),
#                  else the first pgcount in PATH
#   GZCAT_VERIFY   gzcat-verify, for the context rows; default <repo>/gzcat-verify,
#                  else the first in PATH; skipped if absent
#   PGBENCH        pgbench; default the one in PATH, else the newest
#                  /usr/lib/postgresql/*/bin/pgbench
#   BENCH_SCALE    pgbench scale of the database (default 100: a plain dump
#                  of about 1.2 GB)
#   BENCH_ROUNDS   timed rounds per tool (default 3)
#   BENCH_KEEP=1   keep the scratch dir (dump, server log) at the end; it is
#                  kept anyway when the script fails (not when interrupted)
#
# The database is pgbench's tables (pgbench -i) plus a text table, "notes",
# with tabs, newlines, backslashes, quotes and non-ASCII text in its rows
# (as in bench/pgfeed.sh). It is dumped with pg_dump (plain), the dump is
# compressed with gzip -6, and restored with psql -f into a second database.
# pgcount's counts (--dump, and -j 1 and -j 2 on the restored database) are
# checked once against count(*) on the source, then the tools run
# interleaved, round after round, and each one's best wall time is kept.
#
# gzip -dc's rate is the bytes it writes (the plain dump) a second;
# pgcount --dump's the bytes it reads (the same dump, from the page cache).
# The context rows show gzcat-verify alone and gzcat-verify | pgcount --dump,
# the way a compressed backup is counted.
#
# The results table (markdown) goes to bench/results/pgcount.md and stdout.
# Missed targets are reported, not treated as failures; the script exits
# non-zero only on a usage error, if the server does not start, or if
# pgcount's counts are wrong.
set -euo pipefail

root=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")/.." && pwd)

scale=${BENCH_SCALE:-100}
rounds=${BENCH_ROUNDS:-3}
[[ $scale =~ ^[1-9][0-9]*$ ]] || { echo "BENCH_SCALE: not a number: $scale" >&2; exit 2; }
[[ $rounds =~ ^[1-9][0-9]*$ ]] || { echo "BENCH_ROUNDS: not a number: $rounds" >&2; exit 2; }

note() { printf '%s\n' "$*" >&2; }
die() { note "pgcount.sh: $*"; exit 1; }
# calc FORMAT EXPR: evaluates an awk expression and prints it with printf FORMAT.
calc() { awk "BEGIN { printf \"$1\", $2 }"; }
# Microseconds in an EPOCHREALTIME value (its point dropped).
usec() { local t=${1/[.,]/}; echo $((10#$t)); }
since() { calc %.1f "($(usec "$EPOCHREALTIME") - $(usec "$1")) / 1e6"; }

# shellcheck source=bench/pg-server.bash
source "$root/bench/pg-server.bash"

pgcount=$(bench_tool pgcount PGCOUNT)
gzcat_verify=$(bench_tool gzcat-verify GZCAT_VERIFY optional)
bench_pgbench
for t in psql pg_dump createdb gzip; do
	command -v "$t" >/dev/null || die "$t not found (Debian packages postgresql-client, gzip)"
done
/usr/bin/time --version 2>&1 | grep -q GNU || die "GNU time not found at /usr/bin/time (Debian package time)"

# ------------------------------------------------------- scratch dir, server

bench_pg_server pgcount
t_all=$EPOCHREALTIME
bench_pg_start
parallel=$(psql -X -At -c 'SHOW max_parallel_workers_per_gather')

# ------------------------------------------------------------ the database

# Row counts of database $1 by count(*), in pgcount's format: SCHEMA.TABLE
# quoted by quote_ident, a TAB, the count; sorted bytewise.
counts() {
	psql -X -At -v ON_ERROR_STOP=1 -d "$1" <<-'EOF' | LC_ALL=C sort
		SELECT format('SELECT %L || E''\t'' || count(*) FROM %I.%I',
		              quote_ident(n.nspname) || '.' || quote_ident(c.relname), n.nspname, c.relname)
		FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
		WHERE c.relkind IN ('r', 'p') AND NOT c.relispartition
		  AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname !~ '^pg_toast'
		ORDER BY 1 \gexec
	EOF
}

start=$EPOCHREALTIME
bench_pg_make_db src "$scale" "the database"
note "  took $(since "$start") s"
start=$EPOCHREALTIME
bench_pg_gzip_dump src
note "  took $(since "$start") s"
start=$EPOCHREALTIME
note "restoring the dump with psql -f into database restored ..."
createdb restored
psql -X -q -v ON_ERROR_STOP=1 -f "$sql" -d restored >/dev/null || die "psql -f $sql failed"
restore_s=$(since "$start")
note "  took $restore_s s"
want=$(counts src)
tables=$(wc -l <<<"$want")
total_rows=$(awk -F '\t' '{ n += $2 } END { printf "%d", n }' <<<"$want")

# ------------------------------------------------------------------- tools

# Tool i: labels[i], run by run_tool I [WRAPPER...] with the output on
# stdout. Rows whose kind is dump compare with gzip -dc; db rows with -j 1.
labels=("gzip -dc" "pgcount --dump")
kinds=(dump dump)
if [[ -n $gzcat_verify ]]; then
	labels+=("gzcat-verify" "gzcat-verify | pgcount --dump")
	kinds+=(dump dump)
else
	note "note: no gzcat-verify, skipping its context rows"
fi
labels+=("pgcount -j 1" "pgcount -j 2")
kinds+=(db db)
run_tool() {
	local label=${labels[$1]}
	shift
	case $label in
	"gzip -dc") "$@" gzip -dc -- "$gz" ;;
	"pgcount --dump") "$@" "$pgcount" --dump "$sql" ;;
	"gzcat-verify") "$@" "$gzcat_verify" "$gz" ;;
	"gzcat-verify | pgcount --dump") "$gzcat_verify" "$gz" | "$@" "$pgcount" --dump ;;
	"pgcount -j 1") "$@" "$pgcount" -j 1 dbname=restored ;;
	"pgcount -j 2") "$@" "$pgcount" -j 2 dbname=restored ;;
	*) die "no tool $label" ;;
	esac
}

# ------------------------------------------------------------- correctness

note "checking pgcount's counts against count(*) on the source ..."
for i in "${!labels[@]}"; do
	[[ ${labels[i]} == *pgcount* ]] || continue
	got=$(run_tool "$i") || die "${labels[i]} failed"
	bench_same "$want" "$got" "${labels[i]}: counts differ from count(*) on the source (< count(*), > pgcount)"
done
# And the others' output is the dump.
for i in "${!labels[@]}"; do
	[[ ${labels[i]} == g* && ${labels[i]} != *pgcount* ]] || continue
	run_tool "$i" | cmp -s -- - "$sql" || die "${labels[i]}: output differs from the dump"
done
cat -- "$sql" "$gz" >/dev/null

# ------------------------------------------------------------------ timing

# Best wall time (us) per tool, the CPU time of that run, the largest max RSS.
declare -A best=() cpu=() rss=()
tf=$dir/time.txt
read -r load _ _ _ </proc/loadavg 2>/dev/null || load='?'
n=${#labels[@]}
note "timing $n tools, $rounds interleaved rounds ..."
for ((r = 0; r < rounds; r++)); do
	start=$EPOCHREALTIME
	# Rotate the starting tool each round so no tool always follows another.
	for ((k = 0; k < n; k++)); do
		i=$(((r + k) % n))
		t0=$EPOCHREALTIME
		run_tool "$i" /usr/bin/time -f '%U %S %M' -o "$tf" >/dev/null || die "${labels[i]} failed"
		t1=$EPOCHREALTIME
		dt=$(($(usec "$t1") - $(usec "$t0")))
		read -r user sys kib < <(tail -n 1 "$tf")
		if [[ -z ${best[$i]:-} ]] || ((dt < best[$i])); then
			best[$i]=$dt cpu[$i]=$(calc %.2f "$user + $sys")
		fi
		if [[ -z ${rss[$i]:-} ]] || ((kib > rss[$i])); then rss[$i]=$kib; fi
	done
	note "  round $((r + 1)) of $rounds took $(since "$start") s"
done

# ------------------------------------------------------------------ report

read -r load_after _ _ _ </proc/loadavg 2>/dev/null || load_after='?'

idx() { local i; for i in "${!labels[@]}"; do [[ ${labels[i]} == "$1" ]] && { echo "$i"; return; }; done; }

gz_i=$(idx "gzip -dc")
pc_i=$(idx "pgcount --dump")
j1_i=$(idx "pgcount -j 1")
j2_i=$(idx "pgcount -j 2")
rate_ratio=$(calc %.2f "${best[$gz_i]} / ${best[$pc_i]}")
size_note=''
if ((sql_bytes < 1073741824)); then size_note=" (below the issue's 1 GiB: a quick run)"; fi

results=$root/bench/results/pgcount.md
mkdir -p -- "$(dirname -- "$results")"
{
	echo "# pgcount: counting a dump, and a database"
	echo
	echo "- run: $(date -u '+%Y-%m-%d %H:%M UTC'), bench/pgcount.sh, BENCH_SCALE=$scale, best of $rounds interleaved rounds"
	bench_machine
	echo "- server: PostgreSQL $server_version on the same machine, Unix socket, fsync=off (tests/lib/pg.bash), max_parallel_workers_per_gather $parallel"
	echo "- pgcount: $pgcount ($("$pgcount" --version 2>&1 | head -n 1))${gzcat_verify:+; gzcat-verify: $gzcat_verify}; $(gzip --version | head -n 1)"
	echo "- dump: pg_dump (plain) of pgbench -i -s $scale plus $((scale * 8000)) rows of text (table notes): $sql_bytes bytes ($(bench_mib "$sql_bytes") MiB)$size_note, $tables tables, $total_rows rows; gzip -6: $gz_bytes bytes ($(bench_mib "$gz_bytes") MiB, $(calc %.1f "$sql_bytes / $gz_bytes")x)"
	echo "- restored with psql -f into database restored in $restore_s s (untimed); every pgcount row's counts checked against count(*) on the source"
	echo "- wall: best of $rounds; MB/s: 10^6 bytes of the plain dump a second (written by gzip -dc and gzcat-verify, read by pgcount --dump); files from the page cache; CPU (user + system) and max RSS from /usr/bin/time (for the piped row, pgcount's)"
	echo
	echo "## Dump mode"
	echo
	echo "| tool | wall s | MB/s | rate / gzip -dc's | CPU s | max RSS KiB |"
	echo "|---|--:|--:|--:|--:|--:|"
	for i in "${!labels[@]}"; do
		[[ ${kinds[i]} == dump ]] || continue
		awk -v l="${labels[i]}" -v us="${best[$i]}" -v ref="${best[$gz_i]}" -v bytes="$sql_bytes" \
			-v c="${cpu[$i]}" -v m="${rss[$i]}" 'BEGIN {
			gsub(/\|/, "\\|", l)  # a | in a cell is escaped
			printf "| %s | %.3f | %.0f | %.2f | %s | %d |\n", l, us / 1e6, bytes / us, ref / us, c, m }'
	done
	echo
	echo "## Database mode (database restored, $tables tables, $total_rows rows)"
	echo
	echo "| tool | wall s | rows/s | time / -j 1's | client CPU s | max RSS KiB |"
	echo "|---|--:|--:|--:|--:|--:|"
	for i in "${!labels[@]}"; do
		[[ ${kinds[i]} == db ]] || continue
		awk -v l="${labels[i]}" -v us="${best[$i]}" -v ref="${best[$j1_i]}" -v rows="$total_rows" \
			-v c="${cpu[$i]}" -v m="${rss[$i]}" 'BEGIN {
			printf "| %s | %.3f | %.0f | %.2f | %s | %d |\n", l, us / 1e6, rows * 1e6 / us, us / ref, c, m }'
	done
	echo
	bench_targets
	bench_verdict "pgcount --dump rate / gzip -dc output rate" "$rate_ratio" ">=" 2
	bench_verdict "pgcount --dump max RSS, KiB" "${rss[$pc_i]}" "<=" 16384
	echo
	echo "No target for database mode: -j 2 takes $(calc %.2f "${best[$j2_i]} / ${best[$j1_i]}") of -j 1's time" \
		"(the largest table, public.pgbench_accounts, holds" \
		"$(calc %.0f "100 * $(awk -F '\t' '$1 == "public.pgbench_accounts" { print $2 }' <<<"$want") / $total_rows")% of the rows;" \
		"-j 1's count(*) may already use $parallel parallel workers)."
} >"$results.tmp"
mv -- "$results.tmp" "$results"
echo
cat -- "$results"
note "results in $results; total run time $(since "$t_all") s"
