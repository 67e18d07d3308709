/* The SQL reader and statement analysis: splitting, COPY data, TOC entries. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sqlmeta.h"
#include "sqlread.h"
#include "sqlstmt.h"
#include "strbuf.h"
#include "tap.h"

static const char *const kinds[] = { "END", "BLANK", "TOC", "STMT", "META", "COPY", "COPYEND", "BAD" };

/*
 * Read input through a reader with buffer size bufsize and describe the
 * items: "KIND@line[:body]" joined by " | ", COPY pieces merged. Also
 * checks that the texts put together give back the input.
 */
static char *
describe_len(const char *input, size_t len, size_t bufsize, int *intact)
{
	FILE *f = tmpfile();
	struct sqlr *r;
	struct sql_item it;
	static char out[1 << 16];
	char *back = malloc(len + 1);
	size_t blen = 0, olen = 0;
	enum sql_kind last = SQL_END;
	int mid = 0;

	fwrite(input, 1, len, f);
	fflush(f);
	rewind(f);
	r = sqlr_new(fileno(f), bufsize);
	out[0] = '\0';
	for (;;) {
		if (sqlr_next(r, &it) != 0) {
			olen += (size_t)snprintf(out + olen, sizeof(out) - olen, "ERROR");
			break;
		}
		memcpy(back + blen, it.text, it.len);
		mid |= it.midstmt;
		blen += it.len;
		if (it.kind == SQL_COPY_DATA && last == SQL_COPY_DATA)
			continue;
		if (it.kind == SQL_END && olen > 0)
			break;	/* shown only when it is all there is */
		last = it.kind;
		if (olen)
			olen += (size_t)snprintf(out + olen, sizeof(out) - olen, " | ");
		olen += (size_t)snprintf(out + olen, sizeof(out) - olen, "%s@%llu", kinds[it.kind],
		    (unsigned long long)it.start_line);
		if (it.kind == SQL_STMT || it.kind == SQL_META)
			olen += (size_t)snprintf(out + olen, sizeof(out) - olen, ":%.*s", (int)it.body_len, it.body);
		if (it.kind == SQL_TOC)
			olen += (size_t)snprintf(out + olen, sizeof(out) - olen, ":%s/%s/%s/%s",
			    it.toc->type, it.toc->schema, it.toc->name, it.toc->owner);
		if (it.kind == SQL_STMT && it.copy)
			olen += (size_t)snprintf(out + olen, sizeof(out) - olen, " [copy]");
		if (it.kind == SQL_STMT && it.incomplete)
			olen += (size_t)snprintf(out + olen, sizeof(out) - olen, " [incomplete]");
		if (it.kind == SQL_BAD)
			olen += (size_t)snprintf(out + olen, sizeof(out) - olen, ":%s", it.why);
		if (it.kind == SQL_META && it.midstmt)
			olen += (size_t)snprintf(out + olen, sizeof(out) - olen, " [mid]");
		if (it.kind == SQL_END)
			break;
	}
	/* A command inside a statement comes out before the statement. */
	*intact = blen == len && (mid || memcmp(back, input, blen) == 0);
	free(back);
	sqlr_free(r);
	fclose(f);
	return out;
}

static char *
describe(const char *input, size_t bufsize, int *intact)
{
	return describe_len(input, strlen(input), bufsize, intact);
}

/* The items of len bytes of input (NUL bytes included). */
static const char *
describe_n(const char *input, size_t len, size_t bufsize)
{
	int intact;

	return describe_len(input, len, bufsize, &intact);
}

/* The items of input, the same whatever the buffer size. */
static void
split(const char *input, const char *want, const char *what)
{
	static const size_t sizes[] = { 16, 17, 23, 64, 0 };
	int intact, all_intact = 1, same = 1;
	char first[1 << 16];

	strcpy(first, describe(input, sizes[0], &intact));
	all_intact &= intact;
	for (size_t i = 1; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		const char *d = describe(input, sizes[i], &intact);

		all_intact &= intact;
		if (strcmp(d, first) != 0) {
			same = 0;
			printf("# buffer %zu: %s\n", sizes[i], d);
		}
	}
	is_str(first, want, "%s", what);
	ok(same, "%s: the same with every buffer size", what);
	ok(all_intact, "%s: the items give back the input", what);
}

