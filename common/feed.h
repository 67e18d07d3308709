/*
 * Running a stream of statements in a PostgreSQL session, fast and with
 * exact error attribution. Ordinary statements go out in libpq pipeline
 * mode, many per round trip; each keeps its own place in the input, so an
 * error names the statement that failed. Without a surrounding transaction
 * a batch runs as one implicit transaction; when one of its statements
 * fails, the statements before it are run again one by one, so the
 * database ends as it would have under psql. Statements that cannot run in
 * a transaction block, and COPY, run alone outside the pipeline.
 */
#ifndef BKPIPE_FEED_H
#define BKPIPE_FEED_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <libpq-fe.h>

/* Where a statement came from, for its error message. */
struct feed_where {
	uint64_t line;
	char entry[240];	/* "TABLE DATA public.users", or "" (cut to fit) */
	bool sets;		/* may change how the input is read: the caller resyncs */
};

struct feed;

/*
 * stop: the first error stops the run (ON_ERROR_STOP); in_txn: the session
 * is inside BEGIN (-1), so nothing commits before the end.
 */
struct feed *feed_new(PGconn *c, bool stop, bool in_txn);
void feed_free(struct feed *f);

/* psql's \set ON_ERROR_STOP: drains, then stops (or not) at errors. */
int feed_set_stop(struct feed *f, bool stop);

/* Change the connection (\connect); everything queued must be drained. */
void feed_set_conn(struct feed *f, PGconn *c);

/*
 * Queue one statement. Returns 0, or -1 when an error stopped the run
 * (reported) or the connection was lost (feed_lost() says so).
 */
int feed_stmt(struct feed *f, const char *sql, size_t len, const struct feed_where *w);

/* Run everything queued and collect the results. 0 or -1 as above. */
int feed_drain(struct feed *f);

/*
 * COPY ... FROM stdin: start it (draining first), send data, end it. The
 * data's first input line is data_line, for errors in a row. end with
 * abort set to a reason fails the COPY on purpose. feed_copy_end stores
 * the number of rows loaded.
 */
int feed_copy_begin(struct feed *f, const char *sql, size_t len, const struct feed_where *w,
    uint64_t data_line);
int feed_copy_data(struct feed *f, const char *p, size_t n);
int feed_copy_end(struct feed *f, const char *abort, uint64_t *rows);

/* Run one statement alone, outside the pipeline, and wait for it. */
int feed_exec(struct feed *f, const char *sql, const struct feed_where *w);

/*
 * What the reader was told the server's standard_conforming_strings and
 * client_encoding are. From then on a statement (other than one whose
 * feed_where says it sets them) that changes either stops the run.
 */
void feed_set_lexer(struct feed *f, bool std, const char *encoding);

/*
 * Under in_txn: where the single transaction was ended by a statement of
 * the input (how: "COMMIT", "ROLLBACK", or "" when only the server's
 * transaction state told), or NULL when it was not.
 */
const struct feed_where *feed_txn_ended(const struct feed *f, const char **how);

unsigned long feed_errors(const struct feed *f);
unsigned long feed_statements(const struct feed *f);
bool feed_lost(const struct feed *f);

#endif
