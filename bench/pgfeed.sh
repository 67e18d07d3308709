#!/usr/bin/env bash
# Benchmarks pgfeed against psql -f (and, for context, pg_restore of a
# custom-format dump of the same database) restoring plain pg_dump files
# into a throwaway PostgreSQL server (tests/lib/pg.bash), and checks the
# issue's targets.
#
#   bench/pgfeed.sh
#
# Environment:
#   PGFEED         pgfeed to test; default <repo>/pgfeed (make bench builds it),
#                  else the first pgfeed in PATH
#   PGBENCH        pgbench; default the one in PATH, else the newest
#                  /usr/lib/postgresql/*/bin/pgbench
#   BENCH_SCALE    pgbench scale of the COPY-heavy database (default 100:
#                  a plain dump of about 1.2 GB); the --inserts database has
#                  scale BENCH_SCALE / 8 (about 225 MB of INSERTs at 100)
#   BENCH_ROUNDS   timed rounds per tool (default 2)
#   BENCH_EXTRA=0  skip the context rows (pgfeed -1, pg_restore -j 2)
#   BENCH_KEEP=1   keep the scratch dir (dumps, server log) at the end; it is
#                  kept anyway when the script fails (not when interrupted)
#
# The source databases are pgbench's tables (pgbench -i) plus a text table,
# "notes", whose rows have tabs, newlines, backslashes, quotes and
# non-ASCII text, so that COPY's and INSERT's escapes are exercised. They
# are dumped with pg_dump (plain, plain --inserts, and custom format for
# pg_restore), and every tool restores each dump into a fresh database
# (created and checkpointed untimed). Each tool's first restore is checked
# against the source: row count and a hash of every row of every table.
# Then the tools run round after round, the order reversed each round, and
# each one's best wall time is kept.
#
# The server shares the machine's CPUs with the tools. For each best run the
# table gives the client's CPU time (/usr/bin/time) and the server's: that of
# the session backends (children the postmaster reaped during the run) and
# that of the rest of the server (checkpointer, WAL writer, ...). A restore
# whose backend CPU time is close to its wall time is bound by the server:
# no client can make it much faster.
#
# The results table (markdown) goes to bench/results/pgfeed.md and stdout.
# Missed targets are reported, not treated as failures; the script exits
# non-zero only on a usage error, if the server does not start, or if a
# restore fails or differs from the source.
set -euo pipefail

root=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")/.." && pwd)

scale=${BENCH_SCALE:-100}
rounds=${BENCH_ROUNDS:-2}
extra=${BENCH_EXTRA:-1}
[[ $scale =~ ^[1-9][0-9]*$ ]] || { echo "BENCH_SCALE: not a number: $scale" >&2; exit 2; }
[[ $rounds =~ ^[1-9][0-9]*$ ]] || { echo "BENCH_ROUNDS: not a number: $rounds" >&2; exit 2; }
[[ $extra =~ ^[01]$ ]] || { echo "BENCH_EXTRA: not 0 or 1: $extra" >&2; exit 2; }
ins_scale=$(((scale + 7) / 8))

