#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "sqlstmt.h"

static bool
word_start(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c >= 0x80;
}

static bool
word_char(unsigned char c)
{
	return word_start(c) || (c >= '0' && c <= '9') || c == '$';
}

void
sql_lex_init(struct sql_lex *l, const char *p, size_t len, bool std)
{
	l->p = p;
	l->end = p + len;
	l->std = std;
	l->long_name = NULL;
}

/* Skip whitespace and comments. */
static void
skip_blank(struct sql_lex *l)
{
	while (l->p < l->end) {
		unsigned char c = (unsigned char)*l->p;

		if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v') {
			l->p++;
		} else if (c == '-' && l->end - l->p >= 2 && l->p[1] == '-') {
			/* The server's lexer ends a comment at CR as well as LF. */
			while (l->p < l->end && *l->p != '\n' && *l->p != '\r')
				l->p++;
		} else if (c == '/' && l->end - l->p >= 2 && l->p[1] == '*') {
			int depth = 1;

			l->p += 2;
			while (l->p < l->end && depth > 0) {
				if (l->end - l->p >= 2 && l->p[0] == '/' && l->p[1] == '*') {
					depth++;
					l->p += 2;
				} else if (l->end - l->p >= 2 && l->p[0] == '*' && l->p[1] == '/') {
					depth--;
					l->p += 2;
				} else {
					l->p++;
				}
			}
		} else {
			break;
		}
	}
}

/* A quoted string from l->p (at the quote); escapes: backslashes count. */
static void
skip_quoted(struct sql_lex *l, char q, bool escapes)
{
	l->p++;
	while (l->p < l->end) {
		char c = *l->p++;

		if (c == '\\' && escapes) {
			if (l->p < l->end)
				l->p++;
		} else if (c == q) {
			if (l->p < l->end && *l->p == q)
				l->p++;
			else
				return;
		}
	}
}

/* At '$': the length of an opening "$tag$", or 0 when it is not one. */
static size_t
dollar_tag(const char *p, const char *end)
{
	const char *q = p + 1;

	if (q < end && *q != '$' && !word_start((unsigned char)*q))
		return 0;
	while (q < end && *q != '$') {
		if (!word_char((unsigned char)*q) || *q == '$')
			return 0;
		q++;
	}
	return q < end ? (size_t)(q - p) + 1 : 0;
}

enum sql_tok_kind
sql_lex_next(struct sql_lex *l, struct sql_tok *t)
{
	const char *s;
	unsigned char c;

	skip_blank(l);
	s = l->p;
	t->p = s;
	if (l->p >= l->end) {
		t->len = 0;
		return t->kind = TOK_END;
	}
	c = (unsigned char)*l->p;
	if ((c == 'e' || c == 'E') && l->end - l->p >= 2 && l->p[1] == '\'') {
		l->p++;
		skip_quoted(l, '\'', true);
		t->kind = TOK_STRING;
	} else if ((c == 'b' || c == 'B' || c == 'x' || c == 'X') && l->end - l->p >= 2 && l->p[1] == '\'') {
		/* Bit strings: no backslash escapes, whatever the setting. */
		l->p++;
		skip_quoted(l, '\'', false);
		t->kind = TOK_STRING;
	} else if ((c == 'u' || c == 'U') && l->end - l->p >= 3 && l->p[1] == '&' &&
	    (l->p[2] == '\'' || l->p[2] == '"')) {
		/*
		 * U&'...' and U&"...": a backslash never escapes the quote. A
		 * name spelled with Unicode escapes is not taken for a name.
		 */
		l->p += 2;
		skip_quoted(l, *l->p, false);
		t->kind = TOK_STRING;
	} else if (word_start(c)) {
		while (l->p < l->end && word_char((unsigned char)*l->p))
			l->p++;
		t->kind = TOK_WORD;
	} else if (c == '"') {
		skip_quoted(l, '"', false);
		t->kind = TOK_QIDENT;
	} else if (c == '\'') {
		skip_quoted(l, '\'', !l->std);
		t->kind = TOK_STRING;
	} else if (c == '$' && dollar_tag(l->p, l->end) > 0) {
		size_t n = dollar_tag(l->p, l->end);
		const char *q = l->p + n;

		l->p = l->end;
		for (; q + n <= l->end; q++)
			if (memcmp(q, s, n) == 0) {
				l->p = q + n;
				break;
			}
		t->kind = TOK_STRING;
	} else if (c >= '0' && c <= '9') {
		/* A '$' after a number may open a dollar quote, as in the server. */
		while (l->p < l->end && *l->p != '$' && (word_char((unsigned char)*l->p) || *l->p == '.'))
			l->p++;
		t->kind = TOK_NUMBER;
	} else {
		l->p++;
		t->kind = TOK_OP;
	}
	t->len = (size_t)(l->p - s);
	return t->kind;
}

