# shellcheck shell=bash disable=SC2034,SC2154 # root, note, die and calc come from the script that sources this, which reads what is set here
# Sourced by the PostgreSQL benchmarks (pgfeed.sh, pgcount.sh, pipeline.sh):
# their tools, a throwaway PostgreSQL server (tests/lib/pg.bash) of the
# calling script only, in a scratch directory that an exit trap removes
# (kept after a failure, for its logs, or with BENCH_KEEP=1), the source
# database and its dump, the server's CPU time during a run, the check of a
# restore against its source, and the report's common lines.
#
#   bench_pg_server NAME    sets dir (after bench_s3_server: keeps its dir,
#                           and the exit trap ends with bench_s3_cleanup);
#                           the caller defines root, note, die and calc,
#                           and then calls bench_pg_start.

# shellcheck source=tests/lib/pg.bash
source "$root/tests/lib/pg.bash"

# ------------------------------------------------------------------ tools

# bench_tool NAME VAR [optional]: prints $VAR if set, else <repo>/NAME, else NAME in PATH; nothing (optional) or die when it is not there.
bench_tool() {
	local name=$1 var=$2 optional=${3:-} path
	if [[ -n ${!var:-} ]]; then
		path=${!var}
	else
		path=$root/$name
		[[ -x $path ]] || path=$(command -v "$name" 2>/dev/null) || path=$root/$name
	fi
	if [[ ! -x $path ]]; then
		[[ -n $optional ]] && return 0
		die "$name not found: make B=build/bench and put build/bench first in PATH, or set $var"
	fi
	echo "$path"
}

