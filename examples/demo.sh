#!/usr/bin/env bash
# demo.sh: what `make demo` runs. The runbooks of examples/, end to end, on a
# throwaway PostgreSQL server and a throwaway S3 server (Ceph's RADOS
# Gateway), both on 127.0.0.1, with a sample database it makes itself.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib/runbook.sh
. "$(dirname "$(readlink -f "$0")")/lib/runbook.sh" || exit 2

usage() {
	cat <<'EOF'
Usage: examples/demo.sh        (or: make demo)

Runs the runbooks of examples/ end to end, and says what each step did and
how long it took:

  1. starts a throwaway PostgreSQL server and S3 server on 127.0.0.1
     (tests/lib/pg.bash and tests/lib/s3.bash, as the test suites do);
  2. makes a sample database, shop: four schemas (sales, inventory, auth,
     audit), nine tables, a partitioned one among them, 560,008 rows;
  3. backs it up as plain SQL (backup.sh),
  4. and as a custom archive (backup.sh --format custom);
  5. checks the backups' health for Nagios, Prometheus and cron
     (health-check.sh);
  6. restores the plain backup into a new database (restore.sh);
  7. test-restores the custom archive into a scratch database (validate.sh);
  8. deletes rows by mistake, and brings them back from the backup
     (recover-table.sh);
  9. expires old backups, dry run first (retention.sh);

then stops the servers and removes everything it made, failure or not.
Nothing outside its temporary directory is touched: your ~/.aws, PG*
variables and servers are not used.

Environment:
  BKPIPE_BIN   the directory of the built programs [the source tree, where
               make puts them]
  TMPDIR       where the temporary directory goes [/tmp]

Exit status: 0 every step worked; otherwise the status of the step that
failed, which is named.
EOF
}
case ${1:-} in
-h | --help) usage; exit 0 ;;
'') ;;
*) echo "demo.sh: no arguments expected (see --help)" >&2; exit 2 ;;
esac

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
ex=$root/examples
bin=$(cd "$root" && cd "${BKPIPE_BIN:-.}" && pwd)
export PATH="$bin:$PATH"
for tool in gzcat-verify s3ls s3get s3put s3rm bkage pgfeed pgcount; do
	[[ -x $bin/$tool ]] || {
		echo "demo.sh: $bin/$tool is missing: build first (make all)" >&2
		exit 2
	}
done
for tool in pg_dump pg_restore psql radosgw aws; do
	command -v "$tool" >/dev/null || {
		echo "demo.sh: $tool is not installed: scripts/deps demo installs what is missing" >&2
		exit 2
	}
done

# Only what this demo sets: no settings of the caller leak into the runbooks.
unset DATABASE_URL RESTORE_SERVER RESTORE_DB RESTORE_NO_OWNER VALIDATE_DB BACKUP_PREFIX \
	BACKUP_NAME_TIME BACKUP_FORMAT PG_DUMP_OPTIONS GZIP_LEVEL COUNT_TOLERANCE \
	HEALTH_CRITICAL HEALTH_WARNING HEALTH_MIN_SIZE HEALTH_MAX_SHRINK HEALTH_MIN_COUNT MAIL_TO \
	RETENTION RETENTION_KEEP BATS_FILE_TMPDIR
for v in "${!PG@}"; do
	unset "$v"
done

work=$(mktemp -d "${TMPDIR:-/tmp}/bkpipe-demo.XXXXXX")
export PG_TMPDIR=$work BKPIPE_S3_STATE=$work/s3
# shellcheck source-path=SCRIPTDIR/.. source=tests/lib/pg.bash
. "$root/tests/lib/pg.bash"
# shellcheck source-path=SCRIPTDIR/.. source=tests/lib/s3.bash
. "$root/tests/lib/s3.bash"

