#!/usr/bin/env bash
# Benchmarks gzcat-verify against gzip -dc, pigz -dc and igzip -dc on a
# generated pg_dump-like plain SQL file, and checks the issue's targets.
#
#   bench/gzcat-verify.sh
#
# Environment:
#   GZCAT_VERIFY       command to test (split on whitespace); default
#                      <repo>/gzcat-verify (the ISA-L build)
#   GZCAT_VERIFY_ZLIB  zlib-only build; default <repo>/build/zlib/gzcat-verify,
#                      skipped if absent (make B=build/zlib ISAL=0)
#   BENCH_SIZE_MB      size of the SQL file in MiB (default 512)
#   BENCH_ROUNDS       timed rounds per tool (default 5)
#   BENCH_DIR          scratch dir; an existing dump there is reused
#                      (default: a fresh mktemp -d under /tmp)
#   BENCH_KEEP=1       keep the default scratch dir instead of removing it
#
# Every tool's output is compared with the original once, then the tools run
# interleaved, round after round, and each one's best wall time is kept.
# Missed targets are reported, not treated as failures; the script exits
# non-zero only on a usage error or if a gzcat-verify build's output is wrong.
set -euo pipefail

root=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")/.." && pwd)

size_mb=${BENCH_SIZE_MB:-512}
rounds=${BENCH_ROUNDS:-5}
[[ $size_mb =~ ^[1-9][0-9]*$ ]] || { echo "BENCH_SIZE_MB: not a number: $size_mb" >&2; exit 2; }
[[ $rounds =~ ^[1-9][0-9]*$ ]] || { echo "BENCH_ROUNDS: not a number: $rounds" >&2; exit 2; }

note() { printf '%s\n' "$*" >&2; }
die() { note "gzcat-verify.sh: $*"; exit 1; }
# calc FORMAT EXPR: evaluates an awk expression and prints it with printf FORMAT.
calc() { awk "BEGIN { printf \"$1\", $2 }"; }

# ---------------------------------------------------------------- scratch dir

if [[ -n ${BENCH_DIR:-} ]]; then
	mkdir -p -- "$BENCH_DIR"
	dir=$(cd -- "$BENCH_DIR" && pwd)
else
	dir=$(mktemp -d /tmp/bench-gzcat-verify.XXXXXX)
	if [[ ${BENCH_KEEP:-0} == 1 ]]; then
		note "keeping $dir"
	else
		trap 'rm -rf -- "$dir"' EXIT
	fi
fi

sql=$dir/dump-${size_mb}MiB.sql
gz=$sql.gz

# ------------------------------------------------------------ the SQL dump