# bench_pgbench: sets pgbench to $PGBENCH, else the pgbench in PATH, else the newest /usr/lib/postgresql/*/bin/pgbench.
bench_pgbench() {
	if [[ -n ${PGBENCH:-} ]]; then
		pgbench=$PGBENCH
	else
		pgbench=$(command -v pgbench 2>/dev/null) ||
			pgbench=$(printf '%s\n' /usr/lib/postgresql/*/bin/pgbench | sort -V | tail -n 1)
	fi
	[[ -x $pgbench ]] || die "pgbench not found (Debian package postgresql), or set PGBENCH"
}

# ------------------------------------------------------------------ server

# bench_pg_server NAME: the scratch dir (dir, or bench_s3_server's) and the traps; the server lives in $dir/pg-main.
bench_pg_server() {
	bench_name=$1
	bench_pg_s3=0
	# After bench_s3_server: its scratch dir, and its exit trap after ours.
	if [[ $(trap -p EXIT) == *bench_s3_cleanup* ]]; then
		bench_pg_s3=1
	else
		dir=$(mktemp -d "/tmp/bench-$bench_name.XXXXXX")
	fi
	export PG_TMPDIR=$dir
	unset BATS_FILE_TMPDIR
	trap bench_pg_cleanup EXIT
	trap 'exit 130' INT
	trap 'exit 143' TERM
}

# Exit trap: stops the server, then the S3 one (bench_s3_cleanup), or removes dir itself and exits.
bench_pg_cleanup() {
	local rc=$?
	trap - EXIT INT TERM
	set +e
	pg_stop main || { note "$bench_name.sh: could not stop the PostgreSQL server in $dir"; rc=1; }
	if ((bench_pg_s3)); then
		(exit "$rc")
		bench_s3_cleanup
	fi
	# Kept after a failure, for its logs; not after an interrupt.
	if ((rc != 0 && rc < 128)) || [[ ${BENCH_KEEP:-0} == 1 ]]; then
		note "keeping $dir"
	else
		rm -rf -- "$dir"
	fi
	exit "$rc"
}

# bench_pg_start: starts the server; sets pm_pid (the postmaster's), server_version and tck (clock ticks a second).
bench_pg_start() {
	note "starting PostgreSQL in $dir ..."
	pg_start main || die "PostgreSQL did not start"
	pm_pid=$(head -n 1 "$dir/pg-main/data/postmaster.pid")
	server_version=$(psql -X -At -c 'SHOW server_version')
	tck=$(getconf CLK_TCK)
}

# ------------------------------------------------------------ the database

# bench_pg_make_db NAME SCALE WHAT: pgbench's tables at SCALE, and SCALE x 8000 rows of text in public.notes (about 20% of the plain dump).
bench_pg_make_db() {
	local db=$1 s=$2
	note "creating $3: pgbench -i -s $s + notes ..."
	createdb "$db"
	"$pgbench" -i -q -s "$s" "$db" >"$dir/pgbench-$db.log" 2>&1 ||
		{ tail -n 5 "$dir/pgbench-$db.log" >&2; die "pgbench -i -s $s $db failed"; }
	# Tabs, newlines, backslashes, quotes and non-ASCII text, for COPY's and INSERT's escapes.
	psql -X -q -v ON_ERROR_STOP=1 -v rows=$((s * 8000)) -d "$db" <<-'EOF' || die "filling $db.notes failed"
		CREATE TABLE public.notes (
		    id bigint NOT NULL,
		    author text NOT NULL,
		    created_at timestamp with time zone NOT NULL,
		    body text
		);
		INSERT INTO public.notes
		SELECT g, 'user' || (g % 5000),
		       timestamptz '2024-01-01 00:00:00+00' + g * interval '7 seconds',
		       CASE WHEN g % 10 = 0
		            THEN E'tab\there, line\nbreak, back\\slash, ''quote'', "dq", '
		                 || chr(252) || chr(239) || chr(8364) || ' '
		            ELSE '' END
		       || left((SELECT string_agg(md5(g || '/' || k), ' ' ORDER BY k)
		                FROM generate_series(1, 12) AS k), 40 + (g * 37) % 360)
		FROM generate_series(1, :rows) AS g;
		ALTER TABLE ONLY public.notes ADD CONSTRAINT notes_pkey PRIMARY KEY (id);
		CREATE INDEX notes_created_at_idx ON public.notes (created_at);
		VACUUM ANALYZE public.notes;
	EOF
}

# bench_pg_gzip_dump DB: DB's plain pg_dump in $dir/dump.sql, and it gzip -6'd in dump.sql.gz; sets sql, gz, sql_bytes and gz_bytes.
bench_pg_gzip_dump() {
	sql=$dir/dump.sql
	gz=$sql.gz
	note "dumping it (plain) and compressing the dump with gzip -6 ..."
	pg_dump -d "$1" -f "$sql"
	gzip -6 -n -c -- "$sql" >"$gz"
	sql_bytes=$(stat -c %s -- "$sql")
	gz_bytes=$(stat -c %s -- "$gz")
}

# bench_pg_fingerprint DB: prints "TABLE ROWS HASH" per table of DB, to compare a restore with its source.
bench_pg_fingerprint() {
	psql -X -At -F ' ' -v ON_ERROR_STOP=1 -d "$1" <<-'EOF'
		SELECT format('SELECT %L, count(*), coalesce(sum(hashtext(t::text)::bigint), 0) FROM %s AS t',
		              c.oid::regclass, c.oid::regclass)
		FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
		WHERE c.relkind = 'r' AND n.nspname NOT IN ('pg_catalog', 'information_schema')
		ORDER BY 1 \gexec
	EOF
}

# bench_same WANT GOT WHAT: unless GOT is WANT, shows the start of their diff (< WANT, > GOT) and dies with WHAT.
bench_same() {
	[[ $2 == "$1" ]] && return 0
	# diff's status is 1 here: not one for set -e and pipefail.
	diff <(echo "$1") <(echo "$2") | head -n 10 >&2 || true
	die "$3"
}

# bench_pg_check DB WANT WHAT: dies with "WHAT differs from its source" unless DB's fingerprint is WANT.
bench_pg_check() {
	local got
	got=$(bench_pg_fingerprint "$1")
	bench_same "$2" "$got" "$3 differs from its source (< source, > restore)"
}

# ---------------------------------------------------- restores, CPU time

# bench_pg_ticks: prints the clock ticks of CPU time the server has used, "ENDED LIVE": ENDED its children that the postmaster has reaped (session backends, parallel and autovacuum workers), LIVE its running processes.
bench_pg_ticks() {
	local p
	# cat, not awk on the files: a process may end meanwhile.
	{
		cat "/proc/$pm_pid/stat"
		for p in $(ps --ppid "$pm_pid" -o pid=); do cat "/proc/$p/stat" 2>/dev/null || true; done
	} | awk -v pm="$pm_pid" '
		{ pid = $1; sub(/^.*\) /, ""); split($0, f, " ")
		  live += f[12] + f[13]; if (pid == pm) ended = f[14] + f[15] }
		END { print ended + 0, live + 0 }'
}

# bench_pg_wait_sessions DB: waits (up to 10 s) until no session of DB is left and the postmaster has reaped every child that ended.
bench_pg_wait_sessions() {
	local out i
	for ((i = 0; i < 200; i++)); do
		out=$'\n'$(ps --ppid "$pm_pid" -o stat=,args=)
		# A session, or a child that is ending: a zombie, or one whose
		# command line is gone already (ps shows [postgres]).
		[[ $out == *" postgres: postgres $1 "* || $out == *$'\n'Z* || $out == *" ["* ]] || return 0
		sleep 0.05
	done
	note "note: sessions of $1 still running"
}

# bench_pg_fresh_db DB: DB dropped and created again, then a checkpoint (untimed, before a restore).
bench_pg_fresh_db() {
	dropdb --if-exists "$1"
	createdb "$1"
	psql -X -q -c CHECKPOINT
	bench_pg_wait_sessions postgres
}

# bench_pg_cpu_start: notes the server's CPU ticks before a run, for bench_pg_cpu_end.
bench_pg_cpu_start() { read -r bench_pg_e0 bench_pg_l0 < <(bench_pg_ticks); }

# bench_pg_cpu_end DB: after a run on DB, sets m_backend (CPU s of the children the server reaped, its sessions) and m_other (of the rest) since bench_pg_cpu_start.
bench_pg_cpu_end() {
	local e1 l1 e2 l2 i
	bench_pg_wait_sessions "$1"
	read -r e1 l1 < <(bench_pg_ticks)
	# Until the reaped children's time holds still (none reaped meanwhile).
	for ((i = 0; i < 20; i++)); do
		sleep 0.1
		read -r e2 l2 < <(bench_pg_ticks)
		((e2 != e1)) || break
		e1=$e2 l1=$l2
	done
	m_backend=$(calc %.2f "($e1 - $bench_pg_e0) / $tck")
	m_other=$(calc %.2f "($l1 - $bench_pg_l0) / $tck")
}

# ------------------------------------------------------------------ report

# bench_mib BYTES: prints BYTES in MiB, one decimal.
bench_mib() { calc %.1f "$1 / 1048576"; }

# bench_machine: prints the report's "- machine:" line, with the load averages $load (before timing) and $load_after.
bench_machine() {
	local cpu mem busy
	cpu=$(awk -F': *' '/^model name/ { print $2; exit }' /proc/cpuinfo 2>/dev/null || true)
	mem=$(awk '/^MemTotal:/ { printf "%.0f GiB", $2 / 1048576; exit }' /proc/meminfo 2>/dev/null || true)
	# A warning when the load average says other work shared the CPUs.
	busy=$(awk -v a="$load" -v b="$load_after" -v n="$(nproc)" 'BEGIN {
		if (a + 0 > n / 2 || b + 0 > n / 2)
			print " (other work on the machine: wall times include waiting for a CPU)" }')
	echo "- machine: $(uname -sr), $(nproc) CPUs (${cpu:-unknown CPU}), ${mem:-? GiB} RAM; load average $load before timing, $load_after after$busy"
}

# bench_targets: prints the heading and head of the report's targets table, whose rows bench_verdict prints.
bench_targets() {
	echo "## Targets"
	echo
	echo "| target | measured | want | verdict |"
	echo "|---|--:|--:|---|"
}

# bench_verdict WHAT VALUE OP WANT: prints the targets table's row for "VALUE OP WANT", with PASS or MISS.
bench_verdict() {
	local what=$1 value=$2 op=$3 want=$4 ok
	ok=$(calc %d "(($value $op $want) ? 1 : 0)")
	printf '| %s | %s | %s %s | %s |\n' "$what" "$value" "$op" "$want" "$([[ $ok == 1 ]] && echo PASS || echo MISS)"
}
