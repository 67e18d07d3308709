#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "pgconn.h"

/* libpq variables that choose a server or database. */
static const char *const pgvars[] = {
	"PGHOST", "PGHOSTADDR", "PGPORT", "PGDATABASE", "PGUSER", "PGSERVICE", NULL,
};

/* Trim libpq's message to one line per line, without the final newline. */
static void
report_conn(const PGconn *c)
{
	const char *m = PQerrorMessage(c);
	size_t n = strlen(m);

	while (n > 0 && m[n - 1] == '\n')
		n--;
	warn("could not connect: %.*s", (int)n, m);
}

int
pgconn_status(const PGconn *c)
{
	const char *m = PQerrorMessage(c);

	/* The server answered and refused (auth, no such database): it said no. */
	if (strstr(m, "FATAL:") != NULL && strstr(m, "the database system is") == NULL)
		return EXIT_DATA;
	return EXIT_TRANSIENT;
}

/* The server's notices and warnings, as every message: "prog: WARNING: ...". */
static void
notice(void *arg, const char *message)
{
	size_t n = strlen(message);

	(void)arg;
	while (n > 0 && message[n - 1] == '\n')
		n--;
	fprintf(stderr, "%s: %.*s\n", prog, (int)n, message);
}

static PGconn *
connect_params(const char *const *keys, const char *const *vals, int expand, int *status)
{
	PGconn *c = PQconnectdbParams(keys, vals, expand);

	if (c == NULL) {
		warn("out of memory");
		*status = EXIT_DATA;
		return NULL;
	}
	if (PQstatus(c) != CONNECTION_OK) {
		report_conn(c);
		*status = pgconn_status(c);
		PQfinish(c);
		return NULL;
	}
	PQsetNoticeProcessor(c, notice, NULL);
	return c;
}

PGconn *
pgconn_open(const char *conninfo, int *status)
{
	const char *keys[] = { "dbname", "fallback_application_name", NULL };
	const char *vals[] = { conninfo, prog, NULL };

	if (conninfo == NULL) {
		const char *url = getenv("DATABASE_URL");
		bool pg = false;

		for (int i = 0; pgvars[i]; i++)
			if (getenv(pgvars[i]) && *getenv(pgvars[i]))
				pg = true;
		if (!pg && url && *url)
			vals[0] = url;
	}
	return connect_params(keys, vals, 1, status);
}

PGconn *
pgconn_switch(PGconn *old, const char *dbname, int *status)
{
	PQconninfoOption *opts = PQconninfo(old), *o;
	const char **keys, **vals;
	size_t n = 0;
	PGconn *c;

	if (opts == NULL) {
		warn("out of memory");
		*status = EXIT_DATA;
		return NULL;
	}
	for (o = opts; o->keyword; o++)
		n++;
	keys = calloc(n + 2, sizeof(*keys));
	vals = calloc(n + 2, sizeof(*vals));
	if (keys == NULL || vals == NULL) {
		free(keys);
		free(vals);
		PQconninfoFree(opts);
		warn("out of memory");
		*status = EXIT_DATA;
		return NULL;
	}
	n = 0;
	for (o = opts; o->keyword; o++) {
		if (o->val == NULL || strcmp(o->keyword, "dbname") == 0)
			continue;
		keys[n] = o->keyword;
		vals[n++] = o->val;
	}
	keys[n] = "dbname";
	vals[n++] = dbname;
	/* dbname is a name here, never a conninfo string. */
	c = connect_params(keys, vals, 0, status);
	free(keys);
	free(vals);
	PQconninfoFree(opts);
	return c;
}

static void
field(const PGresult *res, int code, const char *label)
{
	const char *v = PQresultErrorField(res, code);

	if (v && *v)
		fprintf(stderr, "%s: %s: %s\n", prog, label, v);
}

void
pgconn_report(const PGresult *res, const char *prefix)
{
	const char *sev = PQresultErrorField(res, PG_DIAG_SEVERITY);
	const char *state = PQresultErrorField(res, PG_DIAG_SQLSTATE);
	const char *msg = PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY);

	if (msg == NULL) {
		const char *m = PQresultErrorMessage(res);
		size_t n = strlen(m);

		while (n > 0 && m[n - 1] == '\n')
			n--;
		fprintf(stderr, "%s: %s: %.*s\n", prog, prefix, (int)n, m);
		return;
	}
	fprintf(stderr, "%s: %s: %s %s: %s\n", prog, prefix, sev ? sev : "ERROR",
	    state ? state : "", msg);
	field(res, PG_DIAG_MESSAGE_DETAIL, "DETAIL");
	field(res, PG_DIAG_MESSAGE_HINT, "HINT");
}