# Writes a plain-format pg_dump lookalike of at least $1 bytes to stdout.
# Rows come from a fixed-seed Park-Miller generator (exact in awk's doubles),
# so the file is the same with any POSIX awk and compresses like real data.
gen_dump() {
	local awk_bin
	awk_bin=$(command -v mawk || command -v gawk || command -v awk) ||
		die "no awk found"
	LC_ALL=C "$awk_bin" -v target="$1" '
function unif() { seed = (seed * 16807) % 2147483647; return seed / 2147483647 }
function rnd(n) { return int(unif() * n) }            # 0 .. n-1
function skew(n) { u = unif(); return 1 + int(u * u * n) }  # 1 .. n, low ids hot
function pick(list, n) { return list[1 + rnd(n)] }
function emit(line) { print line; bytes += length(line) + 1 }

# Epoch seconds to "YYYY-MM-DD hh:mm:ss" (civil-from-days, proleptic Gregorian).
function stamp(t,   days, z, era, doe, yoe, doy, mp, y, m, d, s) {
	days = int(t / 86400)
	if (days != cached_day) {
		z = days + 719468; era = int(z / 146097); doe = z - era * 146097
		yoe = int((doe - int(doe / 1460) + int(doe / 36524) - int(doe / 146096)) / 365)
		doy = doe - (365 * yoe + int(yoe / 4) - int(yoe / 100))
		mp = int((5 * doy + 2) / 153)
		d = doy - int((153 * mp + 2) / 5) + 1
		m = mp < 10 ? mp + 3 : mp - 9
		y = yoe + era * 400 + (m <= 2)
		cached_day = days; cached_date = sprintf("%04d-%02d-%02d", y, m, d)
	}
	s = t - days * 86400
	return sprintf("%s %02d:%02d:%02d", cached_date, int(s / 3600), int(s % 3600 / 60), s % 60)
}
function money(max) { return sprintf("%d.%02d", rnd(max), rnd(100)) }

function comment(name, type) {
	emit("--"); emit("-- Name: " name "; Type: " type "; Schema: public; Owner: app"); emit("--"); emit("")
}
function create_table(name, body) {
	comment(name, "TABLE")
	emit("CREATE TABLE public." name " (\n" body "\n);"); emit(""); emit("")
	emit("ALTER TABLE public." name " OWNER TO app;"); emit("")
	comment(name "_id_seq", "SEQUENCE")
	emit("CREATE SEQUENCE public." name "_id_seq\n    START WITH 1\n    INCREMENT BY 1\n    NO MINVALUE\n    NO MAXVALUE\n    CACHE 1;"); emit(""); emit("")
	emit("ALTER SEQUENCE public." name "_id_seq OWNED BY public." name ".id;"); emit("")
}
function copy_begin(name, cols) {
	comment(name, "TABLE DATA")
	emit("COPY public." name " (" cols ") FROM stdin;")
}
function copy_end() { emit("\\."); emit(""); emit("") }
function setval(name, n) {
	comment(name "_id_seq", "SEQUENCE SET")
	emit("SELECT pg_catalog.setval('\''public." name "_id_seq'\'', " n ", true);"); emit(""); emit("")
}
function words(n,   s, i) { s = pick(word, nword); for (i = 1; i < n; i++) s = s " " pick(word, nword); return s }

BEGIN {
	seed = 20240601; cached_day = -1
	nfirst = split("James Mary Robert Patricia John Jennifer Michael Linda David Elizabeth William Barbara Richard Susan Joseph Jessica Thomas Sarah Charles Karen Daniel Nancy Matthew Lisa Anthony Betty Mark Sandra Paul Ashley Steven Emily Andrew Olivia Noah Emma Liam Sofia José Zoë Lukas Anna", first, " ")
	nlast = split("Smith Johnson Williams Brown Jones Garcia Miller Davis Rodriguez Martinez Hernandez Lopez Gonzalez Wilson Anderson Thomas Taylor Moore Jackson Martin Lee Perez Thompson White Harris Sanchez Clark Ramirez Lewis Robinson Walker Young Allen King Wright Scott Müller Schmidt Nguyen Kowalski Rossi Dubois", last, " ")
	ndomain = split("gmail.com yahoo.com outlook.com hotmail.com icloud.com proton.me example.com example.org mail.de web.de", domain, " ")
	ncountry = split("US US US US GB GB DE DE FR CA CA AU NL SE ES IT PL BR IN JP", country, " ")
	ncity = split("Springfield Portland Austin Boston Denver London Manchester Berlin Hamburg Paris Lyon Toronto Vancouver Sydney Amsterdam Stockholm Madrid Milan Warsaw Tokyo", city, " ")
	nstatus = split("delivered delivered delivered delivered shipped shipped paid pending cancelled refunded", status, " ")
	ncurrency = split("USD USD USD USD EUR EUR GBP CAD", currency, " ")
	nadj = split("Classic Compact Deluxe Eco Ergonomic Heavy-Duty Lightweight Portable Premium Rustic Sleek Smart Vintage Wireless", adj, " ")
	nnoun = split("Backpack Blender Chair Desk Lamp Headphones Kettle Keyboard Mug Notebook Pillow Scarf Speaker Teapot Towel Umbrella Wallet Watch", noun, " ")
	nkind = split("page_view page_view page_view page_view search search add_to_cart add_to_cart checkout login logout signup", kind, " ")
	npath = split("/ /products /products /cart /checkout /account /search /help /orders /wishlist", path, " ")
	nua = split("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0 Safari/537.36|Mozilla/5.0 (Macintosh; Intel Mac OS X 14_4) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Safari/605.1.15|Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148|Mozilla/5.0 (X11; Linux x86_64; rv:125.0) Gecko/20100101 Firefox/125.0|Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0 Mobile Safari/537.36|okhttp/4.12.0", ua, "|")
	nword = split("please leave at the door call before delivery gift wrap fragile handle with care back entrance ring bell twice no plastic office hours only weekend delivery preferred thanks", word, " ")
	hex = "0123456789abcdef"
	epoch0 = 1577836800   # 2020-01-01 00:00:00 UTC
	span = 4 * 365 * 86400

	emit("--"); emit("-- PostgreSQL database dump"); emit("--"); emit("")
	emit("-- Dumped from database version 16.4 (Debian 16.4-1.pgdg120+2)")
	emit("-- Dumped by pg_dump version 16.4 (Debian 16.4-1.pgdg120+2)"); emit("")
	emit("SET statement_timeout = 0;"); emit("SET lock_timeout = 0;")
	emit("SET idle_in_transaction_session_timeout = 0;"); emit("SET client_encoding = '\''UTF8'\'';")
	emit("SET standard_conforming_strings = on;")
	emit("SELECT pg_catalog.set_config('\''search_path'\'', '\'''\'', false);")
	emit("SET check_function_bodies = false;"); emit("SET xmloption = content;")
	emit("SET client_min_messages = warning;"); emit("SET row_security = off;"); emit("")
	emit("SET default_tablespace = '\'''\'';"); emit(""); emit("SET default_table_access_method = heap;"); emit("")

	create_table("customers", "    id integer NOT NULL,\n    email text NOT NULL,\n    full_name text NOT NULL,\n    country character(2) NOT NULL,\n    city text,\n    phone text,\n    referrer_id integer,\n    is_active boolean DEFAULT true NOT NULL,\n    created_at timestamp with time zone DEFAULT now() NOT NULL")
	create_table("orders", "    id bigint NOT NULL,\n    customer_id integer NOT NULL,\n    status text NOT NULL,\n    total numeric(12,2) NOT NULL,\n    currency character(3) DEFAULT '\''USD'\''::bpchar NOT NULL,\n    placed_at timestamp with time zone NOT NULL,\n    shipped_at timestamp with time zone,\n    note text")
	create_table("order_items", "    id bigint NOT NULL,\n    order_id bigint NOT NULL,\n    sku text NOT NULL,\n    product_name text NOT NULL,\n    quantity integer NOT NULL,\n    unit_price numeric(10,2) NOT NULL,\n    discount numeric(5,2)")
	create_table("events", "    id bigint NOT NULL,\n    customer_id integer,\n    session_id uuid NOT NULL,\n    kind text NOT NULL,\n    path text NOT NULL,\n    ip inet,\n    user_agent text,\n    occurred_at timestamp with time zone NOT NULL")

	# Rough shares of the data: customers 10%, orders 25%, items 30%, events the rest.
	copy_begin("customers", "id, email, full_name, country, city, phone, referrer_id, is_active, created_at")
	limit = bytes + 0.10 * target; t = epoch0; nc = 0
	while (bytes < limit) {
		nc++; f = pick(first, nfirst); l = pick(last, nlast)
		email = tolower(f) (rnd(2) ? "." : "_") tolower(l) (rnd(3) ? rnd(1000) : "") "@" pick(domain, ndomain)
		phone = rnd(4) ? sprintf("+1-%03d-555-%04d", 200 + rnd(800), rnd(10000)) : "\\N"
		ref = (nc > 1 && rnd(5) == 0) ? 1 + rnd(nc - 1) : "\\N"
		t += rnd(600)
		emit(nc "\t" email "\t" f " " l "\t" pick(country, ncountry) "\t" (rnd(8) ? pick(city, ncity) : "\\N") "\t" phone "\t" ref "\t" (rnd(10) ? "t" : "f") "\t" stamp(t) "." sprintf("%06d", rnd(1000000)) "+00")
	}
	copy_end()

	copy_begin("orders", "id, customer_id, status, total, currency, placed_at, shipped_at, note")
	limit = bytes + 0.25 * target; t = epoch0 + 86400; no = 0
	while (bytes < limit) {
		no++; st = pick(status, nstatus); t += rnd(120)
		placed = stamp(t) "+00"
		shipped = (st == "shipped" || st == "delivered") ? stamp(t + 3600 + rnd(4 * 86400)) "+00" : "\\N"
		emit(no "\t" skew(nc) "\t" st "\t" money(400) "\t" pick(currency, ncurrency) "\t" placed "\t" shipped "\t" (rnd(8) ? "\\N" : words(2 + rnd(6))))
	}
	copy_end()

	copy_begin("order_items", "id, order_id, sku, product_name, quantity, unit_price, discount")
	limit = bytes + 0.30 * target; ni = 0; o = 0
	while (bytes < limit) {
		o = o % no + 1
		for (k = 1 + rnd(4); k > 0; k--) {
			ni++; p = skew(5000)
			emit(ni "\t" o "\t" sprintf("SKU-%05d", p) "\t" adj[1 + p % nadj] " " noun[1 + int(p / nadj) % nnoun] "\t" (1 + (rnd(4) ? 0 : rnd(5))) "\t" (p % 200 + 4) ".99" "\t" (rnd(6) ? "\\N" : rnd(30) ".00"))
		}
	}
	copy_end()

	copy_begin("events", "id, customer_id, session_id, kind, path, ip, user_agent, occurred_at")
	t = epoch0 + 86400; ne = 0
	while (bytes < target) {
		sid = ""
		for (k = 0; k < 32; k++) sid = sid substr(hex, 1 + rnd(16), 1)
		sid = substr(sid, 1, 8) "-" substr(sid, 9, 4) "-4" substr(sid, 14, 3) "-" substr("89ab", 1 + rnd(4), 1) substr(sid, 18, 3) "-" substr(sid, 21, 12)
		cust = rnd(3) ? skew(nc) : "\\N"; agent = pick(ua, nua)
		ip = (50 + rnd(150)) "." rnd(256) "." rnd(256) "." (1 + rnd(254))
		for (k = 2 + rnd(12); k > 0 && bytes < target; k--) {
			ne++; t += rnd(20)
			pg = pick(path, npath); if (pg == "/products") pg = pg "/" sprintf("SKU-%05d", skew(5000))
			emit(ne "\t" cust "\t" sid "\t" pick(kind, nkind) "\t" pg "\t" ip "\t" agent "\t" stamp(t) "." sprintf("%06d", rnd(1000000)) "+00")
		}
	}
	copy_end()

	setval("customers", nc); setval("orders", no); setval("order_items", ni); setval("events", ne)
	split("customers orders order_items events", tables, " ")
	for (i = 1; i <= 4; i++) {
		comment(tables[i] " " tables[i] "_pkey", "CONSTRAINT")
		emit("ALTER TABLE ONLY public." tables[i] "\n    ADD CONSTRAINT " tables[i] "_pkey PRIMARY KEY (id);"); emit("")
	}
	comment("orders_customer_id_idx", "INDEX")
	emit("CREATE INDEX orders_customer_id_idx ON public.orders USING btree (customer_id);"); emit("")
	comment("events_occurred_at_idx", "INDEX")
	emit("CREATE INDEX events_occurred_at_idx ON public.events USING btree (occurred_at);"); emit("")
	comment("orders orders_customer_id_fkey", "FK CONSTRAINT")
	emit("ALTER TABLE ONLY public.orders\n    ADD CONSTRAINT orders_customer_id_fkey FOREIGN KEY (customer_id) REFERENCES public.customers(id);"); emit("")
	comment("order_items order_items_order_id_fkey", "FK CONSTRAINT")
	emit("ALTER TABLE ONLY public.order_items\n    ADD CONSTRAINT order_items_order_id_fkey FOREIGN KEY (order_id) REFERENCES public.orders(id);"); emit("")
	emit("--"); emit("-- PostgreSQL database dump complete"); emit("--"); emit("")
}'
}