static void
test_split(void)
{
	split("SELECT 1;\nSELECT 2;\n", "STMT@1:SELECT 1; | STMT@2:SELECT 2; | BLANK@2", "two statements");
	split("SELECT 'a;b'; SELECT 'it''s;';", "STMT@1:SELECT 'a;b'; | STMT@1:SELECT 'it''s;';",
	    "semicolons in strings");
	split("SELECT E'a\\';b'; SELECT 2;", "STMT@1:SELECT E'a\\';b'; | STMT@1:SELECT 2;",
	    "escape strings");
	split("SET standard_conforming_strings = off;\nSELECT 'a\\';b';\nSET standard_conforming_strings = on;\nSELECT 'c\\';\n",
	    "STMT@1:SET standard_conforming_strings = off; | STMT@2:SELECT 'a\\';b'; | "
	    "STMT@3:SET standard_conforming_strings = on; | STMT@4:SELECT 'c\\'; | BLANK@4",
	    "standard_conforming_strings off and on");
	split("SELECT \"a;\"\"b\" FROM t;", "STMT@1:SELECT \"a;\"\"b\" FROM t;", "quoted identifiers");
	split("CREATE FUNCTION f() RETURNS int AS $$ SELECT 1; $$ LANGUAGE sql;\n",
	    "STMT@1:CREATE FUNCTION f() RETURNS int AS $$ SELECT 1; $$ LANGUAGE sql; | BLANK@1",
	    "dollar quotes");
	split("SELECT $fn$ a $$ ; $x$ ; $fn$;SELECT $1;",
	    "STMT@1:SELECT $fn$ a $$ ; $x$ ; $fn$; | STMT@1:SELECT $1;", "dollar quote tags");
	split("SELECT a$b; SELECT 1;", "STMT@1:SELECT a$b; | STMT@1:SELECT 1;", "dollar inside a word");
	split("CREATE FUNCTION f() RETURNS text LANGUAGE plpgsql AS $body$\nBEGIN\n  RETURN '\n\\.\n;';\nEND\n$body$;\n",
	    "STMT@1:CREATE FUNCTION f() RETURNS text LANGUAGE plpgsql AS $body$\nBEGIN\n  RETURN '\n\\.\n;';\nEND\n$body$; | BLANK@7",
	    "a backslash-dot line in a function body");
	split("-- a; comment\nSELECT /* x; /* nested; */ y; */ 1;\n",
	    "STMT@2:SELECT /* x; /* nested; */ y; */ 1; | BLANK@2", "comments");
	split("SELECT 1 - -2; SELECT 4/2;", "STMT@1:SELECT 1 - -2; | STMT@1:SELECT 4/2;", "operators");
	split("-1;", "STMT@1:-1;", "a statement that starts with an operator");
	split("CREATE RULE r AS ON INSERT TO t DO (INSERT INTO a VALUES (1); INSERT INTO b VALUES (2));",
	    "STMT@1:CREATE RULE r AS ON INSERT TO t DO (INSERT INTO a VALUES (1); INSERT INTO b VALUES (2));",
	    "semicolons in parentheses");
	split("CREATE FUNCTION f(a int) RETURNS int LANGUAGE sql\nBEGIN ATOMIC\n SELECT CASE WHEN a > 0 THEN 1 END;\n SELECT 2;\nEND;\nSELECT 3;",
	    "STMT@1:CREATE FUNCTION f(a int) RETURNS int LANGUAGE sql\nBEGIN ATOMIC\n SELECT CASE WHEN a > 0 THEN 1 END;\n SELECT 2;\nEND; | STMT@6:SELECT 3;",
	    "BEGIN ATOMIC function bodies");
	split("BEGIN; SELECT 1; END;", "STMT@1:BEGIN; | STMT@1:SELECT 1; | STMT@1:END;",
	    "BEGIN outside a function is a statement");
	split("SELECT 1", "STMT@1:SELECT 1 [incomplete]", "a statement without its semicolon");
	split("SELECT 'abc", "STMT@1:SELECT 'abc [incomplete]", "an unterminated string");
	split("", "END@1", "empty input");
	split("\n\n-- only a comment\n", "BLANK@1", "only comments");
}