bool
sql_tok_is(const struct sql_tok *t, const char *s)
{
	size_t n = strlen(s);

	if (t->kind == TOK_WORD)
		return t->len == n && strncasecmp(t->p, s, n) == 0;
	if (t->kind == TOK_OP)
		return t->len == 1 && n == 1 && t->p[0] == s[0];
	return false;
}

/* The identifier a token spells, folded or dequoted; false if too long. */
static bool
ident_text(const struct sql_tok *t, char *out)
{
	size_t i, n = 0;

	if (t->kind == TOK_WORD) {
		if (t->len >= SQL_NAME_MAX)
			return false;
		for (i = 0; i < t->len; i++) {
			char c = t->p[i];

			out[n++] = (char)(c >= 'A' && c <= 'Z' ? c + 32 : c);
		}
	} else if (t->kind == TOK_QIDENT) {
		for (i = 1; i + 1 < t->len; i++) {
			if (n + 1 >= SQL_NAME_MAX)
				return false;
			out[n++] = t->p[i];
			if (t->p[i] == '"')
				i++;
		}
	} else {
		return false;
	}
	out[n] = '\0';
	return true;
}

/* Not a name: say so when it is one, only too long. Returns false. */
static bool
too_long(struct sql_lex *l, const struct sql_tok *t)
{
	if ((t->kind == TOK_WORD || t->kind == TOK_QIDENT) && l->long_name)
		*l->long_name = true;
	return false;
}

/* A name: ident [. ident [. ident]]. Leaves l after it. */
static bool
parse_name(struct sql_lex *l, const char *base, struct sql_name *nm)
{
	struct sql_tok t;
	struct sql_lex save;
	char part[3][SQL_NAME_MAX];
	int n = 0;

	sql_lex_next(l, &t);
	if (!ident_text(&t, part[0]))
		return too_long(l, &t);
	nm->start = (size_t)(t.p - base);
	nm->end = nm->start + t.len;
	n = 1;
	while (n < 3) {
		save = *l;
		sql_lex_next(l, &t);
		if (!sql_tok_is(&t, ".")) {
			*l = save;
			break;
		}
		sql_lex_next(l, &t);
		if (!ident_text(&t, part[n]))
			return too_long(l, &t);
		nm->end = (size_t)(t.p + t.len - base);
		n++;
	}
	strcpy(nm->name, part[n - 1]);
	strcpy(nm->schema, n >= 2 ? part[n - 2] : "");
	return true;
}

/* Consume the next token if it is word w. */
static bool
accept(struct sql_lex *l, const char *w)
{
	struct sql_lex save = *l;
	struct sql_tok t;

	sql_lex_next(l, &t);
	if (sql_tok_is(&t, w))
		return true;
	*l = save;
	return false;
}

/* Tokens up to the first word w outside parentheses; true if found. */
static bool
skip_to(struct sql_lex *l, const char *w)
{
	struct sql_tok t;
	int depth = 0;

	while (sql_lex_next(l, &t) != TOK_END) {
		if (sql_tok_is(&t, "("))
			depth++;
		else if (sql_tok_is(&t, ")"))
			depth--;
		else if (depth == 0 && sql_tok_is(&t, w))
			return true;
	}
	return false;
}

