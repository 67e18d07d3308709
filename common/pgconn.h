/*
 * Connections for the PostgreSQL tools: a conninfo string or URI when one is
 * given; else libpq's PG* variables; else DATABASE_URL. application_name
 * defaults to the program's name. Failures are told apart for the exit
 * status: the server said no (1) or it could not be reached (3).
 */
#ifndef BKPIPE_PGCONN_H
#define BKPIPE_PGCONN_H

#include <stdint.h>

#include <libpq-fe.h>

#include "strbuf.h"

/* NULL on failure, with the reason reported and *status set. */
PGconn *pgconn_open(const char *conninfo, int *status);

/* The same server and parameters, another database (psql's \connect). */
PGconn *pgconn_switch(PGconn *old, const char *dbname, int *status);

/* Print a server error: "prefix: ERROR 23505: message" and DETAIL, HINT. */
void pgconn_report(const PGresult *res, const char *prefix);

/*
 * Append msg with the password of conninfo, and any password in a URI
 * written in msg, replaced by asterisks: libpq quotes a conninfo string it
 * cannot parse. 0, or -1 when out of memory.
 */
int pgconn_redact(struct strbuf *out, const char *msg, const char *conninfo);

/* A count or size the server sent: decimal digits only, within 64 bits. 0 or -1. */
int pgconn_uint(const char *s, uint64_t *v);

/* The exit status for a broken connection or a failed connect. */
int pgconn_status(const PGconn *c);

#endif
