#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "feed.h"
#include "pgconn.h"
#include "sqlstmt.h"

#define RING 1024		/* statements in flight, at most */
#define BATCH 512		/* statements per Sync */
#define BATCH_BYTES (1024 * 1024)

struct slot {
	char *sql;
	struct feed_where w;
};

struct feed {
	PGconn *c;
	bool stop, in_txn, pipeline, stopped, lost;
	/* -1: where the single transaction was ended, if it was */
	bool ended;
	struct feed_where ended_at;
	char ended_how[24];
	/* what the reader was told the server's settings are */
	bool expect;
	bool exp_std;
	char exp_enc[64];
	struct slot q[RING];
	size_t head, n;			/* statements sent, not yet answered */
	size_t batch[RING];		/* statements per Sync, oldest first */
	size_t bhead, bn;
	size_t unsynced, unsynced_bytes;
	unsigned long errors, statements;
	/* COPY */
	struct feed_where cw;
	uint64_t data_line;
	bool copy_failed;
};

struct feed *
feed_new(PGconn *c, bool stop, bool in_txn)
{
	struct feed *f = calloc(1, sizeof(*f));

	if (f) {
		f->c = c;
		f->stop = stop;
		f->in_txn = in_txn;
	}
	return f;
}

void
feed_free(struct feed *f)
{
	if (f == NULL)
		return;
	for (size_t i = 0; i < f->n; i++)
		free(f->q[(f->head + i) % RING].sql);
	free(f);
}

void
feed_set_conn(struct feed *f, PGconn *c)
{
	f->c = c;
	f->pipeline = false;
}

int
feed_set_stop(struct feed *f, bool stop)
{
	int rc = feed_drain(f);

	f->stop = stop;
	return rc;
}

unsigned long
feed_errors(const struct feed *f)
{
	return f->errors;
}

unsigned long
feed_statements(const struct feed *f)
{
	return f->statements;
}

bool
feed_lost(const struct feed *f)
{
	return f->lost;
}

const struct feed_where *
feed_txn_ended(const struct feed *f, const char **how)
{
	if (!f->ended)
		return NULL;
	*how = f->ended_how;
	return &f->ended_at;
}

void
feed_set_lexer(struct feed *f, bool std, const char *encoding)
{
	f->expect = true;
	f->exp_std = std;
	snprintf(f->exp_enc, sizeof(f->exp_enc), "%s", encoding ? encoding : "");
}

static void
where_prefix(char *buf, size_t n, const struct feed_where *w)
{
	if (w->entry[0])
		snprintf(buf, n, "line %llu (%s)", (unsigned long long)w->line, w->entry);
	else
		snprintf(buf, n, "line %llu", (unsigned long long)w->line);
}

static void
report(struct feed *f, const PGresult *res, const struct feed_where *w)
{
	char prefix[300];

	where_prefix(prefix, sizeof(prefix), w);
	pgconn_report(res, prefix);
	f->errors++;
}

/* The connection broke: say so once. */
static int
lost(struct feed *f)
{
	if (!f->lost) {
		const char *m = PQerrorMessage(f->c);
		size_t n = strlen(m);

		while (n > 0 && m[n - 1] == '\n')
			n--;
		warn("connection lost: %.*s", (int)n, m);
	}
	f->lost = f->stopped = true;
	return -1;
}

static bool
result_ok(const PGresult *r)
{
	switch (PQresultStatus(r)) {
	case PGRES_COMMAND_OK:
	case PGRES_TUPLES_OK:
	case PGRES_EMPTY_QUERY:
	case PGRES_SINGLE_TUPLE:
		return true;
	default:
		return false;
	}
}

/*
 * Under -1, a statement that ended the transaction (the input's own COMMIT,
 * however it got past the reader) is an error: nothing may claim a rollback
 * after it. Also, a statement that changed how the input must be read
 * (standard_conforming_strings, client_encoding) without saying so in a way
 * the reader follows stops the run. Returns true when it stopped.
 */