bool
sql_insert_rows(const char *p, size_t len, bool std, uint64_t *rows)
{
	struct sql_lex l;
	struct sql_tok t;
	uint64_t n = 0;

	sql_lex_init(&l, p, len, std);
	if (!skip_to(&l, "values"))
		return false;
	for (;;) {
		int depth = 0;

		if (sql_lex_next(&l, &t) != TOK_OP || !sql_tok_is(&t, "("))
			return false;
		depth = 1;
		while (depth > 0) {
			if (sql_lex_next(&l, &t) == TOK_END)
				return false;
			if (sql_tok_is(&t, "("))
				depth++;
			else if (sql_tok_is(&t, ")"))
				depth--;
		}
		n++;
		if (!accept(&l, ","))
			break;
	}
	*rows = n;
	return true;
}

static void
parse_create(struct sql_lex *l, const char *base, struct sql_stmt *s)
{
	bool unique;

	if (accept(l, "or"))
		accept(l, "replace");
	if (!accept(l, "global"))
		accept(l, "local");
	if (!accept(l, "temp") && !accept(l, "temporary"))
		accept(l, "unlogged");
	if (accept(l, "table")) {
		if (accept(l, "if")) {
			accept(l, "not");
			accept(l, "exists");
		}
		if (parse_name(l, base, &s->rel)) {
			struct sql_tok t;

			s->kind = STMT_CREATE_TABLE;
			s->has_rel = true;
			while (skip_to(l, "partition")) {
				sql_lex_next(l, &t);
				if (sql_tok_is(&t, "by"))
					s->partitioned = true;
			}
		}
		return;
	}
	unique = accept(l, "unique");
	if (!accept(l, "index")) {
		if (unique)
			return;
		goto trigger;
	}
	accept(l, "concurrently");
	if (accept(l, "if")) {
		accept(l, "not");
		accept(l, "exists");
	}
	if (!accept(l, "on")) {
		if (!parse_name(l, base, &s->obj) || !accept(l, "on"))
			return;
		s->has_obj = true;
	}
	accept(l, "only");
	if (parse_name(l, base, &s->rel)) {
		s->kind = STMT_CREATE_INDEX;
		s->has_rel = true;
	}
	return;
trigger:
	if (accept(l, "constraint")) {
		if (!accept(l, "trigger"))
			return;
	} else if (!accept(l, "trigger") && !accept(l, "policy")) {
		return;
	}
	if (!parse_name(l, base, &s->obj))
		return;
	s->has_obj = true;
	if (skip_to(l, "on") && parse_name(l, base, &s->rel)) {
		s->kind = STMT_CREATE_TRIGGER;
		s->has_rel = true;
	}
}

static bool
is_owner_to(struct sql_lex l)
{
	struct sql_tok t;

	while (skip_to(&l, "owner")) {
		sql_lex_next(&l, &t);
		if (sql_tok_is(&t, "to"))
			return true;
	}
	return false;
}