static void
test_meta(void)
{
	split("\\connect foo\nSELECT 1;\n", "META@1:\\connect foo\n | STMT@2:SELECT 1; | BLANK@2",
	    "a meta-command line");
	split("SELECT 1 \\g\nSELECT 2;", "META@1:\\g\n [mid] | STMT@1:SELECT 1 SELECT 2;",
	    "a meta-command inside a statement");
	split("SELECT '\\g'; SELECT \"\\o\";", "STMT@1:SELECT '\\g'; | STMT@1:SELECT \"\\o\";",
	    "backslashes in quotes are not meta-commands");
	split("\\restrict abc", "META@1:\\restrict abc", "a meta-command at the end of input");
	split("SELECT 1 \\! id", "META@1:\\! id [mid] | STMT@1:SELECT 1  [incomplete]",
	    "a meta-command inside a statement cut by the end of input is still one");
}

static void
test_copy(void)
{
	split("COPY t (a, b) FROM stdin;\n1\tx\n2\t\\N\n\\.\nSELECT 1;\n",
	    "STMT@1:COPY t (a, b) FROM stdin; [copy] | BLANK@1 | COPY@2 | COPYEND@4 | STMT@5:SELECT 1; | BLANK@5",
	    "COPY data up to backslash-dot");
	split("COPY t FROM stdin;\n\\N\tx\n\\.x\n\\.\n",
	    "STMT@1:COPY t FROM stdin; [copy] | BLANK@1 | COPY@2 | COPYEND@4",
	    "lines that start with a backslash are data");
	split("COPY t FROM stdin;\r\n1\r\n\\.\r\nSELECT 1;",
	    "STMT@1:COPY t FROM stdin; [copy] | BLANK@1 | COPY@2 | COPYEND@3 | STMT@4:SELECT 1;",
	    "CRLF line ends");
	split("COPY t FROM stdin;\n1\n2", "STMT@1:COPY t FROM stdin; [copy] | BLANK@1 | COPY@2",
	    "COPY data cut short");
	split("COPY t TO stdout;\nSELECT 1;", "STMT@1:COPY t TO stdout; | STMT@2:SELECT 1;",
	    "COPY TO is a statement");
	split("copy \"T\" from STDIN with (format csv);\n\"a\nb\",1\n\\.\n",
	    "STMT@1:copy \"T\" from STDIN with (format csv); [copy] | BLANK@1 | COPY@2 | COPYEND@4",
	    "COPY with options and CSV");
}

static void
test_toc(void)
{
	const char *dump =
	    "--\n-- PostgreSQL database dump\n--\n\nSET x = 1;\n\n"
	    "--\n-- Name: users; Type: TABLE; Schema: public; Owner: alice\n--\n\n"
	    "CREATE TABLE public.users (id int);\n\n"
	    "--\n-- Data for Name: users; Type: TABLE DATA; Schema: public; Owner: alice\n--\n\n"
	    "COPY public.users (id) FROM stdin;\n1\n\\.\n\n"
	    "--\n-- Name: a; b; Type: Q; Type: X; Schema: -; Owner: -; Tablespace: ts\n--\n\n"
	    "--\n-- PostgreSQL database dump complete\n--\n\n";
	FILE *f = tmpfile();
	struct sqlr *r;
	struct sql_item it;

	split(dump, "STMT@5:SET x = 1; | TOC@8:TABLE/public/users/alice | STMT@11:CREATE TABLE public.users (id int); | "
	    "TOC@14:TABLE DATA/public/users/alice | STMT@17:COPY public.users (id) FROM stdin; [copy] | BLANK@17 | "
	    "COPY@18 | COPYEND@19 | TOC@22:Q; Type: X/-/a; b/- | BLANK@23", "pg_dump TOC comments");
	fputs(dump, f);
	fflush(f);
	rewind(f);
	r = sqlr_new(fileno(f), 0);
	do
		sqlr_next(r, &it);
	while (it.kind != SQL_END);
	ok(sqlr_framing(r)->dump && !sqlr_truncated(r), "a complete dump is not truncated");
	sqlr_free(r);
	fclose(f);

	f = tmpfile();
	fwrite(dump, 1, strlen(dump) - 45, f);
	fflush(f);
	rewind(f);
	r = sqlr_new(fileno(f), 0);
	do
		sqlr_next(r, &it);
	while (it.kind != SQL_END);
	ok(sqlr_truncated(r), "a dump without its trailer is truncated");
	sqlr_free(r);
	fclose(f);
}

