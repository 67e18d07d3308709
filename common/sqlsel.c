#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "sqlsel.h"
#include "sqlstmt.h"

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

static bool
in(const char *const *set, const char *s)
{
	for (; *set; set++)
		if (strcmp(*set, s) == 0)
			return true;
	return false;
}

/* Entries that are a relation: chosen by -t by their own name. */
static const char *const rel_types[] = {
	"TABLE", "TABLE DATA", "VIEW", "MATERIALIZED VIEW", "MATERIALIZED VIEW DATA",
	"SEQUENCE", "SEQUENCE SET", "FOREIGN TABLE", NULL,
};

/* Entries that hang off a table: with -t, --with-indexes brings them along. */
static const char *const dep_types[] = {
	"INDEX", "INDEX ATTACH", "CONSTRAINT", "FK CONSTRAINT", "CHECK CONSTRAINT", "TRIGGER",
	"DEFAULT", "POLICY", "ROW SECURITY", "RULE", "COMMENT", "ACL", "TABLE ATTACH", NULL,
};

static const char *const data_types[] = {
	"TABLE DATA", "SEQUENCE SET", "BLOBS", "BLOB DATA", "LARGE OBJECTS", NULL,
};

static const char *const post_types[] = {
	"INDEX", "INDEX ATTACH", "CONSTRAINT", "FK CONSTRAINT", "CHECK CONSTRAINT", "TRIGGER",
	"EVENT TRIGGER", "RULE", "POLICY", "ROW SECURITY", "MATERIALIZED VIEW DATA",
	"PUBLICATION", "PUBLICATION TABLE", "PUBLICATION TABLES IN SCHEMA", "SUBSCRIPTION",
	"STATISTICS", NULL,
};

/* Comments, grants and security labels: entries about another object. */
static bool
is_note(const struct sql_toc *t)
{
	return strcmp(t->type, "COMMENT") == 0 || strcmp(t->type, "ACL") == 0 ||
	    strcmp(t->type, "SECURITY LABEL") == 0;
}

int
sqlsel_section(const struct sql_toc *t)
{
	static const char *const post_objs[] = { "INDEX ", "CONSTRAINT ", "TRIGGER ", "POLICY ", "RULE ", NULL };

	if (in(data_types, t->type))
		return SQLSEL_DATA;
	if (in(post_types, t->type) || strcmp(t->type, "DEFAULT ACL") == 0)
		return SQLSEL_POST;
	if (is_note(t))
		for (const char *const *p = post_objs; *p; p++)
			if (strncmp(t->name, *p, strlen(*p)) == 0)
				return SQLSEL_POST;
	return SQLSEL_PRE;
}

/* A large object's creation, or a comment or grant on one. */
static bool
is_blob(const struct sql_toc *t)
{
	return strcmp(t->type, "BLOB") == 0 || strcmp(t->type, "LARGE OBJECT") == 0 ||
	    (is_note(t) && strncmp(t->name, "LARGE OBJECT ", 13) == 0);
}

bool
sqlsel_entry(const struct sqlsel *o, const struct sql_toc *t, const struct sql_name *rel)
{
	const char *schema;

	if (t == NULL || strcmp(t->type, "-") == 0)
		return true;		/* the preamble, or a setting outside the entries */
	/*
	 * Large objects are created in pre-data, but pg_restore -a creates
	 * them (their data needs them) and -s leaves them out.
	 */
	if (is_blob(t) && (o->data_only || o->schema_only))
		return o->data_only && o->n[SEL_TABLE] == 0 && o->n[SEL_SCHEMA] == 0;
	if (!(o->sections & sqlsel_section(t)))
		return false;
	if (o->no_acl && (strcmp(t->type, "ACL") == 0 || strcmp(t->type, "DEFAULT ACL") == 0))
		return false;
	schema = rel && rel->schema[0] ? rel->schema : t->schema;
	if (in(rel_types, t->type))
		return sqlsel_table(o, schema, rel ? rel->name : t->name);
	if (o->n[SEL_TABLE] > 0) {
		/* Comments and grants follow their table, as with pg_restore -t. */
		if (is_note(t) && rel)
			return sqlsel_table(o, schema, rel->name);
		return o->with_indexes && rel != NULL && in(dep_types, t->type) &&
		    sqlsel_table(o, schema, rel->name);
	}
	if (rel && in(dep_types, t->type) && !sqlsel_table(o, schema, rel->name))
		return false;
	/* As pg_restore: -n takes the objects of the schema, not the schema
	 * itself, and -N leaves the schema itself in. */
	if (strcmp(t->type, "SCHEMA") == 0 || (is_note(t) && strncmp(t->name, "SCHEMA ", 7) == 0))
		return o->n[SEL_SCHEMA] == 0;
	if (o->n[SEL_SCHEMA] > 0 || o->n[SEL_XSCHEMA] > 0)
		return strcmp(t->schema, "-") == 0 ? o->n[SEL_SCHEMA] == 0 :
		    sqlsel_schema(o, t->schema);
	return true;
}

bool
sqlsel_relation(const char *type)
{
	return in(rel_types, type);
}