note() { printf '%s\n' "$*" >&2; }
die() { note "pgfeed.sh: $*"; exit 1; }
# calc FORMAT EXPR: evaluates an awk expression and prints it with printf FORMAT.
calc() { awk "BEGIN { printf \"$1\", $2 }"; }
# Microseconds in an EPOCHREALTIME value (its point dropped).
usec() { local t=${1/[.,]/}; echo $((10#$t)); }
since() { calc %.1f "($(usec "$EPOCHREALTIME") - $(usec "$1")) / 1e6"; }

# shellcheck source=bench/pg-server.bash
source "$root/bench/pg-server.bash"

pgfeed=$(bench_tool pgfeed PGFEED)
bench_pgbench
for t in psql pg_dump pg_restore createdb dropdb; do
	command -v "$t" >/dev/null || die "$t not found (Debian package postgresql-client)"
done
/usr/bin/time --version 2>&1 | grep -q GNU || die "GNU time not found at /usr/bin/time (Debian package time)"

# ------------------------------------------------------- scratch dir, server

bench_pg_server pgfeed
t_all=$EPOCHREALTIME
bench_pg_start

# ----------------------------------------------------------- the databases

start=$EPOCHREALTIME
bench_pg_make_db src "$scale" "the COPY-heavy database"
bench_pg_make_db ins "$ins_scale" "the --inserts database"
note "  took $(since "$start") s"

copy_sql=$dir/copy.sql
ins_sql=$dir/inserts.sql
custom=$dir/copy.dump
start=$EPOCHREALTIME
note "dumping: plain, custom format, plain --inserts ..."
pg_dump -d src -f "$copy_sql"
pg_dump -d src -Fc -f "$custom"
pg_dump -d ins --inserts -f "$ins_sql"
note "  took $(since "$start") s"
fp_src=$(bench_pg_fingerprint src)
fp_ins=$(bench_pg_fingerprint ins)
dropdb ins
copy_bytes=$(stat -c %s -- "$copy_sql")
ins_bytes=$(stat -c %s -- "$ins_sql")
custom_bytes=$(stat -c %s -- "$custom")
ins_stmts=$(grep -c '^INSERT INTO ' "$ins_sql" || true)
# In the page cache, as for every run after the first.
cat -- "$copy_sql" "$ins_sql" "$custom" >/dev/null

# ------------------------------------------------------------------- tools

target=restore
copy_tools=("pgfeed" "psql -f" "pg_restore")
ins_tools=("pgfeed" "psql -f")
if ((extra)); then
	copy_tools+=("pgfeed -1" "pg_restore -j 2")
	ins_tools+=("pgfeed -1")
fi

# measure LABEL DATASET: restores into a fresh database; sets m_us (wall
# time), m_client (CPU seconds), m_rss (KiB), m_backend and m_other
# (server CPU seconds).
tf=$dir/time.txt
measure() {
	local t0 t1 user sys
	bench_pg_fresh_db "$target"
	bench_pg_cpu_start
	t0=$EPOCHREALTIME
	run_tool "$1" "$2" /usr/bin/time -f '%U %S %M' -o "$tf" ||
		{ tail -n 5 "$tf" >&2; die "$1 failed to restore the $2 dump"; }
	t1=$EPOCHREALTIME
	bench_pg_cpu_end "$target"
	read -r user sys m_rss < <(tail -n 1 "$tf")
	m_us=$(($(usec "$t1") - $(usec "$t0")))
	m_client=$(calc %.2f "$user + $sys")
}

# run_tool LABEL DATASET [WRAPPER...]: the restore into database $target,
# under WRAPPER if given.
run_tool() {
	local label=$1 set=$2 file
	shift 2
	if [[ $set == copy ]]; then file=$copy_sql; else file=$ins_sql; fi
	case $label in
	pgfeed) "$@" "$pgfeed" -f "$file" "dbname=$target" ;;
	"pgfeed -1") "$@" "$pgfeed" -1 -f "$file" "dbname=$target" ;;
	"psql -f") "$@" psql -X -q -v ON_ERROR_STOP=1 -f "$file" -d "$target" >/dev/null ;;
	pg_restore) "$@" pg_restore -e -d "$target" "$custom" ;;
	"pg_restore -j 2") "$@" pg_restore -e -j 2 -d "$target" "$custom" ;;
	*) die "no tool $label" ;;
	esac
}

# ------------------------------------------------------------------ timing

# Per "DATASET/LABEL": best wall time (us) and the figures of that run; the
# largest max RSS of all runs.
declare -A best=() client=() backend=() other=() rss=()
read -r load _ _ _ </proc/loadavg 2>/dev/null || load='?'

# bench DATASET TOOLS...: each tool's first restore checked, then timed.
bench_set() {
	local set=$1 fp_want r k n label key order
	shift
	local tools=("$@")
	n=${#tools[@]}
	if [[ $set == copy ]]; then fp_want=$fp_src; else fp_want=$fp_ins; fi
	for ((r = 0; r < rounds; r++)); do
		start=$EPOCHREALTIME
		order=()
		# Odd rounds in order, even rounds reversed.
		for ((k = 0; k < n; k++)); do
			if ((r % 2 == 0)); then order+=("${tools[k]}"); else order+=("${tools[n - 1 - k]}"); fi
		done
		for label in "${order[@]}"; do
			key=$set/$label
			measure "$label" "$set"
			if ((r == 0)); then
				bench_pg_check "$target" "$fp_want" "$label: the restored $set database"
			fi
			if [[ -z ${best[$key]:-} ]] || ((m_us < best[$key])); then
				best[$key]=$m_us client[$key]=$m_client backend[$key]=$m_backend other[$key]=$m_other
			fi
			if [[ -z ${rss[$key]:-} ]] || ((m_rss > rss[$key])); then rss[$key]=$m_rss; fi
			note "  $set: $label $(calc %.2f "$m_us / 1e6") s"
		done
		note "  round $((r + 1)) of $rounds ($set) took $(since "$start") s"
	done
}

note "timing the COPY-heavy dump: ${copy_tools[*]}, $rounds rounds ..."
bench_set copy "${copy_tools[@]}"
note "timing the --inserts dump: ${ins_tools[*]}, $rounds rounds ..."
bench_set ins "${ins_tools[@]}"
dropdb --if-exists "$target"

# ------------------------------------------------------------------ report

read -r load_after _ _ _ </proc/loadavg 2>/dev/null || load_after='?'
size_note() { # BYTES WANT_MIB
	if (($1 < $2 * 1048576)); then echo " (below the issue's $2 MiB: a quick run)"; fi
}

table() { # DATASET BYTES TOOLS...
	local set=$1 bytes=$2 label key ref ref_cpu
	shift 2
	ref=${best[$set/psql -f]}
	ref_cpu=$(calc %.6f "${client[$set/psql -f]} + ${backend[$set/psql -f]}")
	echo "| tool | wall s | time / psql's | MB/s | client CPU s | backend CPU s | other server CPU s | client + backend CPU / psql's | max RSS KiB |"
	echo "|---|--:|--:|--:|--:|--:|--:|--:|--:|"
	for label in "$@"; do
		key=$set/$label
		awk -v l="$label" -v us="${best[$key]}" -v ref="$ref" -v bytes="$bytes" -v rc="$ref_cpu" \
			-v c="${client[$key]}" -v b="${backend[$key]}" -v o="${other[$key]}" -v m="${rss[$key]}" 'BEGIN {
			printf "| %s | %.2f | %.2f | %.0f | %s | %s | %s | %.2f | %d |\n", l, us / 1e6, us / ref, bytes / us, c, b, o, (c + b) / rc, m }'
	done
}