static bool
checked(struct feed *f, const PGresult *r, const struct feed_where *w, bool synced)
{
	const char *cs = r ? PQcmdStatus((PGresult *)r) : "";
	const char *how = NULL;

	if (f->in_txn && !f->ended) {
		if (strncmp(cs, "COMMIT", 6) == 0 || strncmp(cs, "PREPARE TRANSACTION", 19) == 0)
			how = "COMMIT";
		else if (strncmp(cs, "ROLLBACK", 8) == 0)
			how = "ROLLBACK";
		else if (synced && PQtransactionStatus(f->c) == PQTRANS_IDLE)
			how = "";
		if (how) {
			char prefix[300];

			f->ended = true;
			f->ended_at = *w;
			snprintf(f->ended_how, sizeof(f->ended_how), "%s", how);
			where_prefix(prefix, sizeof(prefix), w);
			if (*how == '\0')
				warn("%s: the single transaction was ended at or before this line: changes may "
				    "have been committed", prefix);
			else if (strcmp(how, "COMMIT") == 0)
				warn("%s: the single transaction was ended at line %llu (%s): changes were committed",
				    prefix, (unsigned long long)w->line, cs);
			else
				warn("%s: the single transaction was ended at line %llu (ROLLBACK): what ran before it "
				    "was rolled back, what ran after it may have been committed", prefix,
				    (unsigned long long)w->line);
			f->errors++;
			f->stopped = true;
			return true;
		}
	}
	if (f->expect && !w->sets && !f->stopped) {
		const char *std = PQparameterStatus(f->c, "standard_conforming_strings");
		const char *enc = PQparameterStatus(f->c, "client_encoding");
		char prefix[300];

		if ((std && (strcmp(std, "on") == 0) != f->exp_std) || (enc && strcmp(enc, f->exp_enc) != 0)) {
			where_prefix(prefix, sizeof(prefix), w);
			warn("%s: this statement changed %s to %s, not by SET, RESET or set_config: pgfeed "
			    "cannot read the rest as the server would", prefix,
			    std && (strcmp(std, "on") == 0) != f->exp_std ? "standard_conforming_strings" :
			    "client_encoding", std && (strcmp(std, "on") == 0) != f->exp_std ? std : enc);
			f->errors++;
			f->stopped = true;
			return true;
		}
	}
	return false;
}

/*
 * Run sql alone, with the extended protocol: the server takes one
 * statement a message, never several. 1 ok, 0 failed (res kept), -1 lost.
 */
static int
run_alone(struct feed *f, const char *sql, PGresult **res)
{
	PGresult *r = PQexecParams(f->c, sql, 0, NULL, NULL, NULL, NULL, 0);

	*res = r;
	if (r == NULL || (PQstatus(f->c) == CONNECTION_BAD && !result_ok(r)))
		return -1;
	return result_ok(r) ? 1 : 0;
}

static void
slot_free(struct feed *f, size_t k)
{
	for (size_t i = 0; i < k; i++) {
		free(f->q[f->head].sql);
		f->q[f->head].sql = NULL;
		f->head = (f->head + 1) % RING;
		f->n--;
	}
}

/* Collect the results of the oldest batch. */
static int
collect(struct feed *f)
{
	size_t k = f->batch[f->bhead], failed = k;
	PGresult *err = NULL, *r;
	int rc = 0;

	f->bhead = (f->bhead + 1) % RING;
	f->bn--;
	for (size_t i = 0; i < k; i++) {
		bool first = true;

		while ((r = PQgetResult(f->c)) != NULL) {
			ExecStatusType st = PQresultStatus(r);

			if (first && st != PGRES_FATAL_ERROR && !f->stopped)
				checked(f, r, &f->q[(f->head + i) % RING].w, false);
			if (first && st == PGRES_FATAL_ERROR && !f->stopped) {
				if (!f->stop || f->in_txn)
					report(f, r, &f->q[(f->head + i) % RING].w);
				if (failed == k) {
					failed = i;
					err = r;
					r = NULL;
				}
			}
			first = false;
			PQclear(r);
		}
		if (first)
			return lost(f);
	}
	r = PQgetResult(f->c);
	if (r == NULL || PQresultStatus(r) != PGRES_PIPELINE_SYNC) {
		PQclear(r);
		PQclear(err);
		return lost(f);
	}
	PQclear(r);
	if (k > 0 && !f->stopped)
		checked(f, NULL, &f->q[(f->head + k - 1) % RING].w, true);
	if (failed < k && f->stop && !f->in_txn && !f->stopped) {
		/*
		 * The batch was one implicit transaction and is rolled back:
		 * run the statements before the failing one again, alone.
		 */
		PGresult *e2;
		size_t i;

		PQexitPipelineMode(f->c);
		f->pipeline = false;
		/*
		 * Unless the input's own BEGIN left a transaction open: it is
		 * aborted, and under psql its statements would be lost too.
		 */
		for (i = 0; i < failed && PQtransactionStatus(f->c) == PQTRANS_IDLE; i++) {
			int ok = run_alone(f, f->q[(f->head + i) % RING].sql, &e2);

			if (ok < 0) {
				PQclear(e2);
				PQclear(err);
				return lost(f);
			}
			if (ok == 0) {
				PQclear(err);
				err = e2;
				failed = i;
				break;
			}
			PQclear(e2);
		}
		report(f, err, &f->q[(f->head + failed) % RING].w);
	}
	PQclear(err);
	slot_free(f, k);
	if ((failed < k && f->stop) || f->stopped) {
		f->stopped = true;
		rc = -1;
	}
	return rc;
}

