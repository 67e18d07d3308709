#!/usr/bin/env bash
# Usage: verify-dump.sh [-h] FILE...
#
# Proves local pg_dump backups intact before anyone needs them. Each FILE
# is a plain pg_dump, gzip-compressed (.sql.gz) or not (.sql): it is
# decompressed with gzcat-verify (every CRC and length checked) and must
# reach pg_dump's closing line, so a backup cut short by a full disk or a
# killed job is caught here and not during a restore.
# Exit status: 0 all intact, 1 a backup is damaged or incomplete, 2 usage.
set -euo pipefail

usage() {
	sed -n '2,10s/^# \{0,1\}//p' "$0"
}

case ${1:-} in
-h | --help) usage; exit 0 ;;
'') usage >&2; exit 2 ;;
esac

status=0
for f in "$@"; do
	# -f passes plain .sql through. pg_dump's trailer is among the last
	# lines: current versions follow it with \unrestrict and blank lines.
	if ! tail_lines=$(gzcat-verify -f -- "$f" | tail -n 8); then
		echo "verify-dump: $f: damaged" >&2
		status=1
	elif ! grep -q '^-- PostgreSQL database dump complete' <<<"$tail_lines"; then
		echo "verify-dump: $f: incomplete (no pg_dump trailer)" >&2
		status=1
	else
		echo "verify-dump: $f: ok"
	fi
done
exit "$status"