static void
stmt(const char *sql, enum sql_stmt_kind kind, const char *rel, const char *obj, long rows)
{
	struct sql_stmt s;
	char got[2048];
	uint64_t n = 0;
	bool known;

	sql_stmt_parse(sql, strlen(sql), true, &s);
	known = s.kind == STMT_INSERT && sql_insert_rows(sql, strlen(sql), true, &n);
	snprintf(got, sizeof(got), "%d %s%s%s [%.*s] %s %ld", (int)s.kind, s.rel.schema,
	    s.rel.schema[0] ? "." : "", s.has_rel ? s.rel.name : "-",
	    s.has_rel ? (int)(s.rel.end - s.rel.start) : 0, sql + s.rel.start,
	    s.has_obj ? s.obj.name : "-", known ? (long)n : -1L);
	{
		char want[2048];
		const char *dot = strchr(rel, '.');
		char span[600] = "";

		(void)dot;
		if (strcmp(rel, "-") != 0) {
			/* the written span is checked separately: rebuild the expected text */
			snprintf(span, sizeof(span), "%.*s", s.has_rel ? (int)(s.rel.end - s.rel.start) : 0,
			    sql + s.rel.start);
		}
		snprintf(want, sizeof(want), "%d %s [%s] %s %ld", (int)kind, rel, span, obj, rows);
		is_str(got, want, "%s", sql);
	}
}

static void
test_stmt(void)
{
	stmt("CREATE TABLE public.users (id int)", STMT_CREATE_TABLE, "public.users", "-", -1);
	stmt("CREATE UNLOGGED TABLE \"Sales Data\".\"My \"\"T\"\"\" (a int)", STMT_CREATE_TABLE,
	    "Sales Data.My \"T\"", "-", -1);
	stmt("COPY public.users (id, name) FROM stdin;", STMT_COPY, "public.users", "-", -1);
	stmt("INSERT INTO public.t VALUES (1, 'a,(b)'), (2, 'c');", STMT_INSERT, "public.t", "-", 2);
	stmt("INSERT INTO public.t (a, b) OVERRIDING SYSTEM VALUE VALUES (1, ARRAY[(1)]);", STMT_INSERT,
	    "public.t", "-", 1);
	stmt("ALTER TABLE ONLY public.t ADD CONSTRAINT t_pkey PRIMARY KEY (id);", STMT_ALTER_TABLE,
	    "public.t", "t_pkey", -1);
	stmt("ALTER TABLE public.t OWNER TO alice;", STMT_OWNER, "public.t", "-", -1);
	stmt("ALTER SCHEMA s OWNER TO alice;", STMT_OWNER, "-", "-", -1);
	stmt("CREATE UNIQUE INDEX t_idx ON ONLY public.t USING btree (a);", STMT_CREATE_INDEX,
	    "public.t", "t_idx", -1);
	stmt("CREATE TRIGGER trg BEFORE UPDATE OF a ON public.t FOR EACH ROW EXECUTE FUNCTION f();",
	    STMT_CREATE_TRIGGER, "public.t", "trg", -1);
	stmt("CREATE POLICY p ON public.t USING (true);", STMT_CREATE_POLICY, "public.t", "p", -1);
	stmt("COMMENT ON COLUMN public.t.a IS 'x';", STMT_COMMENT, "public.t", "-", -1);
	stmt("COMMENT ON TABLE public.t IS 'x';", STMT_COMMENT, "public.t", "-", -1);
	stmt("GRANT SELECT ON TABLE public.t TO bob;", STMT_GRANT, "public.t", "-", -1);
	stmt("SET SESSION AUTHORIZATION alice;", STMT_SESSION_AUTH, "-", "-", -1);
	stmt("SELECT 1;", STMT_OTHER, "-", "-", -1);
	stmt("ALTER SEQUENCE public.t_id_seq OWNED BY public.t.id;", STMT_OWNED_BY, "public.t", "t_id_seq", -1);
	stmt("ALTER SEQUENCE s OWNED BY t.id;", STMT_OWNED_BY, "t", "s", -1);
	ok(sql_is_copy_from_stdin("COPY t FROM STDIN;", 18, true), "COPY FROM STDIN");
	ok(!sql_is_copy_from_stdin("COPY (SELECT 'from stdin') TO stdout;", 37, true),
	    "COPY TO with a string saying from stdin");
}

