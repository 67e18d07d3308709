#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "counts.h"
#include "err.h"
#include "pgconn.h"
#include "sqlread.h"
#include "sqlstmt.h"

static uint64_t
hash(const char *s)
{
	uint64_t h = 1469598103934665603ULL;

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ULL;
	return h;
}

static void
index_rebuild(struct counts *c)
{
	size_t cap = c->icap ? c->icap * 2 : 1024;

	free(c->idx);
	if ((c->idx = malloc(cap * sizeof(*c->idx))) == NULL)
		die(EXIT_DATA, "out of memory");
	c->icap = cap;
	for (size_t i = 0; i < cap; i++)
		c->idx[i] = SIZE_MAX;
	for (size_t i = 0; i < c->n; i++) {
		size_t h = (size_t)hash(c->v[i].name) & (cap - 1);

		while (c->idx[h] != SIZE_MAX)
			h = (h + 1) & (cap - 1);
		c->idx[h] = i;
	}
}

/* The entry for name, added with 0 rows when new. */
static struct count *
counts_get(struct counts *c, const char *name, const char *schema)
{
	size_t h;

	if (c->n * 2 >= c->icap)
		index_rebuild(c);
	h = (size_t)hash(name) & (c->icap - 1);
	while (c->idx[h] != SIZE_MAX) {
		if (strcmp(c->v[c->idx[h]].name, name) == 0)
			return &c->v[c->idx[h]];
		h = (h + 1) & (c->icap - 1);
	}
	if (c->n == c->cap) {
		size_t cap = c->cap ? c->cap * 2 : 256;
		struct count *v = realloc(c->v, cap * sizeof(*v));

		if (v == NULL)
			die(EXIT_DATA, "out of memory");
		c->v = v;
		c->cap = cap;
	}
	c->idx[h] = c->n;
	c->v[c->n] = (struct count){ strdup(name), strdup(schema), 0, false };
	if (c->v[c->n].name == NULL || c->v[c->n].schema == NULL)
		die(EXIT_DATA, "out of memory");
	return &c->v[c->n++];
}

void
counts_free(struct counts *c)
{
	for (size_t i = 0; i < c->n; i++) {
		free(c->v[i].name);
		free(c->v[i].schema);
	}
	free(c->v);
	free(c->idx);
}

static int
by_name(const void *a, const void *b)
{
	return strcmp(((const struct count *)a)->name, ((const struct count *)b)->name);
}