void
sql_stmt_parse(const char *p, size_t len, bool std, struct sql_stmt *s)
{
	struct sql_lex l;
	struct sql_tok t;

	memset(s, 0, sizeof(*s));
	sql_lex_init(&l, p, len, std);
	l.long_name = &s->long_name;
	sql_lex_next(&l, &t);
	if (sql_tok_is(&t, "create")) {
		struct sql_lex at = l;

		parse_create(&l, p, s);
		if (s->kind == STMT_CREATE_TRIGGER) {
			/* CREATE POLICY and CREATE TRIGGER look alike from here. */
			sql_lex_next(&at, &t);
			if (sql_tok_is(&t, "policy"))
				s->kind = STMT_CREATE_POLICY;
		}
	} else if (sql_tok_is(&t, "copy")) {
		if (parse_name(&l, p, &s->rel) && skip_to(&l, "from")) {
			sql_lex_next(&l, &t);
			if (sql_tok_is(&t, "stdin")) {
				s->kind = STMT_COPY;
				s->has_rel = true;
			}
		}
	} else if (sql_tok_is(&t, "insert")) {
		if (accept(&l, "into") && parse_name(&l, p, &s->rel)) {
			s->kind = STMT_INSERT;
			s->has_rel = true;
		}
	} else if (sql_tok_is(&t, "alter")) {
		struct sql_lex at = l;

		if (accept(&at, "sequence") && parse_name(&at, p, &s->obj) && accept(&at, "owned") &&
		    accept(&at, "by")) {
			/* [schema.]table.column: the table is all but the last part. */
			struct sql_name col;

			s->has_obj = true;
			if (parse_name(&at, p, &col) && col.schema[0]) {
				struct sql_lex again = l;
				struct sql_tok a;
				char first[SQL_NAME_MAX];
				int parts = 1;

				/* Count the parts: three means a schema is named. */
				accept(&again, "sequence");
				parse_name(&again, p, &s->obj);
				accept(&again, "owned");
				accept(&again, "by");
				sql_lex_next(&again, &a);
				ident_text(&a, first);
				while (accept(&again, ".") && sql_lex_next(&again, &a) != TOK_END)
					parts++;
				strcpy(s->rel.name, col.schema);
				strcpy(s->rel.schema, parts == 3 ? first : "");
				s->rel.start = col.start;
				s->rel.end = col.end;
				s->has_rel = true;
				s->kind = STMT_OWNED_BY;
			}
			return;
		}
		if (accept(&l, "table")) {
			if (accept(&l, "if"))
				accept(&l, "exists");
			accept(&l, "only");
			if (parse_name(&l, p, &s->rel)) {
				s->kind = STMT_ALTER_TABLE;
				s->has_rel = true;
				if (accept(&l, "add") && accept(&l, "constraint") &&
				    parse_name(&l, p, &s->obj))
					s->has_obj = true;
			}
		}
		if (is_owner_to(l))
			s->kind = STMT_OWNER;
	} else if (sql_tok_is(&t, "comment")) {
		if (accept(&l, "on")) {
			if (accept(&l, "table") || accept(&l, "view") || accept(&l, "sequence") ||
			    (accept(&l, "materialized") && accept(&l, "view")) ||
			    (accept(&l, "foreign") && accept(&l, "table"))) {
				if (parse_name(&l, p, &s->rel))
					s->has_rel = true;
			} else if (accept(&l, "column")) {
				struct sql_tok a, b, c;
				char x[SQL_NAME_MAX], y[SQL_NAME_MAX];

				/* rel.col or schema.rel.col */
				sql_lex_next(&l, &a);
				if (ident_text(&a, x) && sql_lex_next(&l, &t) == TOK_OP &&
				    sql_tok_is(&t, ".") && (sql_lex_next(&l, &b), ident_text(&b, y))) {
					struct sql_lex save = l;

					s->rel.start = (size_t)(a.p - p);
					sql_lex_next(&l, &t);
					if (sql_tok_is(&t, ".") && sql_lex_next(&l, &c) != TOK_END) {
						strcpy(s->rel.schema, x);
						strcpy(s->rel.name, y);
						s->rel.end = (size_t)(b.p + b.len - p);
					} else {
						l = save;
						s->rel.schema[0] = '\0';
						strcpy(s->rel.name, x);
						s->rel.end = (size_t)(a.p + a.len - p);
					}
					s->has_rel = true;
				}
			}
		}
		s->kind = STMT_COMMENT;
	} else if (sql_tok_is(&t, "grant") || sql_tok_is(&t, "revoke")) {
		s->kind = STMT_GRANT;
		if (skip_to(&l, "on") && (accept(&l, "table") || accept(&l, "sequence")) &&
		    parse_name(&l, p, &s->rel))
			s->has_rel = true;
	} else if (sql_tok_is(&t, "set") || sql_tok_is(&t, "reset")) {
		if (accept(&l, "session") && accept(&l, "authorization"))
			s->kind = STMT_SESSION_AUTH;
	}
}

bool
sql_is_copy_from_stdin(const char *p, size_t len, bool std)
{
	struct sql_lex l;
	struct sql_tok t;

	sql_lex_init(&l, p, len, std);
	sql_lex_next(&l, &t);
	if (!sql_tok_is(&t, "copy"))
		return false;
	while (skip_to(&l, "from")) {
		sql_lex_next(&l, &t);
		if (sql_tok_is(&t, "stdin"))
			return true;
	}
	return false;
}

