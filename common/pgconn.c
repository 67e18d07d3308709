#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "pgconn.h"
#include "strbuf.h"

/* libpq variables that choose a server or database. */
static const char *const pgvars[] = {
	"PGHOST", "PGHOSTADDR", "PGPORT", "PGDATABASE", "PGUSER", "PGSERVICE", NULL,
};

/* Append msg with every copy of secret (when there is one) replaced. */
static int
replace_all(struct strbuf *out, const char *msg, const char *secret)
{
	size_t sl = secret ? strlen(secret) : 0;
	const char *p = msg, *q;

	while (sl > 0 && (q = strstr(p, secret)) != NULL) {
		if (strbuf_add(out, p, (size_t)(q - p)) != 0 || strbuf_adds(out, "********") != 0)
			return -1;
		p = q + sl;
	}
	return strbuf_adds(out, p);
}

/* The password of a URI's user info, "postgresql://user:PASSWORD@host", malloc'd. */
static char *
uri_password(const char *s)
{
	const char *p = strstr(s, "://"), *end, *at, *colon;

	if (p == NULL)
		return NULL;
	p += 3;
	end = p + strcspn(p, "/?#");
	for (at = NULL; p < end; p++)
		if (*p == '@')
			at = p;
	if (at == NULL)
		return NULL;
	p = strstr(s, "://") + 3;
	if ((colon = memchr(p, ':', (size_t)(at - p))) == NULL || colon + 1 == at)
		return NULL;
	return strndup(colon + 1, (size_t)(at - colon - 1));
}

int
pgconn_redact(struct strbuf *out, const char *msg, const char *conninfo)
{
	char *secret[3] = { NULL, NULL, NULL }, *err = NULL;
	struct strbuf a = { 0 }, b = { 0 };
	PQconninfoOption *opts;
	int rc;

	if (conninfo) {
		/* As libpq read it, and as written when libpq could not read it. */
		if ((opts = PQconninfoParse(conninfo, &err)) != NULL) {
			for (PQconninfoOption *o = opts; o->keyword; o++)
				if (strcmp(o->keyword, "password") == 0 && o->val && *o->val)
					secret[0] = strdup(o->val);
			PQconninfoFree(opts);
		}
		PQfreemem(err);
		secret[1] = uri_password(conninfo);
	}
	secret[2] = uri_password(msg);
	rc = replace_all(&a, msg, secret[0]);
	rc |= replace_all(&b, strbuf_str(&a), secret[1]);
	rc |= replace_all(out, strbuf_str(&b), secret[2]);
	for (int i = 0; i < 3; i++)
		free(secret[i]);
	strbuf_free(&a);
	strbuf_free(&b);
	return rc ? -1 : 0;
}

/* libpq's message without its final newline, and with no password in it. */
static void
report_conn(const PGconn *c, const char *conninfo)
{
	struct strbuf m = { 0 };
	const char *pw = PQpass(c);
	size_t n;

	if (pgconn_redact(&m, PQerrorMessage(c), conninfo) != 0) {
		warn("could not connect (and out of memory)");
		strbuf_free(&m);
		return;
	}
	if (pw && *pw) {
		struct strbuf m2 = { 0 };

		replace_all(&m2, strbuf_str(&m), pw);
		strbuf_free(&m);
		m = m2;
	}
	n = m.len;
	while (n > 0 && m.p[n - 1] == '\n')
		n--;
	warn("could not connect: %.*s", (int)n, strbuf_str(&m));
	strbuf_free(&m);
}

int
pgconn_uint(const char *s, uint64_t *v)
{
	uint64_t n = 0;

	if (s == NULL || *s == '\0')
		return -1;
	for (; *s; s++) {
		if (*s < '0' || *s > '9' || n > (UINT64_MAX - (uint64_t)(*s - '0')) / 10)
			return -1;
		n = n * 10 + (uint64_t)(*s - '0');
	}
	*v = n;
	return 0;
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
connect_params(const char *const *keys, const char *const *vals, int expand, const char *conninfo,
    int *status)
{
	PGconn *c = PQconnectdbParams(keys, vals, expand);

	if (c == NULL) {
		warn("out of memory");
		*status = EXIT_DATA;
		return NULL;
	}
	if (PQstatus(c) != CONNECTION_OK) {
		report_conn(c, conninfo);
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
	return connect_params(keys, vals, 1, vals[0], status);
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
	c = connect_params(keys, vals, 0, NULL, status);
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
