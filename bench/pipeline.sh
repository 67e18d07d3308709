#!/usr/bin/env bash
# Benchmarks the whole restore of a gzip-compressed plain dump kept on S3:
# bkpipe's pipeline (s3get | gzcat-verify | pgfeed -1) against the
# runbooks' sequential procedure (aws s3 cp to a file, gunzip, psql -f) and
# the peers' pipeline (aws s3 cp - | gzip -dc | psql), and against each of
# its own stages alone, on a throwaway Ceph RADOS Gateway and PostgreSQL
# server on this machine (tests/lib/s3.bash, tests/lib/pg.bash); checks the
# issue's targets and plots the times.
#
#   bench/pipeline.sh
#
# Environment:
#   S3GET, GZCAT_VERIFY, PGFEED   the tools to test; default <repo>/NAME
#                  (make bench builds them), else the first in PATH
#   PGBENCH        pgbench; default the one in PATH, else the newest
#                  /usr/lib/postgresql/*/bin/pgbench
#   BENCH_SCALE    pgbench scale of the database (default 100: a plain dump
#                  of about 1.2 GB)
#   BENCH_ROUNDS   timed rounds (default 2)
#   BENCH_KEEP=1   keep the scratch dir (dump, server logs) at the end; it is
#                  kept anyway when the script fails (not when interrupted)
#   S3_MEMSTORE_BYTES  the OSD's in-memory store; default 1 GiB, or twice
#                  the compressed dump plus 512 MiB if that is more
#
# The database is pgbench's tables (pgbench -i) plus a text table, "notes",
# with tabs, newlines, backslashes, quotes and non-ASCII text in its rows
# (as in bench/pgfeed.sh). Its plain pg_dump is compressed with gzip -6 and
# put in the bucket with aws s3 cp. Every restore goes into a fresh
# database (created and checkpointed, untimed) and is compared once with the
# source (rows and a hash of every row of every table). The rows run round
# after round, the order reversed each round; each one's best wall time is
# kept:
#
#   sequential      aws s3 cp s3://B/dump.sql.gz FILE.gz; gunzip FILE.gz;
#                   psql -X -q -v ON_ERROR_STOP=1 -f FILE   (the three timed)
#   peers           aws s3 cp s3://B/dump.sql.gz - | gzip -dc |
#                   psql -X -q -v ON_ERROR_STOP=1
#   bkpipe          s3get s3://B/dump.sql.gz | gzcat-verify | pgfeed -1
#   stages alone    s3get URL > /dev/null; gzcat-verify < dump.sql.gz >
#                   /dev/null; pgfeed -1 -f dump.sql
#   and, to tell what reading a pipe costs pgfeed: cat dump.sql | pgfeed -1
#
# Peak memory: each stage's max RSS (/usr/bin/time), summed over a
# pipeline's stages (an upper bound of the pipeline's peak). The servers
# share the machine's CPUs with the tools; the table gives the CPU time of
# the PostgreSQL backends during each restore, to tell a server-bound
# restore.
#
# The results table (markdown) goes to bench/results/pipeline.md and stdout,
# the plot (gnuplot, Debian package gnuplot-nox) to bench/results/pipeline.png.
# Missed targets are reported, not treated as failures; the script exits
# non-zero only on a usage error, if a server does not start, or if a
# restore fails or differs from the source.
set -euo pipefail

root=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")/.." && pwd)

scale=${BENCH_SCALE:-100}
rounds=${BENCH_ROUNDS:-2}
[[ $scale =~ ^[1-9][0-9]*$ ]] || { echo "BENCH_SCALE: not a number: $scale" >&2; exit 2; }
[[ $rounds =~ ^[1-9][0-9]*$ ]] || { echo "BENCH_ROUNDS: not a number: $rounds" >&2; exit 2; }
if [[ -n ${S3_MEMSTORE_BYTES:-} && ! $S3_MEMSTORE_BYTES =~ ^[1-9][0-9]*$ ]]; then
	echo "S3_MEMSTORE_BYTES: not a number: $S3_MEMSTORE_BYTES" >&2
	exit 2
fi

