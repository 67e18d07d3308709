# Throwaway PostgreSQL servers for bats suites.
#
#   load lib/pg                       # at top level, so tests can call pg_*
#   setup_file()    { pg_start; }
#   teardown_file() { pg_stop; }
#
# pg_start [NAME] initialises and starts a server (NAME defaults to "main")
# and exports PGHOST, PGPORT, PGUSER, PGDATABASE and PG_URL for it.
# pg_use [NAME] exports those variables again for a server already started.
# pg_stop [NAME] stops it; it is safe to call twice or after a failed start.
#
# The state of server NAME lives in $BATS_FILE_TMPDIR/pg-NAME/{data,sock,log,port}
# (a mktemp -d directory outside bats).

# Where the pg-NAME directories live; exported so that the tests, which run in
# child processes, find the servers started by setup_file.
_pg_base() {
	if [[ -n ${BATS_FILE_TMPDIR:-} ]]; then
		PG_TMPDIR=$BATS_FILE_TMPDIR
	elif [[ -z ${PG_TMPDIR:-} ]]; then
		PG_TMPDIR=$(mktemp -d) || return 1
	fi
	export PG_TMPDIR
}

# The directory holding initdb and pg_ctl.
_pg_bindir() {
	local dir
	dir=$(pg_config --bindir 2>/dev/null)
	if [[ -n $dir && -x $dir/initdb && -x $dir/pg_ctl ]]; then
		printf '%s\n' "$dir"
		return 0
	fi
	dir=$(printf '%s\n' /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
	if [[ -x $dir/initdb && -x $dir/pg_ctl ]]; then
		printf '%s\n' "$dir"
		return 0
	fi
	echo "pg.bash: no PostgreSQL server binaries (initdb, pg_ctl) found" >&2
	return 1
}

# PostgreSQL refuses to run as root, so root runs the server as "postgres".
# The cd is there because initdb fails when it cannot read its working directory.
_pg_run() {
	if (($(id -u) == 0)); then
		(cd / && runuser -u postgres -- "$@")
	else
		"$@"
	fi
}

# Lets the postgres user reach $1: every directory above it must be
# searchable by others (bats makes its /tmp/bats-run-* directory mode 700).
_pg_make_reachable() {
	local dir=$1 mode
	while [[ $dir != / && -n $dir ]]; do
		mode=$(stat -c %a "$dir") || return 1
		if ((!(8#$mode & 1))); then
			chmod o+x "$dir" || return 1
		fi
		dir=$(dirname "$dir")
	done
}

_pg_random_port() {
	echo $(((RANDOM * 32768 + RANDOM) % 40001 + 20000))
}

# True when something accepts connections on 127.0.0.1:$1.
_pg_port_busy() {
	(: <"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

# True when $1 is the pid of a running postgres process (not a reused pid).
_pg_alive() {
	[[ -n $1 ]] && [[ $(ps -o comm= -p "$1" 2>/dev/null) == postgres ]]
}

# The postmaster pid of the server in directory $1, or nothing.
_pg_pid() {
	local pidfile=$1/data/postmaster.pid
	if [[ -r $pidfile ]]; then
		head -n 1 "$pidfile"
	fi
}

pg_use() {
	local name=${1:-main} dir port
	_pg_base || return 1
	dir=$PG_TMPDIR/pg-$name
	if ! port=$(cat "$dir/port" 2>/dev/null); then
		echo "pg.bash: no server named $name" >&2
		return 1
	fi
	export PGHOST=$dir/sock PGPORT=$port PGUSER=postgres PGDATABASE=postgres
	export PG_URL="postgresql://postgres@127.0.0.1:$port/postgres"
}

pg_start() {
	local name=${1:-main} bindir dir port attempt started=''
	_pg_base || return 1
	bindir=$(_pg_bindir) || return 1
	dir=$PG_TMPDIR/pg-$name

	if _pg_alive "$(_pg_pid "$dir")"; then
		echo "pg.bash: server $name is already running" >&2
		return 1
	fi
	rm -rf "$dir"
	mkdir -p "$dir/data" "$dir/sock" || return 1
	chmod 700 "$dir/data"
	: >"$dir/log"
	if (($(id -u) == 0)); then
		chown -R postgres: "$dir" && _pg_make_reachable "$dir" || return 1
	fi

	if ! _pg_run "$bindir/initdb" -D "$dir/data" --auth=trust -U postgres \
		--no-sync -E UTF8 --locale=C >>"$dir/log" 2>&1; then
		echo "pg.bash: initdb failed for server $name; end of $dir/log:" >&2
		tail -n 30 "$dir/log" >&2
		return 1
	fi

	# Another process may take the free port we picked before the server binds
	# it, so a failed start is retried on another port.
	for attempt in 1 2 3 4 5; do
		port=$(_pg_random_port)
		while _pg_port_busy "$port"; do
			port=$(_pg_random_port)
		done
		echo "pg.bash: start attempt $attempt on port $port" >>"$dir/log"
		# Closing fd 3 keeps the server from holding bats' output pipe open,
		# which would make bats wait for it to exit. pg_ctl and the server
		# both only append to the log, so sharing it is fine.
		# shellcheck disable=SC2094
		if _pg_run "$bindir/pg_ctl" start -w -t 60 -D "$dir/data" -l "$dir/log" \
			-o "-p $port -k '$dir/sock' -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off" \
			>>"$dir/log" 2>&1 3>&-; then
			started=1
			break
		fi
		_pg_kill "$dir" || return 1
	done

	if [[ -z $started ]]; then
		echo "pg.bash: could not start server $name; end of $dir/log:" >&2
		tail -n 30 "$dir/log" >&2
		return 1
	fi
	echo "$port" >"$dir/port"
	pg_use "$name"
}

# Stops the server in directory $1 (if it runs) and waits until it is gone.
_pg_kill() {
	local dir=$1 pid bindir signal
	pid=$(_pg_pid "$dir")
	_pg_alive "$pid" || return 0
	bindir=$(_pg_bindir) || return 1
	_pg_run "$bindir/pg_ctl" stop -m fast -w -t 30 -D "$dir/data" \
		>>"$dir/log" 2>&1 || true
	# Fall back to an immediate shutdown, then to SIGKILL.
	for signal in QUIT KILL; do
		_pg_alive "$pid" || return 0
		echo "pg.bash: sending SIG$signal to $pid" >>"$dir/log"
		kill -s "$signal" "$pid" 2>/dev/null || true
		for _ in {1..50}; do
			_pg_alive "$pid" || return 0
			sleep 0.1
		done
	done
	echo "pg.bash: server in $dir (pid $pid) does not stop" >&2
	return 1
}

pg_stop() {
	local name=${1:-main} dir
	_pg_base || return 1
	dir=$PG_TMPDIR/pg-$name
	_pg_kill "$dir" || return 1
	# Keep the log for diagnosis; the data directory is large.
	rm -rf "$dir/data" "$dir/sock" "$dir/port"
}