/* --dump: count what a plain dump would load. */
int
counts_from_dump(const struct count_opts *o, int fd, const char *name, struct counts *c)
{
	struct sqlr *r = sqlr_new(fd, 0);
	struct sql_item it;
	struct count *cur = NULL;
	const char *why;
	char msg[256];
	int notsql;
	struct strbuf q = { 0 };
	int status = EXIT_OK;

	if (r == NULL)
		die(EXIT_DATA, "out of memory");
	if ((notsql = sqlr_not_sql(r, &why, msg, sizeof(msg))) < 0)
		die(EXIT_DATA, "%s: read error:", name);
	if (notsql) {
		warn("%s: %s", name, why);
		sqlr_free(r);
		return EXIT_USAGE;
	}
	for (;;) {
		struct sql_stmt st;
		const char *schema;

		if (sqlr_next(r, &it) != 0)
			die(EXIT_DATA, "%s: read error:", name);
		if (it.kind == SQL_END)
			break;
		if ((why = sqlr_problem(r, &it, false)) != NULL) {
			warn("%s: line %llu: %s", name, (unsigned long long)it.start_line, why);
			status = EXIT_DATA;
			goto out;
		}
		if (it.kind == SQL_COPY_DATA) {
			if (cur)
				cur->rows += it.rows;
			continue;
		}
		if (it.kind == SQL_COPY_END) {
			cur = NULL;
			continue;
		}
		if (it.kind != SQL_STMT || it.incomplete)
			continue;
		/* Only CREATE TABLE, COPY and INSERT matter: a cheap look first. */
		if (strchr("cCiI", it.body[0]) == NULL)
			continue;
		sql_stmt_parse(it.body, it.body_len, sqlr_std_strings(r), &st);
		if (st.long_name) {
			warn("%s: line %llu: a name longer than %d bytes: not a PostgreSQL name",
			    name, (unsigned long long)it.start_line, SQL_NAME_MAX - 1);
			status = EXIT_DATA;
			goto out;
		}
		if (st.kind != STMT_CREATE_TABLE && st.kind != STMT_COPY && st.kind != STMT_INSERT)
			continue;
		schema = st.rel.schema[0] ? st.rel.schema :
		    it.toc && strcmp(it.toc->schema, "-") ? it.toc->schema : "public";
		if (!sqlsel_table(&o->sel, schema, st.rel.name))
			continue;
		if (st.kind == STMT_CREATE_TABLE && st.partitioned)
			continue;	/* its rows live in its partitions */
		if (!sql_name_ok(schema)) {
			warn("%s: line %llu: the entry's schema name is empty or longer than %d bytes: not a PostgreSQL name",
			    name, (unsigned long long)it.start_line, SQL_NAME_MAX - 1);
			status = EXIT_DATA;
			goto out;
		}
		q.len = 0;
		if (sql_quote_qualified(&q, schema, st.rel.name) != 0)
			die(EXIT_DATA, "out of memory");
		cur = counts_get(c, q.p, schema);
		if (st.kind == STMT_INSERT) {
			uint64_t rows;

			cur->rows += sql_insert_rows(it.body, it.body_len, sqlr_std_strings(r), &rows) ? rows : 1;
		}
		if (st.kind != STMT_COPY)
			cur = NULL;
	}
	if (sqlr_truncated(r)) {
		warn("%s: the dump is truncated: no \"%s\" trailer after line %llu", name,
		    sqlr_missing_trailer(r), (unsigned long long)sqlr_framing(r)->last_line);
		status = EXIT_DATA;
	} else if (sqlr_statements(r) == 0) {
		warn("%s: no SQL statement in the input: an empty or failed dump is not 0 tables", name);
		status = EXIT_DATA;
	}
out:
	strbuf_free(&q);
	sqlr_free(r);
	return status;
}

static PGresult *
exec_ok(PGconn *conn, const char *sql, ExecStatusType want)
{
	PGresult *res = PQexecParams(conn, sql, 0, NULL, NULL, NULL, NULL, 0);

	if (PQresultStatus(res) != want) {
		pgconn_report(res, sql);
		PQclear(res);
		return NULL;
	}
	return res;
}

/* Start a REPEATABLE READ, READ ONLY transaction, on snapshot when given. */
static int
begin(PGconn *conn, const char *snapshot)
{
	PGresult *res = exec_ok(conn, "BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY", PGRES_COMMAND_OK);
	char sql[128];

	if (res == NULL)
		return -1;
	PQclear(res);
	if (snapshot == NULL)
		return 0;
	/* The server's name for it, "00000003-0000001B-1": checked before it goes into SQL. */
	if (strlen(snapshot) > 64 || strspn(snapshot, "0123456789ABCDEFabcdef-") != strlen(snapshot)) {
		warn("the server's snapshot name is not one: refusing to use it");
		return -1;
	}
	snprintf(sql, sizeof(sql), "SET TRANSACTION SNAPSHOT '%s'", snapshot);
	if ((res = exec_ok(conn, sql, PGRES_COMMAND_OK)) == NULL)
		return -1;
	PQclear(res);
	return 0;
}

/* The tables whose data pg_dump dumps: ordinary tables and leaf partitions. */
static const char tables_sql[] =
"SELECT n.nspname, c.relname, greatest(c.reltuples, 0)::bigint"
" FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace"
" WHERE c.relkind = 'r' AND c.relpersistence <> 't'"
" AND n.nspname <> 'information_schema' AND n.nspname !~ '^pg_'"
" AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend d"
"   WHERE d.classid = 'pg_catalog.pg_class'::pg_catalog.regclass AND d.objid = c.oid"
"   AND d.deptype = 'e')";