/* What sql_lexer_setting() makes of one statement, as "KIND std encoding". */
static const char *
setting(const char *sql)
{
	static char out[128];
	struct sql_lexset ls;
	enum sql_sets k = sql_lexer_setting(sql, strlen(sql), true, &ls);

	if (k == SQL_SETS_NONE)
		return "NONE";
	if (k == SQL_SETS_UNKNOWN)
		return "UNKNOWN";
	snprintf(out, sizeof(out), "KNOWN %d %s", ls.std, *ls.encoding ? ls.encoding : "-");
	return out;
}

static void
test_settings(void)
{
	is_str(setting("SET standard_conforming_strings = 'off';"), "KNOWN 0 -", "SET ... 'off'");
	is_str(setting("SET standard_conforming_strings TO on;"), "KNOWN 1 -", "SET ... TO on");
	is_str(setting("SET standard_conforming_strings = yes;"), "KNOWN 1 -", "yes is on, as the server reads it");
	is_str(setting("SET standard_conforming_strings = 1;"), "KNOWN 1 -", "1 is on");
	is_str(setting("SET standard_conforming_strings = '0';"), "KNOWN 0 -", "'0' is off");
	is_str(setting("set STANDARD_CONFORMING_STRINGS=of;"), "KNOWN 0 -", "a prefix of off is off");
	is_str(setting("SET standard_conforming_strings = o;"), "UNKNOWN", "o is neither: the server decides");
	is_str(setting("SET standard_conforming_strings TO DEFAULT;"), "UNKNOWN", "TO DEFAULT is the server's to say");
	is_str(setting("RESET standard_conforming_strings;"), "UNKNOWN", "RESET");
	is_str(setting("RESET ALL;"), "UNKNOWN", "RESET ALL");
	is_str(setting("SET LOCAL standard_conforming_strings = off;"), "UNKNOWN", "SET LOCAL");
	is_str(setting("SELECT set_config('standard_conforming_strings', 'off', false);"), "UNKNOWN",
	    "set_config()");
	is_str(setting("SELECT pg_catalog.set_config('search_path', '', false);"), "NONE",
	    "set_config() of another setting, by name");
	is_str(setting("SELECT set_config(name, 'off', false) FROM t;"), "UNKNOWN",
	    "set_config() of a setting not named by a literal");
	is_str(setting("UPDATE pg_settings SET setting = 'off' WHERE name = 'standard_conforming_strings';"),
	    "UNKNOWN", "UPDATE pg_settings");
	is_str(setting("SET client_encoding = 'UTF8';"), "KNOWN -1 UTF8", "SET client_encoding");
	is_str(setting("SET NAMES 'LATIN1';"), "KNOWN -1 LATIN1", "SET NAMES");
	is_str(setting("SET search_path = '';"), "NONE", "another SET");
	is_str(setting("SELECT 'set_config';"), "NONE", "a string naming set_config is not a call");
	is_int(sql_bool("ON"), 1, "ON");
	is_int(sql_bool("fa"), 0, "fa");
	is_int(sql_bool("o"), -1, "o");
	is_int(sql_bool(""), -1, "empty");
	ok(sql_encoding_readable("UTF8"), "UTF8 can be read");
	ok(sql_encoding_readable("latin1"), "LATIN1 can be read");
	ok(!sql_encoding_readable("SJIS"), "SJIS cannot");
	ok(!sql_encoding_readable("big5"), "BIG5 cannot");
	ok(!sql_encoding_readable("GBK"), "GBK cannot");
	ok(!sql_encoding_readable("gb18030"), "GB18030 cannot");
	ok(!sql_encoding_readable("UHC"), "UHC cannot");
	ok(!sql_encoding_readable("Shift_JIS_2004"), "SHIFT_JIS_2004 cannot");
	ok(!sql_encoding_readable("WIN932"), "WIN932 (SJIS) cannot");
	ok(!sql_encoding_readable("WIN936"), "WIN936 (GBK) cannot");
}