/* A boolean as the server reads one: on, off, true, false, yes, no, 1, 0 and their prefixes. */
static int
parse_bool(const char *v, size_t n)
{
	static const char *const yes[] = { "true", "yes" }, *const no[] = { "false", "no" };

	if (n == 0)
		return -1;
	if ((n == 1 && v[0] == '1'))
		return 1;
	if ((n == 1 && v[0] == '0'))
		return 0;
	for (size_t i = 0; i < 2; i++) {
		if (n <= strlen(yes[i]) && strncasecmp(v, yes[i], n) == 0)
			return 1;
		if (n <= strlen(no[i]) && strncasecmp(v, no[i], n) == 0)
			return 0;
	}
	if (n >= 2 && n <= 2 && strncasecmp(v, "on", n) == 0)
		return 1;
	if (n >= 2 && n <= 3 && strncasecmp(v, "off", n) == 0)
		return 0;
	return -1;
}

int
sql_bool(const char *v)
{
	return parse_bool(v, strlen(v));
}

/* The text of a value token: a word, a number or a plain '...' string. */
static bool
value_text(const struct sql_tok *t, char *out, size_t cap)
{
	const char *v = t->p;
	size_t n = t->len, o = 0;

	if (t->kind == TOK_STRING) {
		if (n < 2 || v[0] != '\'')
			return false;
		v++;
		n -= 2;
	} else if (t->kind != TOK_WORD && t->kind != TOK_NUMBER) {
		return false;
	}
	for (size_t i = 0; i < n; i++) {
		if (o + 1 >= cap || v[i] == '\\')
			return false;
		out[o++] = v[i];
		if (v[i] == '\'')
			i++;
	}
	out[o] = '\0';
	return true;
}

static bool
lexer_guc(const char *name)
{
	return strcmp(name, "standard_conforming_strings") == 0 || strcmp(name, "client_encoding") == 0;
}

/* SET [SESSION | LOCAL] name {= | TO} value, or SET NAMES value. */
static enum sql_sets
set_statement(struct sql_lex *l, struct sql_lexset *ls)
{
	struct sql_tok t;
	char name[SQL_NAME_MAX], v[SQL_NAME_MAX];
	bool local = false, names;

	if (accept(l, "local"))
		local = true;
	else
		accept(l, "session");
	sql_lex_next(l, &t);
	if (!ident_text(&t, name))
		return SQL_SETS_NONE;
	names = strcmp(name, "names") == 0;
	if (!names && !lexer_guc(name))
		return SQL_SETS_NONE;
	if (local)
		return SQL_SETS_UNKNOWN;	/* until the end of the transaction */
	if (!names) {
		sql_lex_next(l, &t);
		if (!sql_tok_is(&t, "=") && !sql_tok_is(&t, "to"))
			return SQL_SETS_UNKNOWN;
	}
	sql_lex_next(l, &t);
	if (sql_tok_is(&t, "default") || !value_text(&t, v, sizeof(v)))
		return SQL_SETS_UNKNOWN;
	sql_lex_next(l, &t);
	if (t.kind != TOK_END && !sql_tok_is(&t, ";"))
		return SQL_SETS_UNKNOWN;
	if (names || strcmp(name, "client_encoding") == 0) {
		snprintf(ls->encoding, sizeof(ls->encoding), "%s", v);
		return SQL_SETS_KNOWN;
	}
	if ((ls->std = parse_bool(v, strlen(v))) < 0)
		return SQL_SETS_UNKNOWN;	/* the server refuses it */
	return SQL_SETS_KNOWN;
}