if [[ -s $sql ]]; then
	note "reusing $sql"
else
	note "generating ${size_mb} MiB of SQL in $dir ..."
	start=$EPOCHREALTIME
	gen_dump $((size_mb * 1048576)) >"$sql.tmp"
	mv -- "$sql.tmp" "$sql"
	note "  took $(calc %.1f "${EPOCHREALTIME/,/.} - ${start/,/.}") s"
fi
if [[ -s $gz && $gz -nt $sql ]]; then
	note "reusing $gz"
else
	note "compressing with gzip -6 ..."
	gzip -6 -n -c -- "$sql" >"$gz.tmp"
	mv -- "$gz.tmp" "$gz"
fi
sql_bytes=$(stat -c %s -- "$sql")
gz_bytes=$(stat -c %s -- "$gz")

# ------------------------------------------------------------------ the tools

# Tool i has a label in labels[i], its argv in the array cmd_<i> and that
# argv, for messages, in cmdline[i].
labels=()
cmdline=()
add_tool() {
	local i=${#labels[@]}
	labels+=("$1")
	shift
	cmdline+=("$*")
	declare -ga "cmd_$i=()"
	local -n new="cmd_$i"
	# shellcheck disable=SC2034  # new is a nameref: this sets cmd_<i>
	new=("$@")
}

# run_tool I [WRAPPER...]: runs tool I on the .gz file, under WRAPPER if given.
run_tool() {
	local -n c="cmd_$1"
	shift
	"$@" "${c[@]}" "$gz"
}

if [[ -n ${GZCAT_VERIFY:-} ]]; then
	read -ra gv <<<"$GZCAT_VERIFY"
else
	gv=("$root/gzcat-verify")
	[[ -x ${gv[0]} ]] || die "${gv[0]} not found: run make, or set GZCAT_VERIFY"
fi
add_tool "gzcat-verify" "${gv[@]}"

gv_zlib=${GZCAT_VERIFY_ZLIB:-$root/build/zlib/gzcat-verify}
if [[ -x $gv_zlib ]]; then
	add_tool "gzcat-verify (zlib)" "$gv_zlib"
else
	note "note: no zlib build at $gv_zlib (make B=build/zlib ISAL=0), skipping it"
fi
for peer in gzip pigz igzip; do
	if command -v "$peer" >/dev/null; then
		add_tool "$peer -dc" "$peer" -dc
	else
		note "note: $peer not installed, skipping it"
	fi
done

# Index of a label in labels[], or empty if that tool is not (or no longer) in.
tool_index() {
	local i
	for i in "${!labels[@]}"; do
		[[ ${labels[i]} == "$1" ]] && { echo "$i"; return; }
	done
	return 0
}

# ---------------------------------------------------------------- correctness

bad_build=0
note "checking that every tool's output matches the SQL ..."
for i in "${!labels[@]}"; do
	if ! run_tool "$i" | cmp -s -- - "$sql"; then
		if [[ ${labels[i]} == gzcat-verify* ]]; then
			note "FAIL: ${labels[i]} (${cmdline[i]}) output differs from the original"
			bad_build=1
		else
			note "note: ${labels[i]} output differs from the original, skipping it"
		fi
		unset 'labels[i]'
	fi
done
[[ -n $(tool_index gzcat-verify) ]] || die "gzcat-verify output is wrong, not timing anything"

# --------------------------------------------------------------------- timing

# Best wall time per tool, in microseconds (EPOCHREALTIME without its point).
declare -A best=() best_pipe=()
usec() { local t=${1/[.,]/}; echo $((10#$t)); }

ids=("${!labels[@]}")
n=${#ids[@]}
note "timing $n tools, $rounds interleaved rounds ..."
for ((r = 0; r < rounds; r++)); do
	# Rotate the starting tool each round so no tool always follows another.
	for ((k = 0; k < n; k++)); do
		i=${ids[(r + k) % n]}
		t0=$EPOCHREALTIME
		run_tool "$i" >/dev/null
		t1=$EPOCHREALTIME
		dt=$(($(usec "$t1") - $(usec "$t0")))
		if [[ -z ${best[$i]:-} ]] || ((dt < best[$i])); then best[$i]=$dt; fi
		# The same through a pipe, as in a restore pipeline.
		t0=$EPOCHREALTIME
		run_tool "$i" | cat >/dev/null
		t1=$EPOCHREALTIME
		dt=$(($(usec "$t1") - $(usec "$t0")))
		if [[ -z ${best_pipe[$i]:-} ]] || ((dt < best_pipe[$i])); then best_pipe[$i]=$dt; fi
	done
done

# ------------------------------------------------------------------ max RSS

declare -A rss=()
if /usr/bin/time --version 2>&1 | grep -q GNU; then
	rss_file=$dir/rss.txt
	for label in "gzcat-verify" "gzcat-verify (zlib)"; do
		i=$(tool_index "$label")
		[[ -n $i ]] || continue
		run_tool "$i" /usr/bin/time -f %M -o "$rss_file" >/dev/null
		rss[$i]=$(tail -n 1 "$rss_file")
	done
	rm -f -- "$rss_file"
else
	note "note: GNU time (/usr/bin/time, Debian package time) not found, skipping max RSS"
fi

# ------------------------------------------------------------------- report

cpu=$(awk -F': *' '/^model name/ { print $2; exit }' /proc/cpuinfo 2>/dev/null || true)
mib() { calc %.1f "$1 / 1048576"; }

gv_i=$(tool_index gzcat-verify)
echo
echo "machine:  $(uname -sr), $(nproc) CPUs, ${cpu:-unknown CPU}"
echo "SQL:      $sql_bytes bytes ($(mib "$sql_bytes") MiB)"
echo "gzip -6:  $gz_bytes bytes ($(mib "$gz_bytes") MiB), ratio $(calc %.2f "$sql_bytes / $gz_bytes")x"
for label in "gzcat-verify" "gzcat-verify (zlib)"; do
	i=$(tool_index "$label")
	if [[ -n $i ]]; then printf '%-21s %s\n' "$label:" "${cmdline[i]}"; fi
done
echo "best of $rounds rounds, wall time; MB/s = 10^6 bytes of decompressed output per second"
table() {
	local -n times=$1
	for i in "${ids[@]}"; do
		[[ -n ${labels[i]:-} ]] || continue
		awk -v label="${labels[i]}" -v us="${times[$i]}" -v ref="${times[$gv_i]}" -v bytes="$sql_bytes" 'BEGIN {
			printf "  %-20s %7.3f s  %6.0f MB/s  %5.2fx gzcat-verify\n", label, us / 1e6, bytes / us, ref / us }'
	done
}
echo
echo "to /dev/null:"
table best
echo
echo "through a pipe (| cat > /dev/null):"
table best_pipe
echo
for label in "gzcat-verify" "gzcat-verify (zlib)"; do
	i=$(tool_index "$label")
	[[ -n $i && -n ${rss[$i]:-} ]] || continue
	printf '  max RSS %-20s %6d KiB\n' "$label" "${rss[$i]}"
done
[[ ${#rss[@]} -gt 0 ]] || echo "  max RSS: not measured (no GNU time)"

# ------------------------------------------------------------------ targets

# Prints PASS or MISS for "value >= want" (or "<=" with le), with the figures.
verdict() {
	local what=$1 value=$2 op=$3 want=$4 ok
	ok=$(calc %d "(($value $op $want) ? 1 : 0)")
	printf '%s  %-46s %s (target %s %s)\n' "$([[ $ok == 1 ]] && echo PASS || echo MISS)" "$what" "$value" "$op" "$want"
}
ratio() { calc %.2f "${best[$2]} / ${best[$1]}"; }  # throughput of tool $1 over tool $2

echo
echo "targets:"
zl_i=$(tool_index "gzcat-verify (zlib)")
ig_i=$(tool_index "igzip -dc")
pz_i=$(tool_index "pigz -dc")
if [[ -n $ig_i ]]; then
	verdict "gzcat-verify throughput / igzip -dc" "$(ratio "$gv_i" "$ig_i")" ">=" 0.9
else
	echo "SKIP  gzcat-verify >= 0.9x igzip -dc: igzip not available"
fi
if [[ -n $zl_i && -n $pz_i ]]; then
	verdict "gzcat-verify (zlib) throughput / pigz -dc" "$(ratio "$zl_i" "$pz_i")" ">=" 1.0
else
	echo "SKIP  gzcat-verify (zlib) >= 1.0x pigz -dc: zlib build or pigz not available"
fi
for label in "gzcat-verify" "gzcat-verify (zlib)"; do
	i=$(tool_index "$label")
	if [[ -n $i && -n ${rss[$i]:-} ]]; then
		verdict "$label max RSS, KiB" "${rss[$i]}" "<=" 16384
	else
		echo "SKIP  $label max RSS <= 16384 KiB: not measured"
	fi
done

if ((bad_build)); then
	note "a gzcat-verify build produced wrong output (see above)"
	exit 1
fi
