/*
 * Row counts per table, for pgcount: from a database, in one snapshot that
 * -j connections share, or from a plain dump read with the SQL reader; and
 * the comparison with a saved count file. A count line is
 * SCHEMA.TABLE<TAB>ROWS, quoted as quote_ident() quotes, sorted bytewise.
 */
#ifndef BKPIPE_COUNTS_H
#define BKPIPE_COUNTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sqlsel.h"

struct count {
	char *name;		/* quoted SCHEMA.TABLE */
	char *schema;		/* raw, for --summary */
	uint64_t rows;
	bool estimate;
};

struct counts {
	struct count *v;
	size_t n, cap;
	/* an open-addressing index into v, for dumps */
	size_t *idx, icap;
};

struct count_opts {
	bool dump, estimate, summary, verbose;
	int jobs;
	const char *expect;
	double tolerance;
	struct sqlsel sel;
};

/* Count what a plain dump on fd (named name) would load. An exit status. */
int counts_from_dump(const struct count_opts *o, int fd, const char *name, struct counts *c);

/* Count the tables of the database conninfo (NULL: PG*, DATABASE_URL). */
int counts_from_db(const struct count_opts *o, const char *conninfo, struct counts *c);

/* Bytewise order of the names, for printing and comparing. */
void counts_sort(struct counts *c);

/* The count lines on standard output. */
void counts_print(const struct counts *c);

/* --expect: print each difference from o->expect; EXIT_DATA when any. c sorted. */
int counts_expect(const struct count_opts *o, const struct counts *c);

/* --summary: schemas, tables and rows on standard error. */
void counts_summary(const struct counts *c);

void counts_free(struct counts *c);

#endif