/* Count every table in c with the connections in conns, one query each at a time. */
static int
count_tables(PGconn **conns, int nconn, struct counts *c)
{
	size_t next = 0, done = 0;
	size_t *busy = calloc((size_t)nconn, sizeof(*busy));
	struct pollfd *pfd = calloc((size_t)nconn, sizeof(*pfd));
	int status = EXIT_OK;

	if (busy == NULL || pfd == NULL)
		die(EXIT_DATA, "out of memory");
	for (int i = 0; i < nconn; i++)
		busy[i] = SIZE_MAX;
	while (done < c->n && status == EXIT_OK) {
		int np = 0;

		for (int i = 0; i < nconn; i++) {
			if (busy[i] == SIZE_MAX && next < c->n) {
				struct strbuf sql = { 0 };
				int sent;

				if (strbuf_addf(&sql, "SELECT count(*) FROM ONLY %s", c->v[next].name) != 0)
					die(EXIT_DATA, "out of memory");
				sent = PQsendQueryParams(conns[i], sql.p, 0, NULL, NULL, NULL, NULL, 0);
				strbuf_free(&sql);
				if (!sent) {
					warn("%s", PQerrorMessage(conns[i]));
					status = pgconn_status(conns[i]);
					break;
				}
				busy[i] = next++;
			}
			if (busy[i] != SIZE_MAX) {
				pfd[np].fd = PQsocket(conns[i]);
				pfd[np].events = POLLIN;
				np++;
			}
		}
		if (status != EXIT_OK || np == 0)
			break;
		if (poll(pfd, (nfds_t)np, -1) < 0 && errno != EINTR)
			die(EXIT_DATA, "poll:");
		for (int i = 0; i < nconn; i++) {
			PGresult *res;

			if (busy[i] == SIZE_MAX)
				continue;
			if (!PQconsumeInput(conns[i])) {
				warn("connection lost: %s", PQerrorMessage(conns[i]));
				status = EXIT_TRANSIENT;
				break;
			}
			if (PQisBusy(conns[i]))
				continue;
			while ((res = PQgetResult(conns[i])) != NULL) {
				if (PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) == 1 &&
				    pgconn_uint(PQgetvalue(res, 0, 0), &c->v[busy[i]].rows) == 0) {
				} else if (status == EXIT_OK) {
					pgconn_report(res, c->v[busy[i]].name);
					status = EXIT_DATA;
				}
				PQclear(res);
			}
			busy[i] = SIZE_MAX;
			done++;
		}
	}
	free(busy);
	free(pfd);
	return status;
}

int
counts_from_db(const struct count_opts *o, const char *conninfo, struct counts *c)
{
	PGconn **conns = calloc((size_t)o->jobs, sizeof(*conns));
	PGresult *res;
	char *snapshot = NULL;
	int status = EXIT_OK, st;

	if (conns == NULL)
		die(EXIT_DATA, "out of memory");
	if ((conns[0] = pgconn_open(conninfo, &st)) == NULL) {
		free(conns);
		return st;
	}
	if (begin(conns[0], NULL) != 0) {
		status = EXIT_DATA;
		goto out;
	}
	if ((res = exec_ok(conns[0], tables_sql, PGRES_TUPLES_OK)) == NULL) {
		status = EXIT_DATA;
		goto out;
	}
	for (int i = 0; i < PQntuples(res); i++) {
		const char *schema = PQgetvalue(res, i, 0), *table = PQgetvalue(res, i, 1);
		struct strbuf q = { 0 };
		struct count *x;

		if (!sql_name_ok(schema) || !sql_name_ok(table) || !sqlsel_table(&o->sel, schema, table))
			continue;
		if (sql_quote_qualified(&q, schema, table) != 0)
			die(EXIT_DATA, "out of memory");
		x = counts_get(c, q.p, schema);
		strbuf_free(&q);
		if (pgconn_uint(PQgetvalue(res, i, 2), &x->rows) != 0) {
			warn("the server's estimate for %s is not a number", x->name);
			status = EXIT_DATA;
			PQclear(res);
			goto out;
		}
		x->estimate = o->estimate;
	}
	PQclear(res);
	if (o->estimate)
		goto out;
	if (o->jobs > 1) {
		if ((res = exec_ok(conns[0], "SELECT pg_catalog.pg_export_snapshot()", PGRES_TUPLES_OK)) == NULL) {
			status = EXIT_DATA;
			goto out;
		}
		snapshot = strdup(PQgetvalue(res, 0, 0));
		PQclear(res);
		for (int i = 1; i < o->jobs; i++) {
			if ((conns[i] = pgconn_open(conninfo, &st)) == NULL) {
				status = st;
				goto out;
			}
			if (begin(conns[i], snapshot) != 0) {
				status = EXIT_DATA;
				goto out;
			}
		}
	}
	if (o->verbose)
		warn("counting %zu tables with %d connection%s", c->n, o->jobs, o->jobs == 1 ? "" : "s");
	status = count_tables(conns, o->jobs, c);
out:
	for (int i = 0; i < o->jobs; i++)
		if (conns[i])
			PQfinish(conns[i]);
	free(conns);
	free(snapshot);
	return status;
}

