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

struct sqlpat {
	char *schema;		/* NULL: any schema */
	char *name;
	bool wild;		/* has a wildcard */
};

struct sqlsel {
	struct sqlpat *pat[4];	/* by kind: -t, -T, -n, -N */
	size_t n[4];
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

#endif