enum sql_sets
sql_lexer_setting(const char *p, size_t len, bool std, struct sql_lexset *ls)
{
	struct sql_lex l;
	struct sql_tok t, prev = { TOK_END, p, 0 };
	char name[SQL_NAME_MAX];

	ls->std = -1;
	ls->encoding[0] = '\0';
	sql_lex_init(&l, p, len, std);
	sql_lex_next(&l, &t);
	if (sql_tok_is(&t, "set"))
		return set_statement(&l, ls);
	if (sql_tok_is(&t, "reset")) {
		sql_lex_next(&l, &t);
		if (!ident_text(&t, name))
			return SQL_SETS_NONE;
		return lexer_guc(name) || strcmp(name, "all") == 0 ? SQL_SETS_UNKNOWN : SQL_SETS_NONE;
	}
	/* set_config('name', ...) anywhere, and UPDATE pg_settings. */
	for (; t.kind != TOK_END; prev = t, sql_lex_next(&l, &t)) {
		if (sql_tok_is(&t, "set_config")) {
			struct sql_lex at = l;
			struct sql_tok a;
			char v[SQL_NAME_MAX];

			if (!accept(&at, "("))
				continue;
			sql_lex_next(&at, &a);
			if (!value_text(&a, v, sizeof(v)) || a.kind != TOK_STRING)
				return SQL_SETS_UNKNOWN;
			for (char *c = v; *c; c++)
				*c = (char)(*c >= 'A' && *c <= 'Z' ? *c + 32 : *c);
			if (lexer_guc(v))
				return SQL_SETS_UNKNOWN;
		} else if (sql_tok_is(&t, "pg_settings") && (sql_tok_is(&prev, "update") ||
		    sql_tok_is(&prev, "only") || sql_tok_is(&prev, "."))) {
			return SQL_SETS_UNKNOWN;
		}
	}
	return SQL_SETS_NONE;
}

bool
sql_encoding_readable(const char *name)
{
	/* Client-only encodings whose second bytes include '\\' and quotes' neighbours. */
	static const char *const unsafe[] = {
		"big5", "gbk", "gb18030", "sjis", "shiftjis", "shiftjis2004", "mskanji", "uhc", "johab",
		"win932", "win936", "win949", "win950", "windows932", "windows936", "windows949",
		"windows950", "cp932", "cp936", "cp949", "cp950",
	};
	char n[32];
	size_t k = 0;

	/* Compared as the server does: case and punctuation aside. */
	for (const char *c = name; *c; c++) {
		if ((*c >= 'a' && *c <= 'z') || (*c >= '0' && *c <= '9')) {
			if (k + 1 >= sizeof(n))
				return true;
			n[k++] = *c;
		} else if (*c >= 'A' && *c <= 'Z') {
			if (k + 1 >= sizeof(n))
				return true;
			n[k++] = (char)(*c + 32);
		}
	}
	n[k] = '\0';
	for (size_t i = 0; i < sizeof(unsafe) / sizeof(unsafe[0]); i++)
		if (strcmp(n, unsafe[i]) == 0)
			return false;
	return true;
}

/* PostgreSQL 15's keywords that are not unreserved: quote_ident quotes them. */
static const char *const reserved[] = {
	"all", "analyse", "analyze", "and", "any", "array", "as", "asc", "asymmetric",
	"authorization", "between", "bigint", "binary", "bit", "boolean", "both", "case",
	"cast", "char", "character", "check", "coalesce", "collate", "collation", "column",
	"concurrently", "constraint", "create", "cross", "current_catalog", "current_date",
	"current_role", "current_schema", "current_time", "current_timestamp",
	"current_user", "dec", "decimal", "default", "deferrable", "desc", "distinct", "do",
	"else", "end", "except", "exists", "extract", "false", "fetch", "float", "for",
	"foreign", "freeze", "from", "full", "grant", "greatest", "group", "grouping",
	"having", "ilike", "in", "initially", "inner", "inout", "int", "integer",
	"intersect", "interval", "into", "is", "isnull", "join", "lateral", "leading",
	"least", "left", "like", "limit", "localtime", "localtimestamp", "national",
	"natural", "nchar", "none", "normalize", "not", "notnull", "null", "nullif",
	"numeric", "offset", "on", "only", "or", "order", "out", "outer", "overlaps",
	"overlay", "placing", "position", "precision", "primary", "real", "references",
	"returning", "right", "row", "select", "session_user", "setof", "similar",
	"smallint", "some", "substring", "symmetric", "table", "tablesample", "then",
	"time", "timestamp", "to", "trailing", "treat", "trim", "true", "union", "unique",
	"user", "using", "values", "varchar", "variadic", "verbose", "when", "where",
	"window", "with", "xmlattributes", "xmlconcat", "xmlelement", "xmlexists",
	"xmlforest", "xmlnamespaces", "xmlparse", "xmlpi", "xmlroot", "xmlserialize",
	"xmltable",
};