note() { printf '%s\n' "$*" >&2; }
die() { note "pipeline.sh: $*"; exit 1; }
# calc FORMAT EXPR: evaluates an awk expression and prints it with printf FORMAT.
calc() { awk "BEGIN { printf \"$1\", $2 }"; }
# Microseconds in an EPOCHREALTIME value (its point dropped).
usec() { local t=${1/[.,]/}; echo $((10#$t)); }
since() { calc %.1f "($(usec "$EPOCHREALTIME") - $(usec "$1")) / 1e6"; }

# shellcheck source=bench/pg-server.bash
source "$root/bench/pg-server.bash"

s3get=$(bench_tool s3get S3GET)
gzcat_verify=$(bench_tool gzcat-verify GZCAT_VERIFY)
pgfeed=$(bench_tool pgfeed PGFEED)
bench_pgbench
for t in psql pg_dump createdb dropdb gzip gunzip; do
	command -v "$t" >/dev/null || die "$t not found (Debian packages postgresql-client, gzip)"
done
/usr/bin/time --version 2>&1 | grep -q GNU || die "GNU time not found at /usr/bin/time (Debian package time)"
plot=1
if ! command -v gnuplot >/dev/null; then
	note "note: gnuplot not found (Debian package gnuplot-nox; scripts/deps bench installs it): no plot"
	plot=0
fi

# ------------------------------------------------------ scratch dir, servers

# shellcheck source=bench/s3-server.bash
source "$root/bench/s3-server.bash"
bench_s3_server pipeline
# PostgreSQL in the same scratch dir; stopped first at exit.
bench_pg_server pipeline
t_all=$EPOCHREALTIME
bench_pg_start

# --------------------------------------------------------------- the dump

start=$EPOCHREALTIME
bench_pg_make_db src "$scale" "the database"
bench_pg_gzip_dump src
fp_src=$(bench_pg_fingerprint src)
dropdb src
note "  took $(since "$start") s"

# ----------------------------------------------------------- the S3 object

if [[ -z ${S3_MEMSTORE_BYTES:-} ]]; then
	S3_MEMSTORE_BYTES=$((2 * gz_bytes + 536870912))
	((S3_MEMSTORE_BYTES > 1073741824)) || S3_MEMSTORE_BYTES=1073741824
fi
note "starting the S3 server (Ceph RGW) in $BKPIPE_S3_STATE ..."
start=$EPOCHREALTIME
s3_start || die "the S3 server did not start (logs in $BKPIPE_S3_STATE/log)"
note "  took $(since "$start") s, endpoint $S3_ENDPOINT"
bucket=bkpipe-bench-pipeline
s3_bucket "$bucket"
obj=s3://$bucket/dump.sql.gz
note "uploading the dump to $obj with aws s3 cp ..."
s3_aws s3 cp --quiet -- "$gz" "$obj"
"$s3get" "$obj" | cmp -s -- - "$gz" || die "s3get $obj: not the uploaded file"
cat -- "$sql" "$gz" >/dev/null

# ------------------------------------------------------------------ rows

target=restore
dl=$dir/download.sql.gz

# The max RSS (KiB) in /usr/bin/time's file $1.
kib() { tail -n 1 -- "$1"; }
psql_restore=(psql -X -q -v ON_ERROR_STOP=1)
rows=(sequential peers bkpipe "s3get alone" "gzcat-verify alone" "pgfeed -1 alone" "pgfeed -1 from a pipe")
restores=(sequential peers bkpipe "pgfeed -1 alone" "pgfeed -1 from a pipe")

# run_row ROW: one timed run; sets m_us (wall time, us), m_steps (the
# sequential procedure's three times, us), m_rss (the stages' max RSS, KiB,
# space-separated) and m_backend (CPU seconds of the backends).
run_row() {
	local row=$1 t0 t1 t2 t3 T=/usr/bin/time
	local -a f=("$dir/time.0" "$dir/time.1" "$dir/time.2")
	case $row in sequential | peers | bkpipe | *pgfeed*) bench_pg_fresh_db "$target" ;; esac
	rm -f -- "$dl" "${dl%.gz}"
	bench_pg_cpu_start
	t0=$EPOCHREALTIME
	case $row in
	sequential)
		$T -f %M -o "${f[0]}" "$S3_AWS" --endpoint-url "$S3_ENDPOINT" s3 cp --quiet "$obj" "$dl" ||
			die "aws s3 cp $obj $dl failed"
		t1=$EPOCHREALTIME
		$T -f %M -o "${f[1]}" gunzip -- "$dl" || die "gunzip $dl failed"
		t2=$EPOCHREALTIME
		$T -f %M -o "${f[2]}" "${psql_restore[@]}" -f "${dl%.gz}" -d "$target" >/dev/null ||
			die "psql -f ${dl%.gz} failed"
		t3=$EPOCHREALTIME
		m_steps="$(($(usec "$t1") - $(usec "$t0"))) $(($(usec "$t2") - $(usec "$t1"))) $(($(usec "$t3") - $(usec "$t2")))"
		;;
	peers)
		$T -f %M -o "${f[0]}" "$S3_AWS" --endpoint-url "$S3_ENDPOINT" s3 cp --quiet "$obj" - |
			$T -f %M -o "${f[1]}" gzip -dc |
			$T -f %M -o "${f[2]}" "${psql_restore[@]}" -d "$target" >/dev/null ||
			die "aws s3 cp - | gzip -dc | psql failed"
		;;
	bkpipe)
		$T -f %M -o "${f[0]}" "$s3get" "$obj" |
			$T -f %M -o "${f[1]}" "$gzcat_verify" |
			$T -f %M -o "${f[2]}" "$pgfeed" -1 "dbname=$target" ||
			die "s3get | gzcat-verify | pgfeed -1 failed"
		;;
	"s3get alone") $T -f %M -o "${f[0]}" "$s3get" "$obj" >/dev/null || die "s3get $obj failed" ;;
	"gzcat-verify alone") $T -f %M -o "${f[0]}" "$gzcat_verify" <"$gz" >/dev/null || die "gzcat-verify failed" ;;
	"pgfeed -1 alone") $T -f %M -o "${f[0]}" "$pgfeed" -1 -f "$sql" "dbname=$target" || die "pgfeed -1 -f $sql failed" ;;
	"pgfeed -1 from a pipe")
		cat -- "$sql" | $T -f %M -o "${f[0]}" "$pgfeed" -1 "dbname=$target" || die "cat $sql | pgfeed -1 failed"
		;;
	*) die "no row $row" ;;
	esac
	t1=$EPOCHREALTIME
	m_us=$(($(usec "$t1") - $(usec "$t0")))
	case $row in
	sequential | peers | bkpipe) m_rss="$(kib "${f[0]}") $(kib "${f[1]}") $(kib "${f[2]}")" ;;
	*) m_rss=$(kib "${f[0]}") ;;
	esac
	m_backend=0
	case $row in sequential | peers | bkpipe | *pgfeed*) bench_pg_cpu_end "$target" ;; esac
	rm -f -- "$dl" "${dl%.gz}"
}

