#include <stdlib.h>
#include <string.h>

#include "sqlmeta.h"
#include "strbuf.h"
#include "units.h"

static bool
space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

static bool
var_char(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	    c == '_' || c >= 0x80;
}

/* A '...' part at *pp (at the quote), psql's escapes undone, into b. */
static int
single_quoted(const char **pp, const char *end, struct strbuf *b, const char **why)
{
	const char *p = *pp + 1;

	for (;;) {
		char c;

		if (p >= end) {
			*why = "a quote that is not closed";
			return -1;
		}
		c = *p++;
		if (c == '\'') {
			if (p < end && *p == '\'') {
				p++;
			} else {
				*pp = p;
				return 0;
			}
		} else if (c == '\\' && p < end) {
			int v = 0, k;

			c = *p++;
			switch (c) {
			case 'n': c = '\n'; break;
			case 't': c = '\t'; break;
			case 'b': c = '\b'; break;
			case 'r': c = '\r'; break;
			case 'f': c = '\f'; break;
			case 'x':
				for (k = 0; k < 2 && p < end && units_hexdigit(*p) >= 0; k++)
					v = v * 16 + units_hexdigit(*p++);
				if (k > 0)
					c = (char)v;
				break;
			default:
				if (c >= '0' && c <= '7') {
					v = c - '0';
					for (k = 1; k < 3 && p < end && *p >= '0' && *p <= '7'; k++)
						v = v * 8 + (*p++ - '0');
					c = (char)v;
				}
				break;
			}
		}
		if (c == '\0') {
			*why = "a NUL byte in an argument";
			return -1;
		}
		if (strbuf_add(b, &c, 1) != 0)
			return -1;
	}
}

/* One argument at *pp (not at whitespace or a backslash), into b. */
static int
argument(const char **pp, const char *end, struct strbuf *b, bool *dquoted, const char **why)
{
	const char *p = *pp;

	while (p < end && !space(*p) && *p != '\\') {
		const char *q;

		switch (*p) {
		case '\'':
			if (single_quoted(&p, end, b, why) != 0)
				return -1;
			continue;
		case '"':
			if ((q = memchr(p + 1, '"', (size_t)(end - p - 1))) == NULL) {
				*why = "a quote that is not closed";
				return -1;
			}
			if (memchr(p, '\0', (size_t)(q - p)) != NULL) {
				*why = "a NUL byte in an argument";
				return -1;
			}
			if (strbuf_add(b, p + 1, (size_t)(q - p - 1)) != 0)
				return -1;
			*dquoted = true;
			p = q + 1;
			continue;
		case '`':
			*why = "a backquote (psql would run a shell command)";
			return -1;
		case ':':
			if (p + 1 < end && (var_char((unsigned char)p[1]) || p[1] == '\'' || p[1] == '"' ||
			    p[1] == '{')) {
				*why = "a variable reference (psql would substitute :name)";
				return -1;
			}
			break;
		case '\0':
			*why = "a NUL byte in an argument";
			return -1;
		}
		if (strbuf_add(b, p, 1) != 0)
			return -1;
		p++;
	}
	*pp = p;
	return 0;
}

int
sql_meta_parse(const char *body, size_t len, struct sql_meta *m, const char **why)
{
	const char *p = body, *end = body + len;

	memset(m, 0, sizeof(*m));
	*why = "out of memory";
	while (p < end && space(*p))
		p++;
	while (p < end) {
		struct sql_meta_cmd *c;

		if (*p != '\\') {
			*why = "text where a meta-command should begin";
			return -1;
		}
		if (p + 1 < end && p[1] == '\\') {
			/* "\\": the rest of the line is SQL. */
			for (p += 2; p < end && space(*p); p++)
				;
			if (p < end) {
				*why = "SQL after \\\\ on a meta-command line";
				return -1;
			}
			break;
		}
		if (m->n == SQL_META_CMDS) {
			*why = "too many meta-commands on one line";
			return -1;
		}
		c = &m->cmd[m->n++];
		c->name = ++p;
		while (p < end && !space(*p) && *p != '\\')
			p++;
		c->name_len = (size_t)(p - c->name);
		for (;;) {
			struct strbuf b = { 0 };
			bool dq = false;

			while (p < end && space(*p))
				p++;
			if (p >= end || *p == '\\')
				break;
			if (c->nargs == SQL_META_ARGS) {
				*why = "too many arguments";
				return -1;
			}
			if (argument(&p, end, &b, &dq, why) != 0 ||
			    (b.p == NULL && strbuf_add(&b, "", 0) != 0)) {
				strbuf_free(&b);
				return -1;
			}
			c->dquoted[c->nargs] = dq;
			c->arg[c->nargs++] = b.p;
		}
	}
	return 0;
}

void
sql_meta_free(struct sql_meta *m)
{
	for (size_t i = 0; i < m->n; i++)
		for (size_t j = 0; j < m->cmd[i].nargs; j++)
			free(m->cmd[i].arg[j]);
	m->n = 0;
}

bool
sql_meta_is(const struct sql_meta_cmd *c, const char *name)
{
	return c->name_len == strlen(name) && memcmp(c->name, name, c->name_len) == 0;
}