static int
cmp_word(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

int
sql_quote_ident(struct strbuf *out, const char *ident)
{
	bool safe = (ident[0] >= 'a' && ident[0] <= 'z') || ident[0] == '_';
	int rc = 0;

	for (const char *c = ident; *c && safe; c++)
		safe = (*c >= 'a' && *c <= 'z') || (*c >= '0' && *c <= '9') || *c == '_';
	if (safe && bsearch(&ident, reserved, sizeof(reserved) / sizeof(reserved[0]),
	    sizeof(reserved[0]), cmp_word) != NULL)
		safe = false;
	if (safe)
		return strbuf_adds(out, ident);
	rc |= strbuf_add(out, "\"", 1);
	for (const char *c = ident; *c; c++) {
		const char *q = strchr(c, '"');
		size_t n = q ? (size_t)(q - c) + 1 : strlen(c);

		rc |= strbuf_add(out, c, n);
		if (q)
			rc |= strbuf_add(out, "\"", 1);
		c += n - 1;
	}
	rc |= strbuf_add(out, "\"", 1);
	return rc ? -1 : 0;
}

int
sql_quote_qualified(struct strbuf *out, const char *schema, const char *name)
{
	if (schema && *schema && (sql_quote_ident(out, schema) != 0 || strbuf_add(out, ".", 1) != 0))
		return -1;
	return sql_quote_ident(out, name);
}

bool
sql_name_ok(const char *name)
{
	return name[0] != '\0' && strlen(name) < SQL_NAME_MAX;
}

bool
sql_routine_args_ok(const char *args)
{
	struct sql_lex l;
	struct sql_tok t;
	int depth = 0;

	/* "(integer, character varying(10), public.mytype[])": names, no more. */
	sql_lex_init(&l, args, strlen(args), true);
	if (sql_lex_next(&l, &t) != TOK_OP || !sql_tok_is(&t, "("))
		return false;
	depth = 1;
	while (depth > 0) {
		switch (sql_lex_next(&l, &t)) {
		case TOK_WORD:
		case TOK_QIDENT:
		case TOK_NUMBER:
			break;
		case TOK_OP:
			if (sql_tok_is(&t, "("))
				depth++;
			else if (sql_tok_is(&t, ")"))
				depth--;
			else if (!sql_tok_is(&t, ",") && !sql_tok_is(&t, ".") && !sql_tok_is(&t, "[") &&
			    !sql_tok_is(&t, "]"))
				return false;
			break;
		default:
			return false;
		}
	}
	/* Nothing after the closing parenthesis, not even a comment. */
	return l.p == l.end;
}

/* Transaction control in the input, under -1: skipped, or refused. */
int
sql_txn_control(const char *p, size_t len)
{
	struct sql_lex l;
	struct sql_tok t;

	sql_lex_init(&l, p, len, true);
	sql_lex_next(&l, &t);
	if (sql_tok_is(&t, "begin") || sql_tok_is(&t, "commit") || sql_tok_is(&t, "end") ||
	    (sql_tok_is(&t, "start") && (sql_lex_next(&l, &t), sql_tok_is(&t, "transaction"))))
		return 1;
	sql_lex_init(&l, p, len, true);
	sql_lex_next(&l, &t);
	if (sql_tok_is(&t, "rollback") || sql_tok_is(&t, "abort") ||
	    (sql_tok_is(&t, "prepare") && (sql_lex_next(&l, &t), sql_tok_is(&t, "transaction"))))
		return -1;
	return 0;
}

