/*
 * A restore of a plain dump, statement by statement: choosing what runs
 * (-t, -n, sections, --with-indexes), renaming one table (--into), what
 * --clean, --truncate and --disable-triggers add, psql's meta-commands, and
 * running the result through feed (or writing it, --emit). pgfeed sets up
 * the options, the connection and the reader, and calls restore_run.
 */
#ifndef BKPIPE_RESTORE_H
#define BKPIPE_RESTORE_H

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include <libpq-fe.h>

#include "feed.h"
#include "sqlread.h"
#include "sqlsel.h"
#include "sqlmeta.h"
#include "sqlstmt.h"
#include "strbuf.h"

struct restore_opts {
	const char *file, *conninfo;
	bool single, cont, list, emit, verbose, progress;
	bool truncate, disable_triggers, no_owner, clean;
	bool allow_empty;		/* input without a statement is not an error */
	bool fk_not_valid;		/* foreign keys added NOT VALID, then validated */
	bool selective;			/* any of the options that choose */
	struct sqlsel sel;		/* with its sections, -x and --with-indexes */
	struct sqlpat into;
	bool has_into;
};

/* A statement held back, and the text --emit writes for it. */
struct held {
	char *text;
	size_t len, body;	/* the statement starts at text + body */
	struct feed_where w;
};

struct seqname {
	char schema[SQL_NAME_MAX], name[SQL_NAME_MAX];
};

/* The state of a restore. */
struct restore {
	struct restore_opts *o;
	struct sqlr *rd;
	PGconn *conn;
	struct feed *feed;
	FILE *out;			/* --emit */
	bool out_mid;			/* what was written ends inside a line */
	/* the current entry */
	const struct sql_toc *toc;
	unsigned toc_id;
	bool entry_sel;			/* the entry's last decision */
	bool entry_began;		/* a statement of it was selected */
	char *toc_text;			/* --emit: its comment, until then */
	size_t toc_len;
	struct strbuf target;		/* the entry's table, quoted */
	bool triggers_off;
	/* --into */
	char src_schema[SQL_NAME_MAX], src_name[SQL_NAME_MAX];
	bool have_src;
	/* -t --with-indexes: a SEQUENCE entry held until its owner is known */
	bool holding;
	struct held *held;
	size_t nheld, held_bytes;
	struct seqname *seqs;		/* sequences that came with their tables */
	size_t nseqs;
	/* --fk-not-valid: the foreign keys added so, "TABLE\tCONSTRAINT" quoted */
	char **fks;
	size_t nfks;
	/* meta-commands */
	char *restrict_key;
	void (*reconnected)(PGconn *c);	/* \\connect: NULL before, the new one after */
	bool stop;			/* ON_ERROR_STOP */
	/* tallies */
	unsigned long entries, copies, tables;
	uint64_t rows, sent_rows;
	double t0;
	int status;
};

/* The worse of the run's status and status. */
void restore_fail(struct restore *r, int status);

/*
 * Read r->rd to its end: each item chosen, run or written; then the checks
 * of the end (truncation, COPY data cut short, -t that matched nothing).
 * Stops early when *interrupted is set. Returns 0, or -1 when it stopped;
 * r->status says how it went.
 */
int restore_run(struct restore *r, const char *name, int64_t size, volatile sig_atomic_t *interrupted);

/* -1: BEGIN, before restore_run. 0, or -1 with r->status set. */
int restore_begin(struct restore *r);

/*
 * -1: after restore_run, COMMIT when everything went well and ROLLBACK
 * otherwise, saying which. When the input ended the transaction itself,
 * it says so and claims no rollback: that is an error (r->status).
 */
/*
 * After a restore that succeeded (not interrupted, no statement failed)
 * with --fk-not-valid: VALIDATE CONSTRAINT each foreign key added NOT
 * VALID; one that fails stays NOT VALID, with a warning that counts the
 * rows that reference nothing, and a last line that says how many. The
 * number of foreign keys left NOT VALID.
 */
unsigned long restore_validate_fks(struct restore *r, bool interrupted);

void restore_end(struct restore *r, bool interrupted);

/* -l: the table of contents of rd, one line per entry. An exit status. */
int restore_list(struct sqlr *rd, const char *name);

/* -v: entries, statements, COPY rows and time on standard error. */
void restore_summary(const struct restore *r);

/* Free what the restore holds (not its connection, feed or reader). */
void restore_free(struct restore *r);

#endif