# ------------------------------------------------------------------ timing

# Per row: best wall time (us), the sequential steps and backend CPU of that
# run, and the largest max RSS of each stage over all runs.
declare -A best=() steps=() backend=() rss=()
read -r load _ _ _ </proc/loadavg 2>/dev/null || load='?'
n=${#rows[@]}
note "timing ${rows[*]}; $rounds rounds ..."
for ((r = 0; r < rounds; r++)); do
	start=$EPOCHREALTIME
	for ((k = 0; k < n; k++)); do
		# Odd rounds in order, even rounds reversed.
		if ((r % 2 == 0)); then row=${rows[k]}; else row=${rows[n - 1 - k]}; fi
		m_steps=''
		run_row "$row"
		if ((r == 0)) && [[ " ${restores[*]} " == *" $row "* ]]; then
			bench_pg_check "$target" "$fp_src" "$row: the restored database"
		fi
		if [[ -z ${best[$row]:-} ]] || ((m_us < best[$row])); then
			best[$row]=$m_us steps[$row]=$m_steps backend[$row]=$m_backend
		fi
		read -ra now <<<"$m_rss"
		read -ra was <<<"${rss[$row]:-}"
		for j in "${!now[@]}"; do
			if [[ -n ${was[j]:-} ]] && ((was[j] > now[j])); then now[j]=${was[j]}; fi
		done
		rss[$row]="${now[*]}"
		note "  $row: $(calc %.2f "$m_us / 1e6") s"
	done
	note "  round $((r + 1)) of $rounds took $(since "$start") s"
done
dropdb --if-exists "$target"

# ------------------------------------------------------------------ report

read -r load_after _ _ _ </proc/loadavg 2>/dev/null || load_after='?'

ceph=$(ceph --version 2>/dev/null | awk '{ print $3; exit }' || true)
s() { calc %.2f "$1 / 1e6"; }
sum() { local t=0 v; for v in "$@"; do t=$((t + v)); done; echo "$t"; }

slowest=''
for row in "s3get alone" "gzcat-verify alone" "pgfeed -1 alone"; do
	if [[ -z $slowest ]] || ((best[$row] > best[$slowest])); then slowest=$row; fi
done
read -r seq_dl seq_gunzip seq_psql <<<"${steps[sequential]}"
read -ra bk_rss <<<"${rss[bkpipe]}"
read -ra peer_rss <<<"${rss[peers]}"
read -ra seq_rss <<<"${rss[sequential]}"
bk_peak=$(sum "${bk_rss[@]}")
size_note=''
if ((sql_bytes < 1073741824)); then size_note=" (below the issue's 1 GiB: a quick run)"; fi

declare -A cmd=(
	[sequential]="aws s3 cp URL FILE.gz; gunzip FILE.gz; psql -f FILE"
	[peers]="aws s3 cp URL - | gzip -dc | psql"
	[bkpipe]="s3get URL | gzcat-verify | pgfeed -1"
	["s3get alone"]="s3get URL > /dev/null"
	["gzcat-verify alone"]="gzcat-verify < FILE.gz > /dev/null"
	["pgfeed -1 alone"]="pgfeed -1 -f FILE"
	["pgfeed -1 from a pipe"]="cat FILE | pgfeed -1"
)
declare -A mem_of=(
	[sequential]="aws ${seq_rss[0]}, gunzip ${seq_rss[1]}, psql ${seq_rss[2]} (one at a time)"
	[peers]="aws ${peer_rss[0]} + gzip ${peer_rss[1]} + psql ${peer_rss[2]} = $(sum "${peer_rss[@]}")"
	[bkpipe]="s3get ${bk_rss[0]} + gzcat-verify ${bk_rss[1]} + pgfeed ${bk_rss[2]} = $bk_peak"
)

results=$root/bench/results/pipeline.md
png=$root/bench/results/pipeline.png
mkdir -p -- "$(dirname -- "$results")"
{
	echo "# Restoring a gzip dump from S3: bkpipe's pipeline vs the runbooks' and the peers'"
	echo
	echo "- run: $(date -u '+%Y-%m-%d %H:%M UTC'), bench/pipeline.sh, BENCH_SCALE=$scale, best of $rounds rounds (order reversed each round)"
	bench_machine
	echo "- servers, on the same machine: Ceph ${ceph:-?} radosgw on $S3_ENDPOINT (one OSD, in-memory store); PostgreSQL $server_version on a Unix socket, fsync=off (tests/lib/pg.bash)"
	echo "- tools: s3get $s3get (default -j 4, 8 MiB parts), gzcat-verify $gzcat_verify, pgfeed $pgfeed; $("$S3_AWS" --version 2>&1 | awk '{ print $1; exit }') (default settings); $(gzip --version | head -n 1); psql $(psql --version | awk '{ print $3 }')"
	echo "- dump: pg_dump (plain) of pgbench -i -s $scale plus $((scale * 8000)) rows of text (table notes): $sql_bytes bytes ($(bench_mib "$sql_bytes") MiB)$size_note; gzip -6: $gz_bytes bytes ($(bench_mib "$gz_bytes") MiB), uploaded with aws s3 cp"
	echo "- every restore into a fresh database (created and checkpointed, untimed) and compared once with the source (rows and a hash of every row); files in /tmp (page cache)"
	echo "- wall: best of $rounds; backend CPU: CPU time of the PostgreSQL session backends during the run; max RSS from /usr/bin/time, the largest of all runs, summed over a pipeline's stages"
	echo
	echo "| row | command | wall s | bkpipe / this | backend CPU s | max RSS KiB |"
	echo "|---|---|--:|--:|--:|---|"
	for row in "${rows[@]}"; do
		printf '| %s | %s | %s | %s | %s | %s |\n' "$row" "\`${cmd[$row]//|/\\|}\`" "$(s "${best[$row]}")" \
			"$(calc %.2f "${best[bkpipe]} / ${best[$row]}")" \
			"$([[ ${backend[$row]} == 0 ]] && echo - || echo "${backend[$row]}")" \
			"${mem_of[$row]:-${rss[$row]}}"
	done
	echo
	echo "The sequential procedure's steps (its best run): aws s3 cp $(s "$seq_dl") s, gunzip $(s "$seq_gunzip") s, psql -f $(s "$seq_psql") s."
	echo
	if ((plot)); then
		echo "![restore times](pipeline.png)"
		echo
	fi
	bench_targets
	bench_verdict "bkpipe time / sequential procedure's" "$(calc %.2f "${best[bkpipe]} / ${best[sequential]}")" "<=" 0.50
	bench_verdict "bkpipe time / peers' pipeline's" "$(calc %.2f "${best[bkpipe]} / ${best[peers]}")" "<=" 0.80
	bench_verdict "bkpipe time / its slowest stage's ($slowest)" "$(calc %.2f "${best[bkpipe]} / ${best[$slowest]}")" "<=" 1.15
	bench_verdict "bkpipe peak memory (sum of the stages' max RSS), KiB" "$bk_peak" "<=" 131072
} >"$results.tmp"
mv -- "$results.tmp" "$results"

# ------------------------------------------------------------------- plot

if ((plot)); then
	dat=$dir/plot.dat
	{
		echo "# row download decompress restore pipeline total"
		printf '"%s" %s %s %s 0 %s\n' "sequential" "$(s "$seq_dl")" "$(s "$seq_gunzip")" "$(s "$seq_psql")" "$(s "${best[sequential]}")"
		printf '"%s" 0 0 0 %s %s\n' "peers' pipeline" "$(s "${best[peers]}")" "$(s "${best[peers]}")"
		printf '"%s" 0 0 0 %s %s\n' "bkpipe" "$(s "${best[bkpipe]}")" "$(s "${best[bkpipe]}")"
		printf '"%s" %s 0 0 0 %s\n' "s3get alone" "$(s "${best[s3get alone]}")" "$(s "${best[s3get alone]}")"
		printf '"%s" 0 %s 0 0 %s\n' "gzcat-verify alone" "$(s "${best[gzcat-verify alone]}")" "$(s "${best[gzcat-verify alone]}")"
		printf '"%s" 0 0 %s 0 %s\n' "pgfeed -1 alone" "$(s "${best[pgfeed -1 alone]}")" "$(s "${best[pgfeed -1 alone]}")"
		printf '"%s" 0 0 %s 0 %s\n' "cat | pgfeed -1" "$(s "${best[pgfeed -1 from a pipe]}")" "$(s "${best[pgfeed -1 from a pipe]}")"
	} >"$dat"
	term=png
	if gnuplot -e 'set terminal' 2>&1 | grep -q pngcairo; then term=pngcairo; fi
	if gnuplot -e "
		set terminal $term size 1100,560;
		set output '$png.tmp';
		set title 'Restore of a $(bench_mib "$sql_bytes") MiB plain dump ($(bench_mib "$gz_bytes") MiB gzip) from S3, best of $rounds; $(nproc) CPUs';
		set ylabel 'wall time, s';
		set style data histograms;
		set style histogram rowstacked;
		set style fill solid 0.8 border -1;
		set boxwidth 0.6;
		set key top right;
		set grid ytics;
		set yrange [0:*]; set offsets 0, 0, graph 0.08, 0;
		set xtics font ',9';
		plot '$dat' using 2:xtic(1) title 'download', '' using 3 title 'decompress', '' using 4 title 'restore', '' using 5 title 'whole pipeline', '' using 0:6:(sprintf('%.2f s', \$6)) with labels offset 0,0.8 notitle
	" 2>"$dir/gnuplot.log"; then
		mv -- "$png.tmp" "$png"
	else
		rm -f -- "$png.tmp"
		note "note: gnuplot failed (see $dir/gnuplot.log): no plot"
		cat -- "$dir/gnuplot.log" >&2
	fi
fi

echo
cat -- "$results"
if ((plot)) && [[ -s $png ]]; then echo; echo "plot: $png"; fi
note "results in $results; total run time $(since "$t_all") s"