# "B s of W s": backend CPU and wall of the best run of DATASET/LABEL.
busy() { echo "$(calc %.1f "${backend[$1]}") s of $(calc %.1f "${best[$1]} / 1e6") s"; }

results=$root/bench/results/pgfeed.md
mkdir -p -- "$(dirname -- "$results")"
pgfeed_rss=0
for key in "${!rss[@]}"; do
	if [[ $key == */pgfeed* ]] && ((rss[$key] > pgfeed_rss)); then pgfeed_rss=${rss[$key]}; fi
done
copy_ratio=$(calc %.2f "${best[copy/pgfeed]} / ${best[copy/psql -f]}")
ins_ratio=$(calc %.2f "${best[ins/pgfeed]} / ${best[ins/psql -f]}")
{
	echo "# pgfeed vs psql -f: restoring plain dumps"
	echo
	echo "- run: $(date -u '+%Y-%m-%d %H:%M UTC'), bench/pgfeed.sh, BENCH_SCALE=$scale, best of $rounds rounds"
	bench_machine
	echo "- server: PostgreSQL $server_version on the same machine, Unix socket, fsync=off, synchronous_commit=off, full_page_writes=off (tests/lib/pg.bash), other settings default"
	echo "- pgfeed: $pgfeed ($("$pgfeed" --version 2>&1 | head -n 1)); psql, pg_dump, pg_restore $(psql --version | awk '{ print $3 }')"
	echo "- COPY-heavy dump: pgbench -i -s $scale plus $((scale * 8000)) rows of text (table notes): plain $copy_bytes bytes ($(bench_mib "$copy_bytes") MiB)$(size_note "$copy_bytes" 1024); custom format (pg_dump -Fc, default compression) $(bench_mib "$custom_bytes") MiB"
	echo "- --inserts dump: pgbench -i -s $ins_scale plus $((ins_scale * 8000)) rows of notes: $ins_bytes bytes ($(bench_mib "$ins_bytes") MiB)$(size_note "$ins_bytes" 200), $ins_stmts INSERT statements"
	echo "- each restore into a fresh database (created and checkpointed, untimed), input from the page cache; every tool's first restore compared with the source (rows and a hash of every row)"
	echo "- wall: best of $rounds (order reversed each round); MB/s: plain dump bytes / wall (10^6 bytes/s); client CPU (user + system) and max RSS from /usr/bin/time; backend CPU: the session backends (and any worker) the server ended during the run; other server CPU: checkpointer, WAL writer and the like"
	echo
	echo "## COPY-heavy dump ($(bench_mib "$copy_bytes") MiB)"
	echo
	table copy "$copy_bytes" "${copy_tools[@]}"
	echo
	echo "pg_restore reads the custom-format dump ($(bench_mib "$custom_bytes") MiB, compressed), not the plain one; its MB/s is that of the plain dump's bytes, for comparison."
	echo
	echo "## --inserts dump ($(bench_mib "$ins_bytes") MiB, $ins_stmts INSERTs)"
	echo
	table ins "$ins_bytes" "${ins_tools[@]}"
	echo
	bench_targets
	bench_verdict "COPY-heavy: pgfeed time / psql time" "$copy_ratio" "<=" 0.80
	bench_verdict "--inserts: pgfeed time / psql time" "$ins_ratio" "<=" 0.33
	bench_verdict "pgfeed max RSS, KiB (all runs)" "$pgfeed_rss" "<=" 32768
	echo
	echo "Server-bound check, backend CPU of wall time (best runs): COPY-heavy psql $(busy "copy/psql -f")," \
		"pgfeed $(busy copy/pgfeed); --inserts psql $(busy "ins/psql -f"), pgfeed $(busy ins/pgfeed)." \
		"A restore takes at least its backend's CPU time, whatever the client; where the" \
		"backend's CPU time is about the same under both clients, only the rest can be saved." \
		"On a busy machine (see the load average) the wall times also hold time spent waiting for a CPU;" \
		"the CPU ratio column does not."
} >"$results.tmp"
mv -- "$results.tmp" "$results"
echo
cat -- "$results"
note "results in $results; total run time $(since "$t_all") s"
