# A throwaway S3 server for bats suites: Ceph's RADOS Gateway (radosgw) on a
# single-node Ceph cluster (one monitor, one OSD with the in-memory object
# store), everything on 127.0.0.1.
#
#   load lib/s3                       # at top level, so tests can call s3_*
#   setup_file()    { s3_start && s3_bucket "bkpipe-$SUITE"; }
#   teardown_file() { s3_stop; }
#
# s3_start starts the server, or reuses the one of this bats run (see below),
# and exports for it:
#   S3_ENDPOINT, AWS_ENDPOINT_URL   http://127.0.0.1:PORT
#   S3_PORT                         PORT
#   AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY   the keys of the test user
#   S3_OTHER_ACCESS_KEY, S3_OTHER_SECRET_KEY   the keys of a second user
#   AWS_REGION, AWS_DEFAULT_REGION  us-east-1
#   AWS_CONFIG_FILE, AWS_SHARED_CREDENTIALS_FILE   empty files, so that ~/.aws
#                                   never leaks in; AWS_PROFILE,
#                                   AWS_SESSION_TOKEN and the like are unset.
#   BKPIPE_S3_STATE                 the directory of the server
# s3_use exports them again for a server already started.
# s3_bucket NAME creates bucket NAME, empty (deleting any earlier one of that
# name with its objects), and exports S3_BUCKET=NAME.
# s3_aws ARGS... runs the AWS CLI (/usr/bin/aws) on the test server: the AWS
# CLI of Debian 12 (2.9) ignores AWS_ENDPOINT_URL, so it gets --endpoint-url.
# s3_aws_error ARGS... runs s3_aws and prints the HTTP status and the S3 error
# code of its last response ("403 SignatureDoesNotMatch"), which the AWS CLI
# itself does not show for radosgw's errors; it returns the status of the CLI.
# s3_pids prints the pids of the daemons, one a line.
# s3_stop stops the daemons, if this shell owns them (see below); it is safe
# to call twice or after a failed start.
#
# One server per bats run: tests/setup_suite.bash calls s3_share, which points
# BKPIPE_S3_STATE at a directory of the run. The first suite's s3_start starts
# the server there, the next suites' s3_start reuse it, their s3_stop leave it
# alone, and teardown_suite's s3_stop stops it. Without s3_share (or with
# BKPIPE_S3_STATE unset) each suite gets a server of its own under
# $BATS_FILE_TMPDIR. A server started by hand with BKPIPE_S3_STATE set in the
# environment of bats is used and left running.
#
# The directory holds ceph.conf, the monitor's store (mon/), the OSD's
# (osd/, its data is in memory), pid files and admin sockets (run/), the logs
# of the daemons and of the setup (log/), the AWS CLI's empty files (aws/),
# and: owner (the pid of the shell that stops the server), endpoint (written
# once the server answers), failed (written when a start failed: later
# s3_start fail at once).

S3_AWS=${S3_AWS:-/usr/bin/aws}
S3_REGION=us-east-1
S3_ACCESS_KEY=BKPIPETESTACCESSKEY0
S3_SECRET_KEY=bkpipe-test-secret-key-0000000000000000000
S3_OTHER_ACCESS_KEY=BKPIPETESTACCESSKEY1
S3_OTHER_SECRET_KEY=bkpipe-test-secret-key-1111111111111111111
# The OSD keeps objects in memory, up to this many bytes.
S3_MEMSTORE_BYTES=${S3_MEMSTORE_BYTES:-2147483648}

# The daemons, as "pid-file-name:process-name", in the order they are stopped.
_S3_DAEMONS=(client.rgw.a:radosgw osd.0:ceph-osd mon.a:ceph-mon)

# Sets _S3_DIR to the directory of the server and exports BKPIPE_S3_STATE.
_s3_base() {
	if [[ -n ${BKPIPE_S3_STATE:-} ]]; then
		_S3_DIR=$BKPIPE_S3_STATE
	elif [[ -n ${BATS_FILE_TMPDIR:-} ]]; then
		_S3_DIR=$BATS_FILE_TMPDIR/s3
	else
		_S3_DIR=$(mktemp -d "${TMPDIR:-/tmp}/bkpipe-s3.XXXXXX") || return 1
	fi
	mkdir -p "$_S3_DIR" || return 1
	BKPIPE_S3_STATE=$_S3_DIR
	export BKPIPE_S3_STATE
}