static void
test_lexer(void)
{
	split("SELECT 1; -- c\rSELECT 2;\n", "STMT@1:SELECT 1; | STMT@1:SELECT 2; | BLANK@1",
	    "a line comment ends at CR, as the server's lexer ends it");
	split("SET standard_conforming_strings = off;\nSELECT b'\\'; SELECT 2;\n",
	    "STMT@1:SET standard_conforming_strings = off; | STMT@2:SELECT b'\\'; | "
	    "STMT@2:SELECT 2; | BLANK@2",
	    "b'' strings take no backslash escapes, whatever the setting");
	split("SET standard_conforming_strings = off;\nSELECT x'\\'; SELECT 2;\n",
	    "STMT@1:SET standard_conforming_strings = off; | STMT@2:SELECT x'\\'; | "
	    "STMT@2:SELECT 2; | BLANK@2",
	    "x'' strings take no backslash escapes");
	split("SET standard_conforming_strings = off;\nSELECT U&'\\'; SELECT 2;\n",
	    "STMT@1:SET standard_conforming_strings = off; | STMT@2:SELECT U&'\\'; | "
	    "STMT@2:SELECT 2; | BLANK@2",
	    "U&'' strings take no backslash escapes");
	split("SELECT 1$a$; SELECT 2;$a$;\n", "STMT@1:SELECT 1$a$; SELECT 2;$a$; | BLANK@1",
	    "a number does not swallow the $ of a dollar quote");
}

static void
test_bad(void)
{
	static const char nul[] = "SELECT 1;\nSELECT '\0'; COMMIT;\n";

	static const char nulcomment[] = "-- x\0\nSELECT '\n\\! id\n';\n";
	static const char nulcopy[] = "COPY t FROM stdin;\n1\0\n\\.\n";

	ok(strstr(describe_n(nul, sizeof(nul) - 1, 64), "BAD@2:") != NULL,
	    "a NUL byte in a statement is never passed on");
	ok(strncmp(describe_n(nulcomment, sizeof(nulcomment) - 1, 64), "BAD@", 4) == 0,
	    "a NUL byte in a comment is refused (psql would join the next line to it)");
	ok(strstr(describe_n(nulcopy, sizeof(nulcopy) - 1, 64), "BAD@2") != NULL,
	    "a NUL byte in COPY data is refused");
	split("COPY t FROM stdin; SELECT 1;\n1\n\\.\n",
	    "STMT@1:COPY t FROM stdin; [copy] | BAD@1:text after COPY ... FROM stdin; on its line "
	    "(psql would run it after the data) | COPY@2 | COPYEND@3",
	    "text after COPY FROM stdin on its line is refused");
	split("COPY t FROM stdin;  -- data follows\n1\n\\.\n",
	    "STMT@1:COPY t FROM stdin; [copy] | BLANK@1 | COPY@2 | COPYEND@3",
	    "a comment after COPY FROM stdin is fine");
}

/* A meta-command line as the parser sees it: "name(arg,arg) name(...)" or "REFUSED: why". */
static const char *
meta(const char *line)
{
	static char out[1024];
	struct sql_meta m;
	const char *why = NULL;
	size_t n = 0;

	if (sql_meta_parse(line, strlen(line), &m, &why) != 0) {
		snprintf(out, sizeof(out), "REFUSED: %s", why ? why : "?");
		sql_meta_free(&m);
		return out;
	}
	out[0] = '\0';
	for (size_t i = 0; i < m.n; i++) {
		const struct sql_meta_cmd *c = &m.cmd[i];

		n += (size_t)snprintf(out + n, sizeof(out) - n, "%s%.*s(", i ? " " : "",
		    (int)c->name_len, c->name);
		for (size_t j = 0; j < c->nargs; j++)
			n += (size_t)snprintf(out + n, sizeof(out) - n, "%s%s%s", j ? "," : "",
			    c->dquoted[j] ? "\"" : "", c->arg[j]);
		n += (size_t)snprintf(out + n, sizeof(out) - n, ")");
	}
	sql_meta_free(&m);
	return out;
}

