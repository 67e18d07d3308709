#!/usr/bin/env bats
# docs/monitoring.md: the bkage commands it shows print what it says they
# print, and its Prometheus rules pass promtool's checks and its tests.

load lib/common

DOC=$TESTS_DIR/../docs/monitoring.md

# The fenced block that follows the first line matching REGEX.
block_after() {
	awk -v re="$1" '$0 ~ re { found = 1; next }
		found && /^```/ { if (open) exit; open = 1; next }
		open { print }' "$DOC"
}

setup() {
	cd "$BATS_TEST_TMPDIR" || return 1
	block_after '^`listing.txt` is what' >listing.txt
	block_after '^and `proofs.txt` what' >proofs.txt
	# shrunk.txt: the newest backup 1331200 bytes; unproven.txt: no newest
	# .counts; damaged.txt: the newest found damaged.
	sed '/2026-01-26_03-00-00.sql.gz$/s/\t52428800\t/\t1331200\t/' listing.txt >shrunk.txt
	grep -v '2026-01-26_03-00-00.sql.gz.counts$' proofs.txt >unproven.txt
	{
		cat proofs.txt
		printf '2026-01-26T05:00:12Z\t92\ts3://backups/.proofs/db/2026-01-26_03-00-00.sql.gz.damaged\n'
	} >damaged.txt
}

@test "the listings of monitoring.md are five backups under s3://backups/db/, and their five proofs under s3://backups/.proofs/db/" {
	assert_equal "$(wc -l <listing.txt)" 5
	run -0 bash -c "cut -f 3 listing.txt | grep -cE '^s3://backups/db/[0-9_-]+\.sql\.gz\$'"
	assert_output 5
	assert_equal "$(cut -f 3 proofs.txt)" "$(cut -f 3 listing.txt | sed 's|^s3://backups/|s3://backups/.proofs/|; s|$|.counts|')"
}

@test "every bkage command shown in monitoring.md prints what it shows" {
	local cmd want got n=0
	# Each "$ bkage ..." (or "$ printf ... | bkage") line, and the lines
	# after it up to the next command or the end of the block.
	while IFS= read -r -d '' entry; do
		cmd=${entry%%$'\n'*}
		want=${entry#*$'\n'}
		got=$(bash -c "$cmd" 2>&1) || true
		[[ $got == "$want" ]] || fail "\$ $cmd
printed:
$got
the document says:
$want"
		n=$((n + 1))
	done < <(awk '/^```/ { open = !open; if (!open && cmd != "") { printf "%s\n%s%c", cmd, out, 0; cmd = "" } next }
		open && /^\$ / { if (cmd != "") printf "%s\n%s%c", cmd, out, 0; cmd = substr($0, 3); out = ""; if (cmd !~ /^(bkage |printf .*[|] *bkage)/) cmd = ""; next }
		open && cmd != "" { out = out (out == "" ? "" : "\n") $0 }' "$DOC")
	((n >= 8)) || fail "only $n bkage commands found in $DOC"
}

@test "the alert rules of monitoring.md pass promtool check rules and their own tests" {
	local rule
	command -v promtool >/dev/null || skip "promtool is not installed (Debian package prometheus)"
	block_after '`bkpipe-rules.yml`:$' >bkpipe-rules.yml
	block_after '`bkpipe-rules.test.yml`:$' >bkpipe-rules.test.yml
	[[ -s bkpipe-rules.yml && -s bkpipe-rules.test.yml ]] || fail "the rule files were not found in $DOC"
	# Each rule is played out by the tests, not merely loaded.
	for rule in BackupTooOld BackupUnhealthy BackupDamaged BackupCheckStale BackupMetricsMissing; do
		grep -q "^ *alertname: $rule\$" bkpipe-rules.test.yml ||
			fail "bkpipe-rules.test.yml of $DOC does not test $rule"
	done
	run -0 promtool check rules bkpipe-rules.yml
	assert_output --partial "SUCCESS: 5 rules found"
	run -0 promtool test rules bkpipe-rules.test.yml
	assert_output --partial "SUCCESS"
}

@test "bkage --format prometheus writes the metrics monitoring.md shows for all.txt and its proofs, and they pass promtool check metrics" {
	local name group
	block_after '`all-proofs.txt` in place of the proofs[)]:$' >want.prom
	# The four metrics of the document, for both groups: an empty or cut block
	# must not compare equal to an empty file.
	for name in bkpipe_backup_last_timestamp_seconds bkpipe_backup_last_size_bytes \
		bkpipe_backups_found bkpipe_backups_proven bkpipe_backups_damaged \
		bkpipe_backup_newest_damaged bkpipe_backup_status; do
		for group in app billing; do
			grep -q "^$name{group=\"$group\"} [0-9]" want.prom ||
				fail "$DOC: no $name for group $group in the Prometheus example"
		done
	done
	# all.txt: listing.txt under app/, and under billing/ its first three
	# backups; all-proofs.txt: their counts, and billing's newest damaged.
	{
		sed 's|s3://backups/db/|s3://backups/app/|' listing.txt
		head -n 3 listing.txt | sed 's|s3://backups/db/|s3://backups/billing/|'
	} >all.txt
	{
		sed 's|/.proofs/db/|/.proofs/app/|' proofs.txt
		head -n 3 proofs.txt | sed 's|/.proofs/db/|/.proofs/billing/|'
		printf '2026-01-26T05:00:12Z\t92\ts3://backups/.proofs/billing/2026-01-24_03-00-00.sql.gz.damaged\n'
	} >all-proofs.txt
	run -2 --separate-stderr bkage --group-by '^s3://[^/]*/([^/]*)/' --proofs all-proofs.txt \
		--format prometheus --now 2026-01-26T08:00:00Z -o bkpipe.prom all.txt
	assert_output ''
	assert_equal "$stderr" ''
	[[ -s bkpipe.prom ]] || fail "bkage -o wrote nothing"
	assert_equal "$(cat bkpipe.prom)" "$(cat want.prom)"
	command -v promtool >/dev/null || skip "promtool is not installed (Debian package prometheus)"
	run -0 --separate-stderr promtool check metrics <bkpipe.prom
	assert_equal "$stderr" ''
}
