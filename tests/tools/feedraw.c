/*
 * feedraw CONNINFO: each line of standard input is one statement, fed as
 * pgfeed -1 feeds a dump (BEGIN, the statements through feed, then COMMIT
 * or ROLLBACK) but without the SQL reader, which would refuse a statement
 * that ends the transaction before it is sent. The bats suites use it to
 * show what the checks of the server's own state catch on their own.
 * Exits as pgfeed would.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "feed.h"
#include "pgconn.h"
#include "restore.h"

int
main(int argc, char *argv[])
{
	struct restore_opts o = { .single = true };
	struct restore r = { .o = &o, .stop = true };
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	uint64_t lineno = 0;
	int st;

	err_init(argv[0]);
	if (argc != 2)
		die(EXIT_USAGE, "usage: feedraw CONNINFO <statements");
	if ((r.conn = pgconn_open(argv[1], &st)) == NULL)
		return st;
	if ((r.feed = feed_new(r.conn, true, true)) == NULL)
		die(EXIT_DATA, "out of memory");
	if (restore_begin(&r) != 0)
		return r.status;
	while ((n = getline(&line, &cap, stdin)) > 0) {
		struct feed_where w = { .line = ++lineno };

		if (line[n - 1] == '\n')
			line[--n] = '\0';
		if (n == 0)
			continue;
		if (feed_stmt(r.feed, line, (size_t)n, &w) != 0) {
			restore_fail(&r, EXIT_DATA);
			break;
		}
	}
	if (r.status == EXIT_OK && feed_drain(r.feed) != 0)
		restore_fail(&r, EXIT_DATA);
	restore_end(&r, false);
	free(line);
	feed_free(r.feed);
	PQfinish(r.conn);
	return r.status;
}