static void
test_metaparse(void)
{
	is_str(meta("\\connect foo\n"), "connect(foo)", "one command");
	is_str(meta("\\set ON_ERROR_STOP on \\! rm -rf /\n"), "set(ON_ERROR_STOP,on) !(rm,-rf,/)",
	    "every backslash starts a command: \\! is seen");
	is_str(meta("\\connect db\\! cmd"), "connect(db) !(cmd)", "a backslash inside a word starts one too");
	is_str(meta("\\restrict K \\! cmd"), "restrict(K) !(cmd)", "after \\restrict too");
	is_str(meta("\\connect 'a b' x'y'z\n"), "connect(a b,xyz)", "quoted parts join their word");
	is_str(meta("\\connect 'it''s' 'a\\tb'"), "connect(it's,a\tb)", "psql's escapes in '...'");
	is_str(meta("\\connect \"My DB\""), "connect(\"My DB)", "\"...\" is dequoted, and flagged");
	is_str(meta("\\connect 'x \\! y'"), "connect(x ! y)", "a backslash in quotes is an escape, not a command");
	ok(strncmp(meta("\\set x 1 \\\\ SELECT 1;"), "REFUSED", 7) == 0, "\\\\ then SQL is refused");
	is_str(meta("\\set x 1 \\\\  \n"), "set(x,1)", "\\\\ then blanks is nothing more");
	ok(strncmp(meta("\\set x `id`"), "REFUSED", 7) == 0, "backquotes are refused");
	ok(strncmp(meta("\\connect :db"), "REFUSED", 7) == 0, ":var is refused");
	ok(strncmp(meta("\\connect :'db'"), "REFUSED", 7) == 0, ":'var' is refused");
	ok(strncmp(meta("\\connect :\"db\""), "REFUSED", 7) == 0, ":\"var\" is refused");
	ok(strncmp(meta("\\connect 'open"), "REFUSED", 7) == 0, "an unclosed quote is refused");
	ok(strncmp(meta("\\a \\a \\a \\a \\a \\a \\a \\a \\a"), "REFUSED", 7) == 0,
	    "more commands than a line may hold are refused");
	ok(strncmp(meta("\\connect a b c d e"), "REFUSED", 7) == 0,
	    "more arguments than a command may take are refused");
}

static const char *
quoted(const char *schema, const char *name)
{
	static char out[1024];
	struct strbuf b = { 0 };

	if ((schema ? sql_quote_qualified(&b, schema, name) : sql_quote_ident(&b, name)) != 0)
		snprintf(out, sizeof(out), "ERROR");
	else
		snprintf(out, sizeof(out), "%s", strbuf_str(&b));
	strbuf_free(&b);
	return out;
}

static void
test_quote(void)
{
	char longname[300];

	is_str(quoted(NULL, "users"), "users", "plain names are bare");
	is_str(quoted(NULL, "Users"), "\"Users\"", "capitals are quoted");
	is_str(quoted(NULL, "my table"), "\"my table\"", "spaces are quoted");
	is_str(quoted(NULL, "a\"b"), "\"a\"\"b\"", "quotes are doubled");
	is_str(quoted(NULL, "user"), "\"user\"", "reserved words are quoted");
	is_str(quoted(NULL, "name"), "name", "unreserved keywords are bare");
	is_str(quoted(NULL, "1a"), "\"1a\"", "a leading digit is quoted");
	is_str(quoted(NULL, "a$"), "\"a$\"", "a dollar is quoted");
	is_str(quoted(NULL, "x'); DROP TABLE t; --"), "\"x'); DROP TABLE t; --\"",
	    "SQL in a name stays inside the quotes");
	is_str(quoted("public", "T"), "public.\"T\"", "a qualified name");
	memset(longname, 'a', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';
	ok(strlen(quoted(NULL, longname)) == sizeof(longname) - 1, "a long name is quoted whole, never cut");
	ok(!sql_name_ok(longname), "a name over 63 bytes is not a name PostgreSQL can hold");
	longname[63] = '\0';
	ok(sql_name_ok(longname), "63 bytes is");
	longname[64 - 1] = 'a';
	longname[64] = '\0';
	ok(!sql_name_ok(longname), "64 bytes is not");
	ok(!sql_name_ok(""), "an empty name is not");
	ok(sql_routine_args_ok("(integer, character varying, public.t[])"), "routine arguments");
	ok(sql_routine_args_ok("()"), "no arguments");
	ok(!sql_routine_args_ok("(integer); COMMIT; SELECT (1)"), "SQL after the arguments is refused");
	ok(!sql_routine_args_ok("(integer) CASCADE; COMMIT"), "text after the last ) is refused");
	ok(!sql_routine_args_ok("(text DEFAULT 'x')"), "a quote is refused");
	ok(!sql_routine_args_ok("integer"), "no parentheses is refused");
}

int
main(void)
{
	test_split();
	test_meta();
	test_copy();
	test_toc();
	test_stmt();
	test_lexer();
	test_settings();
	test_quote();
	test_metaparse();
	test_bad();
	return tap_done();
}