static int
sync_batch(struct feed *f)
{
	if (f->unsynced == 0)
		return 0;
	if (PQpipelineSync(f->c) != 1)
		return lost(f);
	f->batch[(f->bhead + f->bn) % RING] = f->unsynced;
	f->bn++;
	f->unsynced = f->unsynced_bytes = 0;
	return 0;
}

int
feed_drain(struct feed *f)
{
	if (f->lost)
		return -1;
	if (sync_batch(f) != 0)
		return -1;
	/* After a stop, later batches are collected quietly: they are aborted. */
	while (f->bn > 0 && !f->lost)
		collect(f);
	if (f->pipeline) {
		PQexitPipelineMode(f->c);
		f->pipeline = false;
	}
	return f->stopped ? -1 : 0;
}

/* Statements that cannot run inside a transaction block, or whose effect
 * later statements of the same transaction could not use. */
static bool
solo(const char *sql, size_t len)
{
	static const char *const pairs[][2] = {
		{ "create", "database" }, { "drop", "database" }, { "alter", "database" },
		{ "create", "tablespace" }, { "drop", "tablespace" }, { "alter", "system" },
		{ "alter", "type" }, { "vacuum", NULL }, { "reindex", NULL }, { "cluster", NULL },
		{ "create", "subscription" }, { "drop", "subscription" }, { "alter", "subscription" },
	};
	struct sql_lex l;
	struct sql_tok t[5];
	int n;

	sql_lex_init(&l, sql, len, true);
	for (n = 0; n < 5 && sql_lex_next(&l, &t[n]) != TOK_END; n++)
		if (sql_tok_is(&t[n], "concurrently"))
			return true;
	if (n == 0)
		return false;
	for (size_t i = 0; i < sizeof(pairs) / sizeof(pairs[0]); i++)
		if (sql_tok_is(&t[0], pairs[i][0]) &&
		    (pairs[i][1] == NULL || (n > 1 && sql_tok_is(&t[1], pairs[i][1]))))
			return true;
	return false;
}

int
feed_exec(struct feed *f, const char *sql, const struct feed_where *w)
{
	PGresult *r;
	int ok;

	if (feed_drain(f) != 0)
		return -1;
	f->statements++;
	ok = run_alone(f, sql, &r);
	if (ok < 0) {
		PQclear(r);
		return lost(f);
	}
	if (ok == 0) {
		report(f, r, w);
		if (f->stop)
			f->stopped = true;
	} else {
		checked(f, r, w, true);
	}
	PQclear(r);
	return f->stopped ? -1 : 0;
}