static bool
differs(uint64_t want, uint64_t got, double tolerance)
{
	double d = want > got ? (double)(want - got) : (double)(got - want);

	return d > (double)want * tolerance / 100.0;
}

/* --expect: print the differences; 1 when any. */
int
counts_expect(const struct count_opts *o, const struct counts *c)
{
	FILE *f = fopen(o->expect, "r");
	struct counts e = { 0 };
	char *line = NULL;
	size_t cap = 0, i = 0, j = 0;
	ssize_t len;
	unsigned long lineno = 0;
	int diffs = 0;

	if (f == NULL)
		die(EXIT_USAGE, "--expect %s: cannot open:", o->expect);
	while ((len = getline(&line, &cap, f)) > 0) {
		char *tab, *num, *end;
		struct count *x;

		lineno++;
		while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
			line[--len] = '\0';
		if (len == 0)
			continue;
		if ((tab = strrchr(line, '\t')) == NULL)
			die(EXIT_USAGE, "--expect %s: line %lu: not SCHEMA.TABLE<TAB>ROWS", o->expect, lineno);
		*tab = '\0';
		num = tab + 1 + (tab[1] == '~');
		errno = 0;
		if (*num < '0' || *num > '9')
			die(EXIT_USAGE, "--expect %s: line %lu: not a row count", o->expect, lineno);
		x = counts_get(&e, line, "");
		x->rows = strtoull(num, &end, 10);
		if (*end != '\0' || errno)
			die(EXIT_USAGE, "--expect %s: line %lu: not a row count", o->expect, lineno);
	}
	free(line);
	fclose(f);
	qsort(e.v, e.n, sizeof(*e.v), by_name);
	while (i < e.n || j < c->n) {
		int cmp = i == e.n ? 1 : j == c->n ? -1 : strcmp(e.v[i].name, c->v[j].name);

		if (cmp < 0) {
			printf("%s\t%" PRIu64 "\t-\n", e.v[i].name, e.v[i].rows);
			i++;
			diffs++;
		} else if (cmp > 0) {
			printf("%s\t-\t%" PRIu64 "\n", c->v[j].name, c->v[j].rows);
			j++;
			diffs++;
		} else {
			if (differs(e.v[i].rows, c->v[j].rows, o->tolerance)) {
				printf("%s\t%" PRIu64 "\t%" PRIu64 "\n", e.v[i].name, e.v[i].rows, c->v[j].rows);
				diffs++;
			}
			i++;
			j++;
		}
	}
	counts_free(&e);
	if (diffs)
		warn("%d difference%s from %s", diffs, diffs == 1 ? "" : "s", o->expect);
	return diffs ? EXIT_DATA : EXIT_OK;
}

void
counts_summary(const struct counts *c)
{
	size_t schemas = 0;
	uint64_t rows = 0;

	for (size_t i = 0; i < c->n; i++) {
		bool seen = false;

		rows += c->v[i].rows;
		for (size_t k = 0; k < i && !seen; k++)
			seen = strcmp(c->v[k].schema, c->v[i].schema) == 0;
		schemas += !seen;
	}
	fprintf(stderr, "%s: %zu schema%s, %zu table%s, %" PRIu64 " rows\n", prog, schemas,
	    schemas == 1 ? "" : "s", c->n, c->n == 1 ? "" : "s", rows);
}


void
counts_sort(struct counts *c)
{
	if (c->n > 1)
		qsort(c->v, c->n, sizeof(*c->v), by_name);
}

void
counts_print(const struct counts *c)
{
	for (size_t i = 0; i < c->n; i++)
		printf("%s\t%s%" PRIu64 "\n", c->v[i].name, c->v[i].estimate ? "~" : "", c->v[i].rows);
}