t_demo=$EPOCHREALTIME
step_name=''
step_no=0
summary=()
step() {
	step_no=$((step_no + 1))
	step_name=$1
	t_step=$EPOCHREALTIME
	printf '\n== %d. %s\n' "$step_no" "$step_name"
}
step_done() {
	local took
	took=$(elapsed "$t_step")
	printf "   ... done: %s\n" "$took"
	summary+=("$(printf '%7s  %d. %s' "$took" "$step_no" "$step_name")")
	step_name=''
}
# show CMD...: prints the command line, runs it with what it says on stderr
# indented; its standard output goes to $work/out.
show() {
	local shown=("$@")
	shown[0]=${shown[0]#"$root"/}
	printf '   $ %s\n' "${shown[*]}"
	{ "$@" 2>&1 1>&3 3>&- | sed -u 's/^/   | /'; } 3>"$work/out"
}
# q SQL: one value from the shop database.
q() { sql "$DATABASE_URL" -c "$1"; }

cleanup() {
	local status=$? t
	trap - EXIT INT TERM
	set +e
	t=$EPOCHREALTIME
	if [[ -n $step_name ]]; then
		printf '\ndemo.sh: FAILED at step %d (%s), exit %d; see above\n' \
			"$step_no" "$step_name" "$status" >&2
		((status)) || status=1
	fi
	printf '\n== stopping the servers, removing %s\n' "$work"
	s3_stop
	pg_stop main
	rm -rf "$work"
	printf '   ... %s\n' "$(elapsed "$t")"
	if ((status == 0)); then
		printf '\n== summary\n'
		printf '   %s\n' "${summary[@]}"
		printf '   %7s  total, cleanup included\n' "$(elapsed "$t_demo")"
	fi
	exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

step "servers: PostgreSQL and an S3 endpoint (Ceph RGW) on 127.0.0.1"
pg_start main
s3_start
s3_bucket demo-backups
printf '   PostgreSQL %s on port %s; S3 at %s, bucket demo-backups; all under %s\n' \
	"$(psql -X -A -t -c 'SHOW server_version' | cut -d' ' -f1)" "$PGPORT" "$S3_ENDPOINT" "$work"
step_done

step "sample database shop: 4 schemas, 9 tables (one partitioned), generate_series"
psql -X -q -v ON_ERROR_STOP=1 -c 'CREATE DATABASE shop'
export DATABASE_URL="postgresql://postgres@127.0.0.1:$PGPORT/shop"
psql -X -q -v ON_ERROR_STOP=1 -d "$DATABASE_URL" <<-'SQL'
	CREATE SCHEMA auth;
	CREATE SCHEMA inventory;
	CREATE SCHEMA sales;
	CREATE SCHEMA audit;

	CREATE TABLE auth.users (
	    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	    email text NOT NULL UNIQUE,
	    password_hash bytea NOT NULL,
	    created_at timestamptz NOT NULL DEFAULT now(),
	    last_login timestamptz
	);
	CREATE TABLE auth.sessions (
	    token uuid PRIMARY KEY,
	    user_id bigint NOT NULL REFERENCES auth.users ON DELETE CASCADE,
	    expires_at timestamptz NOT NULL
	);
	CREATE TABLE inventory.warehouses (
	    id int PRIMARY KEY,
	    name text NOT NULL,
	    city text NOT NULL
	);
	CREATE TABLE inventory.products (
	    id int PRIMARY KEY,
	    sku text NOT NULL UNIQUE,
	    name text NOT NULL,
	    price numeric(10, 2) NOT NULL CHECK (price >= 0),
	    tags text[] NOT NULL DEFAULT '{}'
	);
	CREATE TABLE inventory.stock (
	    product_id int REFERENCES inventory.products,
	    warehouse_id int REFERENCES inventory.warehouses,
	    quantity int NOT NULL CHECK (quantity >= 0),
	    updated_at timestamptz NOT NULL,
	    PRIMARY KEY (product_id, warehouse_id)
	);
	CREATE TABLE sales.customers (
	    id serial PRIMARY KEY,
	    user_id bigint REFERENCES auth.users,
	    name text NOT NULL,
	    country char(2) NOT NULL
	);
	CREATE TABLE sales.orders (
	    id bigserial PRIMARY KEY,
	    customer_id int NOT NULL REFERENCES sales.customers,
	    ordered_at timestamptz NOT NULL,
	    status text NOT NULL CHECK (status IN ('new', 'paid', 'shipped', 'cancelled')),
	    note text
	);
	CREATE INDEX ON sales.orders (customer_id);
	CREATE INDEX ON sales.orders (ordered_at);
	CREATE TABLE sales.order_items (
	    order_id bigint REFERENCES sales.orders ON DELETE CASCADE,
	    line int,
	    product_id int NOT NULL REFERENCES inventory.products,
	    quantity int NOT NULL,
	    unit_price numeric(10, 2) NOT NULL,
	    PRIMARY KEY (order_id, line)
	);
	CREATE VIEW sales.revenue_by_day AS
	    SELECT date_trunc('day', o.ordered_at) AS day, sum(i.quantity * i.unit_price) AS revenue
	    FROM sales.orders o JOIN sales.order_items i ON i.order_id = o.id
	    WHERE o.status <> 'cancelled'
	    GROUP BY 1;
	CREATE TABLE audit.events (
	    id bigint GENERATED BY DEFAULT AS IDENTITY,
	    at timestamptz NOT NULL,
	    actor bigint,
	    action text NOT NULL,
	    detail jsonb,
	    PRIMARY KEY (id, at)
	) PARTITION BY RANGE (at);
	CREATE TABLE audit.events_2025_h1 PARTITION OF audit.events FOR VALUES FROM ('2025-01-01') TO ('2025-07-01');
	CREATE TABLE audit.events_2025_h2 PARTITION OF audit.events FOR VALUES FROM ('2025-07-01') TO ('2026-01-01');

	INSERT INTO auth.users (email, password_hash, created_at, last_login)
	SELECT 'user' || g || '@example.com', sha256(g::text::bytea),
	       '2025-01-01'::timestamptz + g * interval '10 minutes',
	       CASE WHEN g % 7 <> 0 THEN '2026-01-01'::timestamptz + (g % 1000) * interval '1 hour' END
	FROM generate_series(1, 40000) g;
	INSERT INTO auth.sessions
	SELECT md5(g::text)::uuid, 1 + (g * 7919) % 40000, '2026-02-01'::timestamptz + (g % 48) * interval '1 hour'
	FROM generate_series(1, 40000) g;
	INSERT INTO inventory.warehouses VALUES
	    (1, 'North', 'Oslo'), (2, 'South', 'Lisbon'), (3, 'East', 'Warsaw'), (4, 'West', 'Dublin'),
	    (5, 'Central', 'Prague'), (6, 'Coast', 'Porto'), (7, 'Alps', 'Innsbruck'), (8, 'Baltic', 'Riga');
	INSERT INTO inventory.products
	SELECT g, 'SKU-' || lpad(g::text, 6, '0'), 'Product ' || g, (g % 500) + 0.99,
	       ARRAY['tag' || g % 10, 'line ' || g % 3]
	FROM generate_series(1, 10000) g;
	INSERT INTO inventory.stock
	SELECT p, w, (p * w) % 250, '2026-01-01'::timestamptz + (p % 100) * interval '1 day'
	FROM generate_series(1, 10000) p, generate_series(1, 8) w;
	INSERT INTO sales.customers (user_id, name, country)
	SELECT g, 'Customer ' || g, (ARRAY['NO', 'PT', 'PL', 'IE', 'CZ', 'LV'])[1 + g % 6]
	FROM generate_series(1, 30000) g;
	INSERT INTO sales.orders (customer_id, ordered_at, status, note)
	SELECT 1 + (g * 31) % 30000, '2025-01-01'::timestamptz + g * interval '5 minutes',
	       (ARRAY['new', 'paid', 'shipped', 'cancelled'])[1 + g % 4],
	       CASE WHEN g % 10 = 0 THEN E'gift wrap,\tplease' WHEN g % 10 = 1 THEN E'two\nlines \\ and a backslash' END
	FROM generate_series(1, 100000) g;
	INSERT INTO sales.order_items
	SELECT o, l, 1 + (o * l * 13) % 10000, 1 + (o + l) % 5, ((o * l) % 500) + 0.99
	FROM generate_series(1, 100000) o, generate_series(1, 2) l;
	INSERT INTO audit.events (at, actor, action, detail)
	SELECT '2025-01-01'::timestamptz + g * interval '7 minutes', 1 + g % 40000,
	       (ARRAY['login', 'logout', 'order', 'refund'])[1 + g % 4],
	       jsonb_build_object('ip', '10.0.' || g % 256 || '.' || g % 250, 'ok', g % 13 <> 0)
	FROM generate_series(1, 60000) g;
	ANALYZE;
SQL
printf '   %s\n' "$(q "SELECT pg_size_pretty(pg_database_size('shop'))") on disk; rows per table (pgcount):"
pgcount --summary "$DATABASE_URL" 2>&1 | sed 's/^/   | /'
step_done

export BACKUP_PREFIX=s3://demo-backups/shop/

step "backup, plain SQL: pg_dump | gzip | s3put, read back, counts stored"
show "$ex/backup.sh"
plain=$(cat "$work/out")
step_done

step "backup, custom archive: pg_dump -Fc | s3put, read back through pg_restore"
show "$ex/backup.sh" --format custom
custom=$(cat "$work/out")
printf '   the prefix holds the backups, and their proofs are under .proofs/:\n'
s3ls "$BACKUP_PREFIX" | sed 's/^/   | /'
s3ls "$(proof_url "$BACKUP_PREFIX" '')" | sed 's/^/   | /'
step_done

step "health check: bkage for Nagios, Prometheus and cron"
show "$ex/health-check.sh" --nagios
sed 's/^/   > /' "$work/out"
show "$ex/health-check.sh" --prometheus "$work/bkpipe.prom"
grep -v '^#' "$work/bkpipe.prom" | sed 's/^/   > /'
show "$ex/health-check.sh"
printf '   (cron mode: silent, exit 0, when all is well)\n'
step_done

step "full restore of the plain backup into a new database, counts compared"
RESTORE_DB=shop_restored show "$ex/restore.sh" "$plain"
a=$(q 'SELECT sum(revenue) FROM sales.revenue_by_day')
b=$(psql -X -A -t -d "$DATABASE_URL?dbname=shop_restored" -c 'SELECT sum(revenue) FROM sales.revenue_by_day')
[[ $a == "$b" ]] || { echo "demo.sh: revenue differs: $a in shop, $b restored" >&2; exit 1; }
printf '   the view sales.revenue_by_day sums to %s in both databases\n' "$a"
step_done

step "validation: test restore of the custom archive into a scratch database"
show "$ex/validate.sh" "$custom"
step_done

step "accident: DELETE without the right WHERE, then recover-table.sh"
q "UPDATE inventory.stock SET quantity = quantity + 1000 WHERE product_id = 1 AND warehouse_id = 1" >/dev/null
printf '   after the backup, one row changed (product 1 in warehouse 1: quantity + 1000), then:\n'
printf '   $ psql -c "DELETE FROM inventory.stock WHERE warehouse_id = 3"   # meant for staging\n'
q "DELETE FROM inventory.stock WHERE warehouse_id = 3"
printf '   inventory.stock has %s rows left\n' "$(q 'SELECT count(*) FROM inventory.stock')"
show "$ex/recover-table.sh" inventory.stock "$plain"
cp "$work/out" "$work/put-back.sql"
printf '   the SQL it wrote:\n'
sed 's/^/   > /' "$work/put-back.sql"
printf '   $ psql -1 -f put-back.sql\n'
psql -X -v ON_ERROR_STOP=1 -1 -f "$work/put-back.sql" -d "$DATABASE_URL" | sed 's/^/   | /'
rows=$(q 'SELECT count(*) FROM inventory.stock')
changed=$(q 'SELECT quantity FROM inventory.stock WHERE product_id = 1 AND warehouse_id = 1')
[[ $rows == 80000 && $changed == 1001 ]] ||
	{ echo "demo.sh: after the recovery: $rows rows (want 80000), quantity $changed (want 1001)" >&2; exit 1; }
q 'DROP TABLE inventory.stock_restored'
printf '   inventory.stock has its 80000 rows again; the row changed after the backup kept its new\n'
printf '   quantity (1001); inventory.stock_restored dropped\n'
step_done

step "retention: backups older than 30 days, the newest 2 kept whatever their age"
printf '   (three copies of the plain backup, named as made 40 to 42 days ago; BACKUP_NAME_TIME reads\n'
printf '   the age from backup.sh'"'"'s dated names)\n'
for d in 40 41 42; do
	old=$BACKUP_PREFIX$(date -u -d "$d days ago" +%Y-%m-%d_03-00-00).sql.gz
	s3get "$plain" | s3put "$old"
	s3get "$(proof_url "$plain" .counts)" | s3put "$(proof_url "$old" .counts)"
done
export BACKUP_NAME_TIME=%Y-%m-%d_%H-%M-%S RETENTION=30d RETENTION_KEEP=2
show "$ex/retention.sh"
sed 's/^/   > /' "$work/out"
show "$ex/retention.sh" --delete
printf '   left in the bucket:\n'
s3ls "$BACKUP_PREFIX" | sed 's/^/   | /'
step_done
