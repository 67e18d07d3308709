/* The SQL reader and statement analysis: splitting, COPY data, TOC entries. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sqlread.h"
#include "sqlstmt.h"
#include "tap.h"

static const char *const kinds[] = { "END", "BLANK", "TOC", "STMT", "META", "COPY", "COPYEND" };

/*
 * Read input through a reader with buffer size bufsize and describe the
 * items: "KIND@line[:body]" joined by " | ", COPY pieces merged. Also
 * checks that the texts put together give back the input.
 */
static char *
describe(const char *input, size_t bufsize, int *intact)
{
	FILE *f = tmpfile();
	struct sqlr *r;
	struct sql_item it;
	static char out[1 << 16];
	char *back = malloc(strlen(input) + 1);
	size_t blen = 0, olen = 0;
	enum sql_kind last = SQL_END;
	int mid = 0;

	fputs(input, f);
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
		if (it.kind == SQL_META && it.midstmt)
			olen += (size_t)snprintf(out + olen, sizeof(out) - olen, " [mid]");
		if (it.kind == SQL_END)
			break;
	}
	/* A command inside a statement comes out before the statement. */
	*intact = blen == strlen(input) && (mid || memcmp(back, input, blen) == 0);
	free(back);
	sqlr_free(r);
	fclose(f);
	return out;
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
	is_int(sql_set_std_strings("SET standard_conforming_strings = 'off';", 41, true), 0, "SET ... 'off'");
	is_int(sql_set_std_strings("SET standard_conforming_strings TO on;", 37, true), 1, "SET ... TO on");
	is_int(sql_set_std_strings("SET client_encoding = 'UTF8';", 29, true), -1, "another SET");
}

static void
test_quote(void)
{
	char buf[64];

	is_str(sql_quote_ident(buf, "users"), "users", "plain names are bare");
	is_str(sql_quote_ident(buf, "Users"), "\"Users\"", "capitals are quoted");
	is_str(sql_quote_ident(buf, "my table"), "\"my table\"", "spaces are quoted");
	is_str(sql_quote_ident(buf, "a\"b"), "\"a\"\"b\"", "quotes are doubled");
	is_str(sql_quote_ident(buf, "user"), "\"user\"", "reserved words are quoted");
	is_str(sql_quote_ident(buf, "name"), "name", "unreserved keywords are bare");
	is_str(sql_quote_ident(buf, "1a"), "\"1a\"", "a leading digit is quoted");
	is_str(sql_quote_ident(buf, "a$"), "\"a$\"", "a dollar is quoted");
}

int
main(void)
{
	test_split();
	test_meta();
	test_copy();
	test_toc();
	test_stmt();
	test_quote();
	return tap_done();
}
