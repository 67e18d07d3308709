# A fault-injecting HTTP proxy (faultproxy.py) between a client and an S3 server.
#
#   load lib/faultproxy
#   setup_file()    { fp_start "http://127.0.0.1:$S3_PORT"; }
#   teardown_file() { fp_stop; }
#   @test ... { fp_rules '[{"status": 503, "times": 2}]'; curl "$FP_URL/b/k"; ... }
#
# fp_start UPSTREAM_URL [PROFILE] starts the proxy with no rules (answering
# as store PROFILE does, if given) and exports FP_URL (http://127.0.0.1:PORT),
# FP_RULES (the rules file), FP_LOG (one line per request: METHOD TARGET RULE
# STATUS) and FP_PID.
# fp_rules JSON checks JSON and replaces the rules (counts of "times" restart),
# a profile entry included.
# fp_profile NAME [OPTIONS] makes the proxy answer as store NAME does (aws,
# minio, r2, b2, ceph18, ceph19, ceph16: see faultproxy.py's PROFILES), from
# the next request on, keeping the rules; OPTIONS is JSON object members to
# add to the entry, such as '"max_part_size": 6291456'.
# fp_clear_log empties the log. fp_stop stops the proxy; safe to call twice.
# The proxy's files live in a mktemp -d directory under $BATS_FILE_TMPDIR.

_FP_LIB=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

fp_start() {
	local upstream=$1 profile=${2:-} dir i
	dir=$(mktemp -d "${BATS_FILE_TMPDIR:-${TMPDIR:-/tmp}}/fp.XXXXXX") || return 1
	FP_RULES=$dir/rules.json
	FP_LOG=$dir/log
	echo '[]' >"$FP_RULES"
	: >"$FP_LOG"
	"${FP_PYTHON:-python3}" "$_FP_LIB/faultproxy.py" --upstream "$upstream" \
		--rules "$FP_RULES" ${profile:+--profile "$profile"} --port 0 \
		--port-file "$dir/port" --log "$FP_LOG" \
		>"$dir/stdout" 2>"$dir/stderr" 3>&- &
	FP_PID=$!
	for ((i = 0; i < 100; i++)); do
		[[ -s $dir/port ]] && break
		if ! kill -0 "$FP_PID" 2>/dev/null; then
			echo "faultproxy did not start:" >&2
			cat "$dir/stderr" >&2
			return 1
		fi
		sleep 0.05
	done
	[[ -s $dir/port ]] || { echo "faultproxy: no port after 5 s" >&2; return 1; }
	FP_URL=http://127.0.0.1:$(<"$dir/port")
	export FP_URL FP_RULES FP_LOG FP_PID
}

fp_rules() {
	local tmp=$FP_RULES.new
	printf '%s\n' "$1" >"$tmp" || return 1
	if ! "${FP_PYTHON:-python3}" -m json.tool "$tmp" >/dev/null; then
		echo "fp_rules: not JSON: $1" >&2
		rm -f "$tmp"
		return 1
	fi
	mv -f "$tmp" "$FP_RULES"
}

fp_profile() {
	local rules
	rules=$("${FP_PYTHON:-python3}" -c '
import json, sys
entry = {"profile": sys.argv[1], **json.loads("{%s}" % sys.argv[2])}
print(json.dumps([entry] + [r for r in json.load(open(sys.argv[3])) if "profile" not in r]))
' "$1" "${2:-}" "$FP_RULES") || return 1
	fp_rules "$rules"
}

fp_clear_log() {
	: >"$FP_LOG"
}

fp_stop() {
	local i
	[[ -n ${FP_PID:-} ]] || return 0
	kill -TERM "$FP_PID" 2>/dev/null
	for ((i = 0; i < 100; i++)); do
		kill -0 "$FP_PID" 2>/dev/null || break
		sleep 0.05
	done
	kill -KILL "$FP_PID" 2>/dev/null
	wait "$FP_PID" 2>/dev/null
	unset FP_PID
	return 0
}