int
feed_stmt(struct feed *f, const char *sql, size_t len, const struct feed_where *w)
{
	struct slot *s;
	size_t window;
	bool txn;

	if (f->stopped)
		return -1;
	if (solo(sql, len)) {
		char *z = malloc(len + 1);
		int rc;

		if (z == NULL)
			die(EXIT_DATA, "out of memory");
		memcpy(z, sql, len);
		z[len] = '\0';
		rc = feed_exec(f, z, w);
		free(z);
		return rc;
	}
	if (!f->pipeline) {
		if (PQenterPipelineMode(f->c) != 1)
			return lost(f);
		f->pipeline = true;
	}
	/*
	 * BEGIN, COMMIT and the like end a batch before and after them, so that
	 * a batch is never part committed when one of its statements fails.
	 */
	txn = sql_txn_control(sql, len) != 0;
	if (txn && sync_batch(f) != 0)
		return -1;
	s = &f->q[(f->head + f->n) % RING];
	if ((s->sql = malloc(len + 1)) == NULL)
		die(EXIT_DATA, "out of memory");
	memcpy(s->sql, sql, len);
	s->sql[len] = '\0';
	s->w = *w;
	f->n++;
	f->statements++;
	if (PQsendQueryParams(f->c, s->sql, 0, NULL, NULL, NULL, NULL, 0) != 1)
		return lost(f);
	f->unsynced++;
	f->unsynced_bytes += len;
	/*
	 * Without ON_ERROR_STOP each statement is its own transaction, as in
	 * psql. With it, a batch is one, and only one batch is in flight when
	 * a failure must leave the earlier statements committed.
	 */
	if (!f->stop || txn || f->unsynced >= BATCH || f->unsynced_bytes >= BATCH_BYTES ||
	    f->n >= RING - 1)
		if (sync_batch(f) != 0)
			return -1;
	/*
	 * With ON_ERROR_STOP no batch is synced before the one before it is
	 * checked: in a transaction (-1), a batch synced after one that ended
	 * the transaction would be committed on its own.
	 */
	window = f->stop ? 0 : RING / 2;
	while (f->bn > window || f->n >= RING - 1)
		if (collect(f) != 0)
			return feed_drain(f), -1;
	return 0;
}

int
feed_copy_begin(struct feed *f, const char *sql, size_t len, const struct feed_where *w,
    uint64_t data_line)
{
	char *z;
	PGresult *r;

	if (feed_drain(f) != 0)
		return -1;
	if ((z = malloc(len + 1)) == NULL)
		die(EXIT_DATA, "out of memory");
	memcpy(z, sql, len);
	z[len] = '\0';
	f->statements++;
	r = PQexecParams(f->c, z, 0, NULL, NULL, NULL, NULL, 0);
	free(z);
	f->cw = *w;
	f->data_line = data_line;
	f->copy_failed = false;
	if (r != NULL && PQresultStatus(r) == PGRES_COPY_IN) {
		PQclear(r);
		return 0;
	}
	if (r == NULL || PQstatus(f->c) == CONNECTION_BAD) {
		PQclear(r);
		return lost(f);
	}
	report(f, r, w);
	PQclear(r);
	f->copy_failed = true;
	if (f->stop)
		f->stopped = true;
	return -1;
}

int
feed_copy_data(struct feed *f, const char *p, size_t n)
{
	if (f->copy_failed)
		return -1;
	while (n > 0) {
		int chunk = n > (1u << 30) ? 1 << 30 : (int)n;

		if (PQputCopyData(f->c, p, chunk) != 1) {
			f->copy_failed = true;
			return -1;
		}
		p += chunk;
		n -= (size_t)chunk;
	}
	return 0;
}

/* The input line of the row a COPY error names ("COPY t, line 3: ..."). */
static void
copy_row(struct feed *f, const PGresult *r)
{
	const char *ctx = PQresultErrorField(r, PG_DIAG_CONTEXT), *p;
	unsigned long long n;

	if (ctx == NULL || strncmp(ctx, "COPY ", 5) != 0 || (p = strstr(ctx, ", line ")) == NULL)
		return;
	if (sscanf(p, ", line %llu", &n) == 1 && n > 0)
		fprintf(stderr, "%s: COPY data line %llu\n", prog,
		    (unsigned long long)f->data_line + n - 1);
}

int
feed_copy_end(struct feed *f, const char *abort, uint64_t *rows)
{
	PGresult *r;
	int rc = 0;

	*rows = 0;
	if (PQputCopyEnd(f->c, abort) != 1 && PQstatus(f->c) == CONNECTION_BAD)
		return lost(f);
	while ((r = PQgetResult(f->c)) != NULL) {
		if (PQresultStatus(r) == PGRES_COMMAND_OK) {
			if (pgconn_uint(PQcmdTuples(r), rows) != 0)
				*rows = 0;
			checked(f, r, &f->cw, true);
		} else if (PQresultStatus(r) == PGRES_COPY_IN) {
			/* The data could not be sent: end it now. */
			PQputCopyEnd(f->c, "copy data could not be sent");
		} else if (rc == 0) {
			if (abort == NULL) {
				report(f, r, &f->cw);
				copy_row(f, r);
			} else {
				f->errors++;
			}
			rc = -1;
		}
		PQclear(r);
	}
	if (PQstatus(f->c) == CONNECTION_BAD)
		return lost(f);
	if (rc != 0 && f->stop)
		f->stopped = true;
	return f->stopped ? -1 : rc;
}
