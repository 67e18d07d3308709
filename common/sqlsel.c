#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "sqlsel.h"

/* Wildcards are kept as these bytes, which no name may contain. */
#define ANY '\001'
#define ONE '\002'

int
sqlpat_parse(const char *pattern, struct sqlpat *p, const char **why)
{
	size_t n = strlen(pattern);
	char *part[3], *o;
	int parts = 0;
	bool quoted = false;

	memset(p, 0, sizeof(*p));
	if (n == 0) {
		*why = "empty pattern";
		return -1;
	}
	if ((part[0] = o = malloc(n + 1)) == NULL) {
		*why = "out of memory";
		return -1;
	}
	for (const char *c = pattern; *c; c++) {
		if (*c == '"') {
			if (quoted && c[1] == '"') {
				*o++ = '"';
				c++;
			} else {
				quoted = !quoted;
			}
		} else if (quoted) {
			*o++ = *c;
		} else if (*c == '.') {
			*o++ = '\0';
			if (++parts > 2) {
				free(part[0]);
				*why = "too many dotted names";
				return -1;
			}
			part[parts] = o;
		} else if (*c == '*' || *c == '?') {
			*o++ = *c == '*' ? ANY : ONE;
			p->wild = true;
		} else if (*c == ANY || *c == ONE) {
			free(part[0]);
			*why = "control characters in a pattern";
			return -1;
		} else {
			*o++ = (*c >= 'A' && *c <= 'Z') ? (char)(*c + 32) : *c;
		}
	}
	*o = '\0';
	if (quoted) {
		free(part[0]);
		*why = "unterminated quoted name";
		return -1;
	}
	for (int i = 0; i <= parts; i++)
		if (part[i][0] == '\0') {
			free(part[0]);
			*why = "empty name";
			return -1;
		}
	p->name = strdup(part[parts]);
	p->schema = parts > 0 ? strdup(part[parts - 1]) : NULL;
	free(part[0]);
	if (p->name == NULL || (parts > 0 && p->schema == NULL)) {
		sqlpat_free(p);
		*why = "out of memory";
		return -1;
	}
	return 0;
}

void
sqlpat_free(struct sqlpat *p)
{
	free(p->schema);
	free(p->name);
	p->schema = p->name = NULL;
}

static bool
glob(const char *pat, const char *s)
{
	const char *star = NULL, *resume = NULL;

	while (*s) {
		if (*pat == ONE || (*pat != ANY && *pat == *s)) {
			pat++;
			s++;
		} else if (*pat == ANY) {
			star = pat++;
			resume = s;
		} else if (star) {
			pat = star + 1;
			s = ++resume;
		} else {
			return false;
		}
	}
	while (*pat == ANY)
		pat++;
	return *pat == '\0';
}

bool
sqlpat_match(const struct sqlpat *p, const char *schema, const char *name)
{
	if (p->schema && (schema == NULL || !glob(p->schema, schema)))
		return false;
	return glob(p->name, name);
}

int
sqlsel_add(struct sqlsel *s, int kind, const char *pattern, const char **why)
{
	struct sqlpat p, *np;

	if (sqlpat_parse(pattern, &p, why) != 0)
		return -1;
	if ((kind == SEL_SCHEMA || kind == SEL_XSCHEMA) && p.schema) {
		sqlpat_free(&p);
		*why = "a schema pattern has no dot";
		return -1;
	}
	if ((np = realloc(s->pat[kind], (s->n[kind] + 1) * sizeof(*np))) == NULL) {
		sqlpat_free(&p);
		*why = "out of memory";
		return -1;
	}
	np[s->n[kind]++] = p;
	s->pat[kind] = np;
	return 0;
}

void
sqlsel_free(struct sqlsel *s)
{
	for (int k = 0; k < 4; k++) {
		for (size_t i = 0; i < s->n[k]; i++)
			sqlpat_free(&s->pat[k][i]);
		free(s->pat[k]);
		s->pat[k] = NULL;
		s->n[k] = 0;
	}
}

static bool
any(const struct sqlsel *s, int kind, const char *schema, const char *name)
{
	for (size_t i = 0; i < s->n[kind]; i++)
		if (sqlpat_match(&s->pat[kind][i], schema, name))
			return true;
	return false;
}

bool
sqlsel_schema(const struct sqlsel *s, const char *schema)
{
	if (s->n[SEL_SCHEMA] > 0 && (schema == NULL || !any(s, SEL_SCHEMA, NULL, schema)))
		return false;
	return schema == NULL || !any(s, SEL_XSCHEMA, NULL, schema);
}

bool
sqlsel_table(const struct sqlsel *s, const char *schema, const char *name)
{
	/* As in pg_dump, -n and -N do not apply to tables chosen with -t. */
	if (any(s, SEL_XTABLE, schema, name))
		return false;
	if (s->n[SEL_TABLE] > 0)
		return any(s, SEL_TABLE, schema, name);
	return sqlsel_schema(s, schema);
}

void
sqlsel_option(struct sqlsel *s, int opt, const char *arg)
{
	const char *why;
	int kind = opt == 't' ? SEL_TABLE : opt == 'T' ? SEL_XTABLE : opt == 'n' ? SEL_SCHEMA : SEL_XSCHEMA;

	if (sqlsel_add(s, kind, arg, &why) != 0)
		die(EXIT_USAGE, "-%c %s: %s", opt, arg, why);
}