# For setup_suite: one server for all the suites of the run, started by the
# first s3_start and stopped by the s3_stop of this shell.
s3_share() {
	if [[ -z ${BKPIPE_S3_STATE:-} ]]; then
		BKPIPE_S3_STATE=$(mktemp -d "${BATS_RUN_TMPDIR:-${TMPDIR:-/tmp}}/s3.XXXXXX") || return 1
		echo "$$" >"$BKPIPE_S3_STATE/owner"
	fi
	export BKPIPE_S3_STATE
}

# A port below the kernel's range of ephemeral ports (32768-60999 by default):
# a port that a client connection holds, or held (TIME_WAIT), looks free to
# _s3_port_busy but cannot be bound.
_s3_random_port() {
	local low=32768 _
	read -r low _ </proc/sys/net/ipv4/ip_local_port_range 2>/dev/null || true
	if ((low < 12000)); then
		low=61000
	fi
	echo $(((RANDOM * 32768 + RANDOM) % (low - 10000) + 10000))
}

# True when something accepts connections on 127.0.0.1:$1.
_s3_port_busy() {
	(: <"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

_s3_free_port() {
	local port
	port=$(_s3_random_port)
	while _s3_port_busy "$port"; do
		port=$(_s3_random_port)
	done
	echo "$port"
}

# True when $1 is the pid of a live (not zombie) process named $2.
_s3_alive() {
	local state comm
	[[ -n $1 ]] || return 1
	read -r state comm < <(ps -o stat=,comm= -p "$1" 2>/dev/null) || return 1
	[[ $state != Z* && $comm == "$2" ]]
}

# The pid in the pid file of daemon $1 (mon.a, osd.0, client.rgw.a), or nothing.
_s3_pid() {
	local file=$_S3_DIR/run/$1.pid
	if [[ -r $file ]]; then
		head -n 1 "$file"
	fi
}

s3_pids() {
	local d pid
	_s3_base || return 1
	for d in "${_S3_DAEMONS[@]}"; do
		pid=$(_s3_pid "${d%%:*}")
		if _s3_alive "$pid" "${d#*:}"; then
			echo "$pid"
		fi
	done
}

# Writes ceph.conf. Clients find the monitor in the monmap file: with "mon
# host" instead, they start with a monmap without the fsid of the cluster.
# The OSD does not place itself in the CRUSH map when it starts: its commands
# to the monitor then would go out before it knows the fsid, and fail ("wrong
# fsid") now and then.
_s3_conf() {
	local dir=$_S3_DIR
	cat >"$dir/ceph.conf" <<-EOF
		[global]
		fsid = $(cat "$dir/fsid")
		monmap = $dir/monmap
		mon initial members = a
		public addr = 127.0.0.1
		public network = 127.0.0.1/32
		cluster network = 127.0.0.1/32
		ms bind msgr2 = false
		ms bind ipv6 = false
		auth cluster required = none
		auth service required = none
		auth client required = none
		keyring = $dir/keyring
		run dir = $dir/run
		pid file = $dir/run/\$name.pid
		admin socket = $dir/run/\$name.asok
		log file = $dir/log/\$name.log
		crash dir = $dir/crash
		mon cluster log file = $dir/log/cluster.log
		mon data = $dir/mon
		osd data = $dir/osd
		osd objectstore = memstore
		osd class update on start = false
		osd crush update on start = false
		memstore device bytes = $S3_MEMSTORE_BYTES
		osd pool default size = 1
		osd pool default min size = 1
		mon allow pool size one = true
		osd crush chooseleaf type = 0
		osd pool default pg num = 8
		osd pool default pgp num = 8
		osd pool default pg autoscale mode = off
		mon warn on pool no redundancy = false
		paxos propose interval = 0.1
		ms bind retry count = 2
		ms bind retry delay = 1
		rgw enable apis = s3
		rgw thread pool size = 32
		rgw run sync thread = false
	EOF
}

# Runs a setup command with its output in log/setup.log, for at most 60 s.
_s3_run() {
	echo "+ $*" >>"$_S3_DIR/log/setup.log"
	timeout 60 "$@" >>"$_S3_DIR/log/setup.log" 2>&1 3>&-
}

# Starts daemon $1 (a command line); its pid file is run/$2.pid.
# Closing fd 3 and the lock keeps the daemon from holding bats' output pipe
# (bats would wait for it) and the lock of s3_start.
_s3_daemon() {
	echo "+ $*" >>"$_S3_DIR/log/setup.log"
	"$@" </dev/null >>"$_S3_DIR/log/setup.log" 2>&1 3>&- {_S3_LOCK}>&-
}

# Prints $1 and the ends of the logs to stderr, and stops what was started.
_s3_fail() {
	local f
	{
		echo "s3.bash: $1"
		for f in setup mon.a osd.0 client.rgw.a; do
			[[ -s $_S3_DIR/log/$f.log ]] || continue
			echo "--- end of $_S3_DIR/log/$f.log:"
			tail -n 15 "$_S3_DIR/log/$f.log"
		done
	} >&2
	echo "$1" >"$_S3_DIR/failed"
	_s3_kill
	return 1
}

# True when radosgw answers an anonymous GET / on port $1 (with the empty
# bucket list of the anonymous user: not some other server).
_s3_answers() {
	local reply
	reply=$(
		exec 2>/dev/null
		exec 4<>"/dev/tcp/127.0.0.1/$1" || exit 1
		printf 'GET / HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n' >&4
		timeout 5 cat <&4
	) || return 1
	[[ $reply == "HTTP/1.1 200 "*ListAllMyBucketsResult* ]]
}

# Starts the monitor on a free port (retried: another process may take the
# port before the monitor binds it; the port is in the monitor's store, so
# each attempt makes a new store).
_s3_start_mon() {
	local dir=$_S3_DIR port attempt
	for attempt in 1 2 3 4 5; do
		port=$(_s3_free_port)
		echo "s3.bash: monitor attempt $attempt on port $port" >>"$dir/log/setup.log"
		rm -rf "$dir/mon" "$dir/monmap"
		_s3_run monmaptool --create --clobber --fsid "$(cat "$dir/fsid")" \
				--addv a "[v1:127.0.0.1:$port]" "$dir/monmap" &&
			_s3_run ceph-mon -c "$dir/ceph.conf" -i a --mkfs \
				--monmap "$dir/monmap" --keyring "$dir/keyring" || return 1
		if _s3_daemon ceph-mon -c "$dir/ceph.conf" -i a; then
			return 0
		fi
		_s3_kill
	done
	return 1
}

# Starts OSD $1, retried in case it fails to register with the monitor.
_s3_start_osd() {
	local attempt
	for attempt in 1 2 3; do
		echo "s3.bash: OSD attempt $attempt" >>"$_S3_DIR/log/setup.log"
		if _s3_daemon ceph-osd -c "$_S3_DIR/ceph.conf" -i "$1"; then
			return 0
		fi
		_s3_kill_daemon "osd.$1" ceph-osd || return 1
	done
	return 1
}

# Starts radosgw on a free port (retried like the monitor's) and waits until
# it answers. It runs in the foreground, in the background of this shell, so
# that its pid is known at once: daemonized, it would fork before it binds its
# port, and exit (removing its pid file) when it cannot.
_s3_start_rgw() {
	local dir=$_S3_DIR port attempt pid
	for attempt in 1 2 3 4 5; do
		port=$(_s3_free_port)
		echo "s3.bash: radosgw attempt $attempt on port $port" >>"$dir/log/setup.log"
		radosgw -f -c "$dir/ceph.conf" -n client.rgw.a \
			--rgw-frontends "beast endpoint=127.0.0.1:$port" \
			</dev/null >>"$dir/log/setup.log" 2>&1 3>&- {_S3_LOCK}>&- &
		pid=$!
		echo "$pid" >"$dir/run/client.rgw.a.pid"
		for _ in {1..600}; do
			# (Not _s3_alive: the child may not have exec'd radosgw yet.)
			kill -0 "$pid" 2>/dev/null || break
			if _s3_answers "$port"; then
				echo "$port" >"$dir/port"
				return 0
			fi
			sleep 0.1
		done
		_s3_kill_daemon client.rgw.a radosgw
	done
	return 1
}

# Starts the cluster in $_S3_DIR, which holds at most an owner file.
_s3_create() {
	local dir=$_S3_DIR uuid id t0=$SECONDS
	rm -rf "$dir/failed" "$dir/endpoint" "$dir/port" "$dir/run" "$dir/mon" \
		"$dir/osd" "$dir/crash" "$dir/aws" "$dir/log"
	mkdir -p "$dir/run" "$dir/log" "$dir/osd" "$dir/crash" "$dir/aws" || return 1
	: >"$dir/aws/config"
	: >"$dir/aws/credentials"
	uuidgen >"$dir/fsid" && _s3_conf || return 1

	_s3_run ceph-authtool --create-keyring "$dir/keyring" --gen-key -n mon. \
		--cap mon 'allow *' || { _s3_fail "ceph-authtool failed"; return 1; }
	_s3_start_mon || { _s3_fail "could not start the monitor"; return 1; }

	uuid=$(uuidgen) || return 1
	if ! id=$(timeout 60 ceph -c "$dir/ceph.conf" osd new "$uuid" 2>>"$dir/log/setup.log" 3>&-); then
		_s3_fail "ceph osd new failed"
		return 1
	fi
	_s3_run ceph -c "$dir/ceph.conf" osd crush add "osd.$id" 1 root=default ||
		{ _s3_fail "ceph osd crush add failed"; return 1; }
	_s3_run ceph-osd -c "$dir/ceph.conf" -i "$id" --mkfs --osd-uuid "$uuid" ||
		{ _s3_fail "ceph-osd --mkfs failed"; return 1; }
	_s3_start_osd "$id" || { _s3_fail "could not start the OSD"; return 1; }

	# The first radosgw-admin creates the zone and the pools of the gateway.
	if ! _s3_run radosgw-admin -c "$dir/ceph.conf" user create --uid=test \
		--display-name="bkpipe test" --access-key="$S3_ACCESS_KEY" \
		--secret-key="$S3_SECRET_KEY" ||
		! _s3_run radosgw-admin -c "$dir/ceph.conf" user create --uid=other \
			--display-name="bkpipe other" --access-key="$S3_OTHER_ACCESS_KEY" \
			--secret-key="$S3_OTHER_SECRET_KEY"; then
		_s3_fail "radosgw-admin user create failed"
		return 1
	fi

	_s3_start_rgw || { _s3_fail "could not start radosgw"; return 1; }
	echo "http://127.0.0.1:$(cat "$dir/port")" >"$dir/endpoint"
	echo "s3.bash: started in $((SECONDS - t0)) s" >>"$dir/log/setup.log"
}

s3_use() {
	local dir
	_s3_base || return 1
	dir=$_S3_DIR
	if [[ ! -s $dir/endpoint ]]; then
		echo "s3.bash: no server in $dir" >&2
		return 1
	fi
	S3_ENDPOINT=$(cat "$dir/endpoint") || return 1
	S3_PORT=${S3_ENDPOINT##*:}
	export S3_ENDPOINT S3_PORT AWS_ENDPOINT_URL=$S3_ENDPOINT
	export AWS_ACCESS_KEY_ID=$S3_ACCESS_KEY AWS_SECRET_ACCESS_KEY=$S3_SECRET_KEY
	export S3_OTHER_ACCESS_KEY S3_OTHER_SECRET_KEY
	export AWS_REGION=$S3_REGION AWS_DEFAULT_REGION=$S3_REGION
	export AWS_CONFIG_FILE=$dir/aws/config AWS_SHARED_CREDENTIALS_FILE=$dir/aws/credentials
	export AWS_EC2_METADATA_DISABLED=true AWS_PAGER=''
	unset AWS_PROFILE AWS_DEFAULT_PROFILE AWS_SESSION_TOKEN AWS_SECURITY_TOKEN \
		AWS_ENDPOINT_URL_S3 AWS_CA_BUNDLE AWS_ROLE_ARN AWS_WEB_IDENTITY_TOKEN_FILE \
		AWS_MAX_ATTEMPTS AWS_RETRY_MODE
}

s3_start() {
	local dir rc=0
	_s3_base || return 1
	dir=$_S3_DIR
	# One start at a time (bats --jobs runs suites at once).
	exec {_S3_LOCK}>>"$dir/lock" || return 1
	flock "$_S3_LOCK"
	if [[ -s $dir/failed ]]; then
		echo "s3.bash: an earlier start failed: $(cat "$dir/failed"); logs in $dir/log" >&2
		rc=1
	elif [[ -s $dir/endpoint ]] && _s3_alive "$(_s3_pid client.rgw.a)" radosgw; then
		: # started by an earlier suite
	else
		[[ -s $dir/owner ]] || echo "$$" >"$dir/owner"
		_s3_create || rc=1
	fi
	exec {_S3_LOCK}>&-
	((rc == 0)) && s3_use
}

# Stops daemon $1 (pid file name) whose process is named $2, and waits until
# it is gone.
_s3_kill_daemon() {
	local pid signal
	pid=$(_s3_pid "$1")
	for signal in TERM KILL; do
		_s3_alive "$pid" "$2" || return 0
		echo "s3.bash: sending SIG$signal to $1 (pid $pid)" >>"$_S3_DIR/log/setup.log"
		kill -s "$signal" "$pid" 2>/dev/null || true
		for _ in {1..100}; do
			_s3_alive "$pid" "$2" || return 0
			sleep 0.1
		done
	done
	echo "s3.bash: $1 (pid $pid) does not stop" >&2
	return 1
}

# Stops all the daemons in $_S3_DIR.
_s3_kill() {
	local d rc=0
	for d in "${_S3_DAEMONS[@]}"; do
		_s3_kill_daemon "${d%%:*}" "${d#*:}" || rc=1
	done
	return $rc
}

s3_stop() {
	local dir
	# Nothing was started without a directory to start it in.
	[[ -n ${BKPIPE_S3_STATE:-}${BATS_FILE_TMPDIR:-} ]] || return 0
	_s3_base || return 1
	dir=$_S3_DIR
	# Leave alone a server that a setup_suite or someone else started.
	if [[ -s $dir/owner && $(cat "$dir/owner") != "$$" ]]; then
		return 0
	fi
	mkdir -p "$dir/log"
	_s3_kill || return 1
	# Keep the logs for diagnosis.
	rm -rf "$dir/endpoint" "$dir/port" "$dir/failed" "$dir/mon" "$dir/osd" "$dir/run"
}

s3_aws() {
	"$S3_AWS" --endpoint-url "${S3_ENDPOINT:?s3_start first}" "$@"
}

s3_aws_error() {
	local out rc=0 status code
	out=$(s3_aws --debug "$@" 2>&1) || rc=$?
	status=$(printf '%s\n' "$out" | sed -n 's/.*HTTP\/1\.1" \([0-9][0-9][0-9]\) .*/\1/p' | tail -n 1)
	code=$(printf '%s\n' "$out" | sed -n 's/.*<Code>\([^<]*\)<\/Code>.*/\1/p' | tail -n 1)
	echo "${status:-none} ${code:-none}"
	return $rc
}

# Bucket names as S3 accepts them (and the AWS CLI sends path-style).
s3_bucket() {
	local name=${1:?usage: s3_bucket NAME}
	if [[ ! $name =~ ^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$ ]]; then
		echo "s3.bash: $name is not a valid bucket name (3-63 of a-z 0-9 . -)" >&2
		return 1
	fi
	# Nothing to delete is the common case, and not an error.
	s3_aws s3 rb --force "s3://$name" >/dev/null 2>&1 || true
	s3_aws s3api create-bucket --bucket "$name" >/dev/null || return 1
	export S3_BUCKET=$name
}
