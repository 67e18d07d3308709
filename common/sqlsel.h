/*
 * Which tables and schemas a run is about: the -t/-T/-n/-N patterns that
 * pgfeed and pgcount share, with pg_dump's pattern rules. A pattern is
 * [SCHEMA.]NAME; outside double quotes letters fold to lower case and * and
 * ? are wildcards; inside them everything is literal ("" is a quote).
 */
#ifndef BKPIPE_SQLSEL_H
#define BKPIPE_SQLSEL_H

#include <stdbool.h>
#include <stddef.h>

#include "sqlread.h"
#include "sqlstmt.h"

struct sqlpat {
	char *schema;		/* NULL: any schema */
	char *name;
	bool wild;		/* has a wildcard */
};

enum { SQLSEL_PRE = 1, SQLSEL_DATA = 2, SQLSEL_POST = 4, SQLSEL_ALL = 7 };

struct sqlsel {
	struct sqlpat *pat[4];	/* by kind: -t, -T, -n, -N */
	size_t n[4];
	/* for choosing the entries of a dump */
	int sections;		/* SQLSEL_* */
	bool data_only, schema_only;	/* -a, -s: they also decide large objects */
	bool no_acl;		/* leave out GRANT and REVOKE entries */
	bool with_indexes;	/* with -t: the table's dependent entries too */
};

enum { SEL_TABLE, SEL_XTABLE, SEL_SCHEMA, SEL_XSCHEMA };

/* Add a pattern of kind SEL_*; 0, or -1 with *why set. */
int sqlsel_add(struct sqlsel *s, int kind, const char *pattern, const char **why);
void sqlsel_free(struct sqlsel *s);

/* For getopt: -t, -T, -n or -N with its argument; exits 2 on a bad pattern. */
void sqlsel_option(struct sqlsel *s, int opt, const char *arg);

/* Parse pattern into p (also used for plain names such as --into). */
int sqlpat_parse(const char *pattern, struct sqlpat *p, const char **why);
void sqlpat_free(struct sqlpat *p);

bool sqlpat_match(const struct sqlpat *p, const char *schema, const char *name);

/* A table passes the patterns (as in pg_dump, -n/-N do not apply with -t). */
bool sqlsel_table(const struct sqlsel *s, const char *schema, const char *name);

/* An object in schema passes the schema patterns (-n, -N). */
bool sqlsel_schema(const struct sqlsel *s, const char *schema);

/* pre-data, data or post-data, as pg_dump assigns entries of this type. */
int sqlsel_section(const struct sql_toc *t);

/* A relation entry (TABLE, VIEW, SEQUENCE, ...): -t chooses it by name. */
bool sqlsel_relation(const char *type);

/*
 * Whether a statement of entry t (about table rel, when the statement names
 * one) is chosen. t NULL, or of type "-": outside the entries; always.
 * -t works as pg_restore -t, adding dependents with with_indexes.
 */
bool sqlsel_entry(const struct sqlsel *s, const struct sql_toc *t, const struct sql_name *rel);

#endif
