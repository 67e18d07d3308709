#include <errno.h>
#include <time.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "err.h"
#include "out.h"
#include "pgconn.h"
#include "progress.h"
#include "restore.h"

void
restore_fail(struct restore *r, int status)
{
	r->status = status_worst(r->status, status);
}

/* "TABLE DATA public.users": an entry's type and schema-qualified name. */
static void
entry_label(const struct sql_toc *t, char *buf, size_t n)
{
	bool schema = strcmp(t->schema, "-") != 0;

	snprintf(buf, n, "%s %s%s%s", t->type, schema ? t->schema : "", schema ? "." : "", t->name);
}

static void
where(const struct sql_item *it, struct feed_where *w)
{
	w->line = it->start_line;
	w->entry[0] = '\0';
	w->sets = it->kind == SQL_STMT && it->sets != SQL_SETS_NONE;
	if (it->toc)
		entry_label(it->toc, w->entry, sizeof(w->entry));
}

static void
oom(void)
{
	die(EXIT_DATA, "out of memory");
}

/* Write SQL for --emit. */
static void
emit(struct restore *r, const char *p, size_t n)
{
	if (n > 0 && fwrite(p, 1, n, r->out) != n) {
		if (errno == EPIPE)
			exit(EXIT_OK);
		die(EXIT_DATA, "write error:");
	}
	if (n > 0)
		r->out_mid = p[n - 1] != '\n';
}

/* Run (or emit) a statement of our own making. */
static int
own(struct restore *r, const char *sql, const struct sql_item *it)
{
	struct feed_where w;

	if (r->out) {
		/* On a line of its own: never the end of a line the input left open. */
		if (r->out_mid)
			emit(r, "\n", 1);
		emit(r, sql, strlen(sql));
		emit(r, "\n", 1);
		return 0;
	}
	where(it, &w);
	return feed_exec(r->feed, sql, &w);
}

/* The name a statement's table gets under --into, appended to out. */
static void
into_name(const struct restore *r, const struct sql_name *rel, struct strbuf *out)
{
	const struct sqlpat *p = &r->o->into;

	if (sql_quote_qualified(out, p->schema ? p->schema : rel->schema, p->name) != 0)
		oom();
}

/*
 * The new name of an index or constraint of the table renamed by --into,
 * cut as the server would cut it: to 63 bytes, on a character boundary.
 */
static void
into_obj(const struct restore *r, const char *obj, struct strbuf *out)
{
	struct strbuf name = { 0 };
	size_t sl = strlen(r->src_name), n;

	if (strncmp(obj, r->src_name, sl) == 0 ? strbuf_addf(&name, "%s%s", r->o->into.name, obj + sl) :
	    strbuf_addf(&name, "%s_%s", r->o->into.name, obj))
		oom();
	if ((n = name.len) > SQL_NAME_MAX - 1) {
		for (n = SQL_NAME_MAX - 1; n > 0 && ((unsigned char)name.p[n] & 0xC0) == 0x80; n--)
			;
		name.p[n] = '\0';
	}
	if (sql_quote_ident(out, name.p) != 0)
		oom();
	strbuf_free(&name);
}

static bool
is_src(const struct restore *r, const struct sql_name *rel, const struct sql_toc *t)
{
	const char *schema = rel->schema[0] ? rel->schema : (t ? t->schema : "");

	return r->have_src && strcmp(rel->name, r->src_name) == 0 &&
	    strcmp(schema, r->src_schema) == 0;
}

/*
 * The text to run for a statement: the body, with the table (and the
 * index or constraint it creates) renamed under --into. Returns a malloc'd
 * string or NULL when the body is used as it is.
 */
static char *
rewrite(struct restore *r, const struct sql_item *it, const struct sql_toc *toc, const struct sql_stmt *st,
    size_t *len)
{
	struct strbuf rel = { 0 }, obj = { 0 }, out = { 0 };
	const struct sql_name *first, *second;
	const struct strbuf *a, *b;
	size_t tail;
	int rc;

	if (!r->o->has_into || !st->has_rel || !is_src(r, &st->rel, toc))
		return NULL;
	into_name(r, &st->rel, &rel);
	if (st->has_obj && (st->kind == STMT_CREATE_INDEX || st->kind == STMT_ALTER_TABLE))
		into_obj(r, st->obj.name, &obj);
	first = &st->rel;
	second = obj.len ? &st->obj : NULL;
	a = &rel;
	b = &obj;
	if (second && second->start < first->start) {
		const struct sql_name *t = first;

		first = second;
		second = t;
		a = &obj;
		b = &rel;
	}
	rc = strbuf_add(&out, it->body, first->start) | strbuf_add(&out, a->p, a->len);
	if (second)
		rc |= strbuf_add(&out, it->body + first->end, second->start - first->end) |
		    strbuf_add(&out, b->p, b->len);
	tail = second ? second->end : first->end;
	rc |= strbuf_add(&out, it->body + tail, it->body_len - tail);
	if (rc != 0)
		oom();
	strbuf_free(&rel);
	strbuf_free(&obj);
	*len = out.len;
	return out.p;
}

/*
 * --fk-not-valid: a foreign key's ALTER TABLE ... ADD CONSTRAINT with NOT
 * VALID at its end (unless it says so already), so that rows whose parent
 * is gone since the backup do not refuse the table; the table and the
 * constraint are kept for restore_validate_fks. A malloc'd statement.
 */
static char *
not_valid(struct restore *r, const char *body, size_t len, const struct sql_stmt *st,
    const struct sql_toc *toc, size_t *outlen)
{
	struct strbuf out = { 0 }, fk = { 0 };
	size_t n = len;
	char **v = NULL;
	int rc;

	while (n > 0 && (body[n - 1] == ';' || body[n - 1] == ' ' || body[n - 1] == '\n' ||
	    body[n - 1] == '\t' || body[n - 1] == '\r'))
		n--;
	rc = strbuf_add(&out, body, n);
	if (!(n >= 10 && strncasecmp(body + n - 10, " NOT VALID", 10) == 0) &&
	    !(n >= 10 && strncasecmp(body + n - 10, "\nNOT VALID", 10) == 0))
		rc |= strbuf_add(&out, " NOT VALID", 10);
	rc |= strbuf_add(&out, ";", 1);
	if (r->o->has_into && is_src(r, &st->rel, toc)) {
		into_name(r, &st->rel, &fk);
		rc |= strbuf_add(&fk, "\t", 1);
		into_obj(r, st->obj.name, &fk);
	} else {
		rc |= sql_quote_qualified(&fk, st->rel.schema[0] ? st->rel.schema : toc->schema,
		    st->rel.name) | strbuf_add(&fk, "\t", 1) | sql_quote_ident(&fk, st->obj.name);
	}
	if (rc != 0 || (v = realloc(r->fks, (r->nfks + 1) * sizeof(*v))) == NULL)
		oom();
	r->fks = v;
	r->fks[r->nfks++] = fk.p;
	*outlen = out.len;
	return out.p;
}

/*
 * The server's standard_conforming_strings and client_encoding, as it
 * reports them, for the reader and the feed: the rest of the input is read
 * as the server will read it. -1 for an encoding that cannot be read.
 */
static int
sync_lexer(struct restore *r, uint64_t line)
{
	const char *std = PQparameterStatus(r->conn, "standard_conforming_strings");
	const char *enc = PQparameterStatus(r->conn, "client_encoding");
	bool on = std == NULL || strcmp(std, "on") == 0;

	if (enc == NULL)
		enc = "";
	sqlr_set_lexer(r->rd, on, enc);
	feed_set_lexer(r->feed, on, enc);
	if (!sql_encoding_readable(enc)) {
		if (line)
			warn("line %llu: client_encoding %s: its bytes include backslashes, and pgfeed cannot "
			    "read it safely; dump with -E UTF8", (unsigned long long)line, enc);
		else
			warn("client_encoding %s (PGCLIENTENCODING?): its bytes include backslashes, and pgfeed "
			    "cannot read it safely; use UTF8", enc);
		restore_fail(r, EXIT_DATA);
		return -1;
	}
	return 0;
}

/* psql's \connect [-reuse-previous=on|off] DBNAME: the database, malloc'd; NULL with *why. */
static char *
connect_dbname(const struct sql_meta_cmd *c, const char **why)
{
	PQconninfoOption *opts;
	char *err = NULL, *db = NULL;
	const char *arg;
	size_t i = 0;

	if (i < c->nargs && !c->dquoted[i] && strncmp(c->arg[i], "-reuse-previous=", 16) == 0)
		i++;
	if (i == c->nargs) {
		*why = "without a database name";
		return NULL;
	}
	if (c->nargs > i + 1) {
		*why = "with more than a database name (a user, host or port)";
		return NULL;
	}
	arg = c->arg[i];
	if (strchr(arg, '=') == NULL && strncmp(arg, "postgresql://", 13) != 0 &&
	    strncmp(arg, "postgres://", 11) != 0) {
		if ((db = strdup(arg)) == NULL)
			oom();
		return db;
	}
	/* A connection string: it may name a database and nothing else. */
	if ((opts = PQconninfoParse(arg, &err)) == NULL) {
		PQfreemem(err);
		*why = "with a connection string libpq cannot read";
		return NULL;
	}
	for (PQconninfoOption *o = opts; o->keyword; o++) {
		if (o->val == NULL || *o->val == '\0')
			continue;
		if (strcmp(o->keyword, "dbname") != 0) {
			*why = "with a connection string that names more than a database";
			free(db);
			PQconninfoFree(opts);
			return NULL;
		}
		free(db);
		if ((db = strdup(o->val)) == NULL)
			oom();
	}
	PQconninfoFree(opts);
	if (db == NULL)
		*why = "without a database name";
	return db;
}

/* One meta-command: checked, then (run is true) carried out. */
static int
meta_cmd(struct restore *r, const struct sql_item *it, const struct sql_meta_cmd *c, bool run)
{
	unsigned long long line = (unsigned long long)it->start_line;
	const char *why = NULL, *a0 = c->nargs > 0 ? c->arg[0] : "";

	if (sql_meta_is(c, ".")) {
		why = "ends COPY data, and there is none here";
	} else if (sql_meta_is(c, "restrict") || sql_meta_is(c, "unrestrict")) {
		if (c->nargs != 1 || c->dquoted[0] || a0[0] == '\0' || strlen(a0) > 256 ||
		    strspn(a0, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789") != strlen(a0))
			why = "takes one key of letters and digits";
		else if (run && sql_meta_is(c, "restrict")) {
			free(r->restrict_key);
			if ((r->restrict_key = strdup(a0)) == NULL)
				oom();
		} else if (run) {
			if (r->restrict_key == NULL || strcmp(r->restrict_key, a0) != 0) {
				warn("line %llu: \\unrestrict key does not match the \\restrict before it", line);
				return -1;
			}
			free(r->restrict_key);
			r->restrict_key = NULL;
		}
	} else if (sql_meta_is(c, "set")) {
		int v = c->nargs == 2 ? sql_bool(c->arg[1]) : -1;

		if (c->nargs == 0 || c->dquoted[0] || strcmp(a0, "ON_ERROR_STOP") != 0) {
			warn("line %llu: refusing psql meta-command \\set %s (only ON_ERROR_STOP may be set)",
			    line, a0);
			return -1;
		}
		if (v < 0 || c->dquoted[1])
			why = "ON_ERROR_STOP takes on or off";
		else if (run) {
			r->stop = v == 1;
			if (r->feed && feed_set_stop(r->feed, r->stop) != 0)
				return -1;
		}
	} else if (sql_meta_is(c, "encoding")) {
		if (c->nargs != 1 || c->dquoted[0] || a0[0] == '\0' || strlen(a0) >= SQL_NAME_MAX ||
		    strspn(a0, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-") != strlen(a0))
			why = "takes one encoding name";
		else if (!sql_encoding_readable(a0))
			why = "names an encoding whose bytes include backslashes, which pgfeed cannot read safely";
		else if (run && r->conn) {
			/* A parameter, not text pasted into SQL; then read on as the server reports. */
			const char *val[1] = { a0 };
			PGresult *res = PQexecParams(r->conn, "SELECT pg_catalog.set_config('client_encoding', $1, false)",
			    1, NULL, val, NULL, NULL, 0);
			bool ok = PQresultStatus(res) == PGRES_TUPLES_OK;

			PQclear(res);
			if (!ok) {
				warn("line %llu: \\encoding %s: not a known encoding", line, a0);
				return -1;
			}
			if (sync_lexer(r, it->start_line) != 0)
				return -1;
		} else if (run) {
			sqlr_set_lexer(r->rd, sqlr_std_strings(r->rd), a0);
		}
	} else if (sql_meta_is(c, "connect") || sql_meta_is(c, "c")) {
		char *db = connect_dbname(c, &why);
		PGconn *conn;
		int st = EXIT_DATA;

		if (db && r->o->single && r->conn) {
			warn("line %llu: \\connect %s: a single transaction cannot span databases", line, db);
			free(db);
			return -1;
		}
		if (db && run && r->conn) {
			if ((conn = pgconn_switch(r->conn, db, &st)) == NULL) {
				free(db);
				restore_fail(r, st);
				return -1;
			}
			if (r->reconnected)
				r->reconnected(NULL);
			PQfinish(r->conn);
			r->conn = conn;
			if (r->reconnected)
				r->reconnected(conn);
			feed_set_conn(r->feed, conn);
			if (sync_lexer(r, it->start_line) != 0) {
				free(db);
				return -1;
			}
		}
		free(db);
	} else {
		warn("line %llu: refusing psql meta-command \\%.*s (pgfeed runs only \\connect, \\restrict, "
		    "\\unrestrict, \\encoding and \\set ON_ERROR_STOP)", line, (int)c->name_len, c->name);
		return -1;
	}
	if (why) {
		warn("line %llu: refusing \\%.*s: it %s", line, (int)c->name_len, c->name, why);
		return -1;
	}
	return 0;
}

/*
 * A meta-command line. Every command on it is checked before any runs;
 * what came before runs first, as in psql (and \encoding needs an idle
 * session).
 */
static int
meta(struct restore *r, const struct sql_item *it)
{
	struct sql_meta m;
	const char *why;
	bool dot;
	int rc = 0;

	if (r->feed && feed_drain(r->feed) != 0)
		return -1;
	if (sql_meta_parse(it->body, it->body_len, &m, &why) != 0) {
		warn("line %llu: refusing a psql meta-command line: %s", (unsigned long long)it->start_line, why);
		rc = -1;
	}
	/* A lone "\." outside COPY data ends nothing: it is passed over, and never written. */
	dot = m.n == 1 && sql_meta_is(&m.cmd[0], ".");
	for (size_t i = 0; i < m.n && rc == 0 && !dot; i++)
		rc = meta_cmd(r, it, &m.cmd[i], false);
	for (size_t i = 0; i < m.n && rc == 0 && !dot; i++)
		rc = meta_cmd(r, it, &m.cmd[i], true);
	sql_meta_free(&m);
	if (rc == 0 && r->out && !dot) {
		emit(r, it->text, it->len);
		if (r->out_mid)
			emit(r, "\n", 1);	/* cut by the end of input: what follows is not its argument */
	}
	return rc;
}

/* The entry changed: finish what the previous one left open. */
static int
entry_end(struct restore *r, const struct sql_item *it)
{
	int rc = 0;

	if (r->triggers_off) {
		struct strbuf sql = { 0 };

		if (strbuf_addf(&sql, "ALTER TABLE %s ENABLE TRIGGER ALL;", r->target.p) != 0)
			oom();
		rc = own(r, sql.p, it);
		strbuf_free(&sql);
		r->triggers_off = false;
	}
	return rc;
}

/*
 * --clean: the DROP for entry t, appended to sql (nothing when its type is
 * not dropped). Names from the TOC comment are quoted, and an argument
 * list is passed on only when it holds nothing but type names. 0, or -1
 * with *why when the entry cannot be dropped safely.
 */
static int
clean_sql(const struct restore *r, const struct sql_toc *t, struct strbuf *sql, const char **why)
{
	static const char *const droppable[] = {
		"TABLE", "VIEW", "MATERIALIZED VIEW", "SEQUENCE", "FOREIGN TABLE", "TYPE", "DOMAIN",
		"FUNCTION", "PROCEDURE", "AGGREGATE", "SCHEMA", "EXTENSION", NULL,
	};
	const char *paren = NULL, *schema = strcmp(t->schema, "-") ? t->schema : NULL, *const *d;
	char *base;
	int rc;

	if (!strcmp(t->type, "BLOB") || !strcmp(t->type, "LARGE OBJECT")) {
		/* An OID: at most 10 digits. */
		if (t->name[0] == '\0' || strlen(t->name) > 10 || strspn(t->name, "0123456789") != strlen(t->name))
			return 0;
		if (strbuf_addf(sql, "SELECT pg_catalog.lo_unlink(oid) FROM pg_catalog.pg_largeobject_metadata "
		    "WHERE oid = '%s';", t->name) != 0)
			oom();
		return 0;
	}
	for (d = droppable; *d && strcmp(*d, t->type) != 0; d++)
		;
	if (*d == NULL)
		return 0;
	if (r->target.len && strcmp(t->type, "TABLE") == 0) {
		if (strbuf_addf(sql, "DROP TABLE IF EXISTS %s CASCADE;", r->target.p) != 0)
			oom();
		return 0;
	}
	/* Routines are named with their argument types: f(integer, text). */
	if (!strcmp(t->type, "FUNCTION") || !strcmp(t->type, "PROCEDURE") || !strcmp(t->type, "AGGREGATE"))
		paren = strchr(t->name, '(');
	if ((base = strndup(t->name, paren ? (size_t)(paren - t->name) : strlen(t->name))) == NULL)
		oom();
	if (!sql_name_ok(base) || (schema && !sql_name_ok(schema))) {
		*why = "its name or schema is empty or longer than 63 bytes: not a PostgreSQL name";
		free(base);
		return -1;
	}
	if (paren && !sql_routine_args_ok(paren)) {
		*why = "its argument list holds more than type names";
		free(base);
		return -1;
	}
	rc = strbuf_addf(sql, "DROP %s IF EXISTS ", t->type) | sql_quote_qualified(sql, schema, base) |
	    strbuf_addf(sql, "%s CASCADE;", paren ? paren : "");
	free(base);
	if (rc != 0)
		oom();
	return 0;
}

/* The first wanted statement of an entry: what --clean and the data options add. */
static int
entry_begin(struct restore *r, const struct sql_item *it, const struct sql_stmt *st)
{
	const struct sql_toc *t = it->toc;
	struct strbuf sql = { 0 };
	const char *why;
	int rc = 0;

	r->entry_began = true;
	r->entries++;
	if (r->out && r->toc_len) {
		emit(r, r->toc_text, r->toc_len);
		r->toc_len = 0;
	}
	if (t == NULL)
		return 0;
	strbuf_reset(&r->target);
	if (st->has_rel) {
		if (r->o->has_into && is_src(r, &st->rel, t))
			into_name(r, &st->rel, &r->target);
		else if (sql_quote_qualified(&r->target, st->rel.schema[0] ? st->rel.schema : NULL, st->rel.name))
			oom();
	}
	if (r->o->clean) {
		if (clean_sql(r, t, &sql, &why) != 0) {
			warn("line %llu: --clean: refusing to drop %s %s: %s", (unsigned long long)t->line, t->type,
			    t->name, why);
			restore_fail(r, EXIT_DATA);
			rc = -1;
		} else if (sql.len && own(r, sql.p, it) != 0) {
			rc = -1;
		}
	}
	if (rc == 0 && strcmp(t->type, "TABLE DATA") == 0 && r->target.len &&
	    (st->kind == STMT_COPY || st->kind == STMT_INSERT)) {
		if (r->o->truncate) {
			strbuf_reset(&sql);
			if (strbuf_addf(&sql, "TRUNCATE ONLY %s;", r->target.p) != 0)
				oom();
			rc = own(r, sql.p, it);
		}
		if (rc == 0 && r->o->disable_triggers) {
			strbuf_reset(&sql);
			if (strbuf_addf(&sql, "ALTER TABLE %s DISABLE TRIGGER ALL;", r->target.p) != 0)
				oom();
			if ((rc = own(r, sql.p, it)) == 0)
				r->triggers_off = true;
		}
	}
	strbuf_free(&sql);
	return rc;
}

#define HELD_MAX (1024 * 1024)

static void
held_drop(struct restore *r)
{
	for (size_t i = 0; i < r->nheld; i++)
		free(r->held[i].text);
	free(r->held);
	r->held = NULL;
	r->nheld = r->held_bytes = 0;
	r->holding = false;
}

/* Keep text (its statement at body) for later; false when there is too much. */
static bool
held_add(struct restore *r, const char *text, size_t len, size_t body, const struct sql_item *it)
{
	struct held *h;

	if (r->held_bytes + len > HELD_MAX)
		return false;
	if ((h = realloc(r->held, (r->nheld + 1) * sizeof(*h))) == NULL)
		die(EXIT_DATA, "out of memory");
	r->held = h;
	h = &r->held[r->nheld++];
	if ((h->text = malloc(len ? len : 1)) == NULL)
		die(EXIT_DATA, "out of memory");
	memcpy(h->text, text, len);
	h->len = len;
	h->body = body;
	where(it, &h->w);
	r->held_bytes += len;
	return true;
}

static void
seq_add(struct restore *r, const char *schema, const char *name)
{
	struct seqname *n = realloc(r->seqs, (r->nseqs + 1) * sizeof(*n));

	if (n == NULL)
		die(EXIT_DATA, "out of memory");
	r->seqs = n;
	snprintf(n[r->nseqs].schema, sizeof(n->schema), "%s", schema);
	snprintf(n[r->nseqs].name, sizeof(n->name), "%s", name);
	r->nseqs++;
}

static bool
seq_chosen(const struct restore *r, const char *schema, const char *name)
{
	for (size_t i = 0; i < r->nseqs; i++)
		if (strcmp(r->seqs[i].schema, schema) == 0 && strcmp(r->seqs[i].name, name) == 0)
			return true;
	return false;
}

/*
 * -t with --with-indexes also brings the sequences of the chosen tables'
 * serial and identity columns. pg_dump writes a serial column's sequence
 * before the entry that says whose it is (SEQUENCE OWNED BY), so it is
 * held back until then. Returns 1 when the statement was dealt with here.
 */
static int
owned_sequence(struct restore *r, const struct sql_item *it, const struct sql_stmt *st, bool *skip)
{
	const struct sql_toc *t = it->toc;
	const char *schema;

	if (t == NULL || r->o->sel.n[SEL_TABLE] == 0 || !r->o->sel.with_indexes || r->o->has_into)
		return 0;
	schema = st->rel.schema[0] ? st->rel.schema : t->schema;
	if (strcmp(t->type, "SEQUENCE") == 0 && r->holding) {
		if (st->kind == STMT_ALTER_TABLE && st->has_rel) {
			/* An identity column's sequence names its table. */
			if (!sqlsel_table(&r->o->sel, schema, st->rel.name)) {
				held_drop(r);
				*skip = true;
				return 1;
			}
			seq_add(r, t->schema, t->name);
			r->holding = false;
			return 2;	/* run the held statements, then this one */
		}
		if (!((r->o->no_owner && st->kind == STMT_OWNER) || (r->o->sel.no_acl && st->kind == STMT_GRANT)) &&
		    !held_add(r, it->text, it->len, (size_t)(it->body - it->text), it))
			held_drop(r);
		*skip = true;
		return 1;
	}
	if (strcmp(t->type, "SEQUENCE OWNED BY") == 0 && st->kind == STMT_OWNED_BY) {
		if (r->nheld == 0 || !sqlsel_table(&r->o->sel, schema, st->rel.name)) {
			held_drop(r);
			*skip = true;
			return 1;
		}
		seq_add(r, t->schema, t->name);
		r->holding = false;
		return 2;
	}
	return 0;
}

/* Run (or write) the statements held back. */
static int
held_run(struct restore *r)
{
	int rc = 0;

	for (size_t i = 0; i < r->nheld && rc == 0; i++) {
		struct held *h = &r->held[i];

		if (r->out)
			emit(r, h->text, h->len);
		else if (h->len > h->body)
			rc = feed_stmt(r->feed, h->text + h->body, h->len - h->body, &h->w);
	}
	held_drop(r);
	return rc;
}

/*
 * A statement outside pg_dump's entries (a psql script, or a dump without
 * its comments) while choosing: settings run; a table's definition or data
 * is chosen by the table it names; anything else is left out.
 */
static const struct sql_toc *
untracked(const struct sql_item *it, const struct sql_stmt *st)
{
	static char tname[] = "", table[] = "TABLE", data[] = "TABLE DATA", public[] = "public", none[] = "-";
	static struct sql_toc as_table = { 0, tname, table, public, none, 0 };
	static struct sql_toc as_data = { 0, tname, data, public, none, 0 };
	static struct sql_toc setting = { 0, tname, none, none, none, 0 };
	struct sql_lex l;
	struct sql_tok t;

	sql_lex_init(&l, it->body, it->body_len, true);
	sql_lex_next(&l, &t);
	if (sql_tok_is(&t, "set") || sql_tok_is(&t, "reset") ||
	    (sql_tok_is(&t, "select") && (sql_lex_next(&l, &t), sql_tok_is(&t, "pg_catalog"))))
		return &setting;
	if (!st->has_rel)
		return NULL;
	if (st->kind == STMT_COPY || st->kind == STMT_INSERT)
		return &as_data;
	if (st->kind == STMT_CREATE_TABLE || st->kind == STMT_ALTER_TABLE || st->kind == STMT_OWNER)
		return &as_table;
	return NULL;
}

/* One statement: decide, rewrite, run. 1: skipped (and its COPY data). */
static int
statement(struct restore *r, const struct sql_item *it, bool *skip)
{
	struct sql_stmt st;
	const struct sql_name *rel = NULL;
	const struct sql_toc *toc = it->toc;
	struct feed_where w;
	char *text;
	size_t len;
	bool want;
	int rc;

	sql_stmt_parse(it->body, it->body_len, sqlr_std_strings(r->rd), &st);
	if (st.long_name) {
		/* The server would cut it, and what was chosen would not be what runs. */
		warn("line %llu: a name longer than %d bytes: not a PostgreSQL name",
		    (unsigned long long)it->start_line, SQL_NAME_MAX - 1);
		restore_fail(r, EXIT_DATA);
		return -1;
	}
	if (toc == NULL && r->o->selective && (toc = untracked(it, &st)) == NULL) {
		*skip = true;	/* outside the dump's entries, and not a setting */
		return 0;
	}
	if (st.has_rel && toc && (strcmp(toc->type, "TABLE") == 0 ||
	    strcmp(toc->type, "TABLE DATA") == 0 || !sqlsel_relation(toc->type)))
		rel = &st.rel;
	if ((rc = owned_sequence(r, it, &st, skip)) == 1)
		return 0;
	if (rc == 2) {
		want = true;
		if (held_run(r) != 0)
			return -1;
	} else if (it->toc && rel == NULL && !sqlsel_relation(it->toc->type) && it->toc->id == r->toc_id) {
		want = r->entry_sel;
	} else {
		want = sqlsel_entry(&r->o->sel, toc, rel);
	}
	/* What belongs to a sequence that came with its table comes too. */
	if (!want && r->nseqs && it->toc && (r->o->sel.sections & sqlsel_section(it->toc)) && ((strcmp(it->toc->type, "SEQUENCE SET") == 0 &&
	    seq_chosen(r, it->toc->schema, it->toc->name)) ||
	    ((st.kind == STMT_COMMENT || st.kind == STMT_GRANT) && st.has_rel &&
	    seq_chosen(r, st.rel.schema[0] ? st.rel.schema : it->toc->schema, st.rel.name))))
		want = true;
	if (it->toc)
		r->entry_sel = want;
	*skip = !want;
	if (!want)
		return 0;
	if (toc && (strcmp(toc->type, "TABLE") == 0 || strcmp(toc->type, "TABLE DATA") == 0) &&
	    (st.kind == STMT_CREATE_TABLE || st.kind == STMT_COPY || st.kind == STMT_INSERT))
		r->tables++;
	if ((r->o->no_owner && (st.kind == STMT_OWNER || st.kind == STMT_SESSION_AUTH)) ||
	    (r->o->sel.no_acl && st.kind == STMT_GRANT)) {
		*skip = true;
		return 0;
	}
	if (r->o->single && (rc = sql_txn_control(it->body, it->body_len)) != 0) {
		if (rc < 0) {
			warn("line %llu: refusing %.*s under --single-transaction",
			    (unsigned long long)it->start_line, (int)strcspn(it->body, " ;\n"), it->body);
			return -1;
		}
		*skip = !it->copy;
		return 0;
	}
	/* --into: the one table chosen. */
	if (r->o->has_into && rel && toc && sqlsel_relation(toc->type) &&
	    (st.kind == STMT_CREATE_TABLE || st.kind == STMT_COPY || st.kind == STMT_INSERT)) {
		const char *schema = st.rel.schema[0] ? st.rel.schema : toc->schema;

		if (!r->have_src) {
			snprintf(r->src_schema, sizeof(r->src_schema), "%s", schema);
			snprintf(r->src_name, sizeof(r->src_name), "%s", st.rel.name);
			r->have_src = true;
		} else if (!is_src(r, &st.rel, toc)) {
			warn("--into: the pattern matches more than one table (%s.%s and %s.%s); "
			    "name one with -t SCHEMA.TABLE", r->src_schema, r->src_name, schema, st.rel.name);
			return -1;
		}
	}
	if (!r->entry_began && entry_begin(r, it, &st) != 0)
		return -1;
	text = rewrite(r, it, toc, &st, &len);
	if (r->o->fk_not_valid && toc && strcmp(toc->type, "FK CONSTRAINT") == 0 &&
	    st.kind == STMT_ALTER_TABLE && st.has_obj) {
		char *nv = not_valid(r, text ? text : it->body, text ? len : it->body_len, &st, toc,
		    &len);

		free(text);
		text = nv;
	}
	if (r->out) {
		emit(r, it->text, (size_t)(it->body - it->text));
		emit(r, text ? text : it->body, text ? len : it->body_len);
		free(text);
		return 0;
	}
	where(it, &w);
	if (it->copy)
		rc = feed_copy_begin(r->feed, text ? text : it->body, text ? len : it->body_len, &w,
		    it->start_line + 1);
	else
		rc = feed_stmt(r->feed, text ? text : it->body, text ? len : it->body_len, &w);
	free(text);
	/* It may change how the rest is read: read on as the server says. */
	if (rc == 0 && w.sets && (feed_drain(r->feed) != 0 || sync_lexer(r, it->start_line) != 0))
		return -1;
	if (rc != 0 && it->copy && !feed_lost(r->feed) && !r->stop) {
		*skip = true;		/* its data goes nowhere */
		return 0;
	}
	return rc;
}

/* A TOC comment: a new entry. */
static int
toc_item(struct restore *r, const struct sql_item *it)
{
	if (r->entry_began && entry_end(r, it) != 0)
		return -1;
	r->toc_id = it->toc->id;
	r->entry_began = false;
	r->entry_sel = sqlsel_entry(&r->o->sel, it->toc, NULL);
	/* A sequence held back waits for the SEQUENCE OWNED BY entry after it. */
	if (r->nheld && strcmp(it->toc->type, "SEQUENCE OWNED BY") != 0)
		held_drop(r);
	if (strcmp(it->toc->type, "SEQUENCE") == 0 && !r->entry_sel && r->o->sel.with_indexes &&
	    r->o->sel.n[SEL_TABLE] > 0 && !r->o->has_into) {
		r->holding = true;
		if (r->out)
			held_add(r, it->text, it->len, it->len, it);
	}
	if (r->out) {
		/* Held back until the entry's first wanted statement. */
		char *t = realloc(r->toc_text, it->len);

		if (t == NULL && it->len)
			die(EXIT_DATA, "out of memory");
		r->toc_text = t;
		if (it->len)
			memcpy(t, it->text, it->len);
		r->toc_len = it->len;
	}
	return 0;
}


void
restore_free(struct restore *r)
{
	held_drop(r);
	strbuf_free(&r->target);
	free(r->seqs);
	for (size_t i = 0; i < r->nfks; i++)
		free(r->fks[i]);
	free(r->fks);
	r->fks = NULL;
	r->nfks = 0;
	free(r->toc_text);
	free(r->restrict_key);
	r->seqs = NULL;
	r->toc_text = r->restrict_key = NULL;
}

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* The progress line's detail: the entry and the rate of COPY rows. */
static void
show(struct progress *pr, const struct restore *r, const struct sql_item *it)
{
	char entry[sizeof(((struct feed_where *)0)->entry)], d[300];
	double secs;

	if (!progress_enabled(pr) || it->toc == NULL)
		return;
	secs = now() - r->t0;
	entry_label(it->toc, entry, sizeof(entry));
	snprintf(d, sizeof(d), "%s, %.0f rows/s", entry, secs > 0 ? (double)r->sent_rows / secs : 0.0);
	progress_detail(pr, d);
}

int
restore_list(struct sqlr *rd, const char *name)
{
	struct sql_item it;

	do {
		const char *why;

		if (sqlr_next(rd, &it) != 0)
			die(EXIT_DATA, "%s: read error:", name);
		if ((why = sqlr_problem(rd, &it, false)) != NULL) {
			warn("%s: line %llu: %s", name, (unsigned long long)it.start_line, why);
			return EXIT_DATA;
		}
		if (it.kind == SQL_TOC)
			printf("%u\t%s\t%s\t%s\t%s\t%llu\n", it.toc->id, it.toc->type, it.toc->schema,
			    it.toc->name, it.toc->owner, (unsigned long long)it.toc->line);
	} while (it.kind != SQL_END);
	if (sqlr_truncated(rd)) {
		warn("%s: input is truncated: no \"%s\" trailer", name, sqlr_missing_trailer(rd));
		return EXIT_DATA;
	}
	return out_status(out_close_stdout());
}

int
restore_begin(struct restore *r)
{
	PGresult *res = PQexecParams(r->conn, "BEGIN", 0, NULL, NULL, NULL, NULL, 0);
	bool ok = PQresultStatus(res) == PGRES_COMMAND_OK;

	PQclear(res);
	if (!ok) {
		warn("BEGIN failed: %s", PQerrorMessage(r->conn));
		restore_fail(r, pgconn_status(r->conn));
		return -1;
	}
	return 0;
}

void
restore_end(struct restore *r, bool interrupted)
{
	const struct feed_where *ended;
	const char *how;
	PGTransactionStatusType ts;
	bool commit;
	PGresult *res;

	if (!r->o->single || r->conn == NULL || PQstatus(r->conn) != CONNECTION_OK)
		return;
	ended = r->feed ? feed_txn_ended(r->feed, &how) : NULL;
	ts = PQtransactionStatus(r->conn);
	if (ended || ts == PQTRANS_IDLE) {
		/* Never a claim of a rollback that did not happen. */
		restore_fail(r, EXIT_DATA);
		if (ended == NULL)
			warn("the single transaction was ended before the end of the input: changes were committed");
		if (ts != PQTRANS_IDLE) {
			PQclear(PQexecParams(r->conn, "ROLLBACK", 0, NULL, NULL, NULL, NULL, 0));
			warn("rolled back what ran after line %llu", (unsigned long long)ended->line);
		}
		return;
	}
	/* A COMMIT of a failed transaction rolls back; say which it was. */
	commit = r->status == EXIT_OK && !interrupted;
	res = PQexecParams(r->conn, commit ? "COMMIT" : "ROLLBACK", 0, NULL, NULL, NULL, NULL, 0);
	if (PQresultStatus(res) != PGRES_COMMAND_OK || !commit || strcmp(PQcmdStatus(res), "COMMIT") != 0) {
		if (commit) {
			warn("COMMIT failed: %s", PQerrorMessage(r->conn));
			restore_fail(r, EXIT_DATA);
		}
		warn("rolled back: nothing was committed");
	}
	PQclear(res);
}

/*
 * The rows of a foreign key's table that reference nothing, counted by a
 * query the server writes from its own catalog (format() with %I): MATCH
 * SIMPLE, so a row with a NULL in the key references nothing and is fine.
 */
static const char orphans_sql[] =
    "SELECT format('SELECT count(*), %s::text FROM ONLY %s c WHERE %s AND NOT EXISTS "
    "(SELECT FROM ONLY %s p WHERE %s)', quote_literal(c.confrelid::regclass::text), "
    "c.conrelid::regclass, "
    "(SELECT string_agg(format('c.%I IS NOT NULL', a.attname), ' AND ') "
    "FROM unnest(c.conkey) k JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = k), "
    "c.confrelid::regclass, "
    "(SELECT string_agg(format('p.%I = c.%I', pa.attname, ca.attname), ' AND ') "
    "FROM unnest(c.conkey, c.confkey) u(k, fk) "
    "JOIN pg_attribute ca ON ca.attrelid = c.conrelid AND ca.attnum = u.k "
    "JOIN pg_attribute pa ON pa.attrelid = c.confrelid AND pa.attnum = u.fk)) "
    "FROM pg_constraint c WHERE c.conrelid = $1::regclass AND c.conname = $2 AND c.contype = 'f'";

/* A quoted identifier back to the name (the catalog holds names). */
static void
unquote(const char *q, size_t n, struct strbuf *out)
{
	if (n < 2 || q[0] != '"') {
		if (strbuf_add(out, q, n) != 0)
			oom();
		return;
	}
	for (size_t i = 1; i + 1 < n; i++) {
		if (strbuf_add(out, q + i, 1) != 0)
			oom();
		if (q[i] == '"')
			i++;	/* "" is one " */
	}
}

unsigned long
restore_validate_fks(struct restore *r, bool interrupted)
{
	unsigned long left = 0;

	if (r->status != EXIT_OK || interrupted || (r->feed && feed_errors(r->feed) > 0))
		return 0;
	for (size_t i = 0; i < r->nfks && r->conn; i++) {
		const char *tab = r->fks[i], *tabend = strchr(tab, '\t'), *con = tabend + 1;
		struct strbuf sql = { 0 }, name = { 0 };
		PGresult *res;

		if (strbuf_addf(&sql, "ALTER TABLE %.*s VALIDATE CONSTRAINT %s", (int)(tabend - tab),
		    tab, con) != 0)
			oom();
		res = PQexecParams(r->conn, sql.p, 0, NULL, NULL, NULL, NULL, 0);
		if (PQresultStatus(res) == PGRES_COMMAND_OK) {
			if (r->o->verbose)
				warn("%.*s: foreign key %s validated", (int)(tabend - tab), tab, con);
		} else {
			const char *detail = PQresultErrorField(res, PG_DIAG_MESSAGE_DETAIL);
			struct strbuf t = { 0 };
			const char *params[2];
			PGresult *q, *c = NULL;

			left++;
			if (strbuf_add(&t, tab, (size_t)(tabend - tab)) != 0)
				oom();
			unquote(con, strlen(con), &name);
			params[0] = t.p;
			params[1] = name.p;
			q = PQexecParams(r->conn, orphans_sql, 2, NULL, params, NULL, NULL, 0);
			if (PQresultStatus(q) == PGRES_TUPLES_OK && PQntuples(q) == 1)
				c = PQexecParams(r->conn, PQgetvalue(q, 0, 0), 0, NULL, NULL, NULL, NULL, 0);
			if (c && PQresultStatus(c) == PGRES_TUPLES_OK && PQntuples(c) == 1) {
				bool one = strcmp(PQgetvalue(c, 0, 0), "1") == 0;

				warn("%s: foreign key %s stays NOT VALID: %s row%s reference%s no row "
				    "of %s", t.p, con, PQgetvalue(c, 0, 0), one ? "" : "s", one ? "s" : "",
				    PQgetvalue(c, 0, 1));
				if (detail)
					warn("  the first: %s", detail);
			} else {
				const char *why = PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY);

				warn("%s: foreign key %s stays NOT VALID: %s", t.p, con,
				    why ? why : "VALIDATE CONSTRAINT failed");
			}
			PQclear(c);
			PQclear(q);
			strbuf_free(&t);
		}
		PQclear(res);
		strbuf_free(&sql);
		strbuf_free(&name);
	}
	if (left)
		warn("%lu foreign key%s left NOT VALID: the rows named above reference rows that "
		    "are gone", left, left == 1 ? "" : "s");
	return left;
}

void
restore_summary(const struct restore *r)
{
	double secs = now() - r->t0;

	fprintf(stderr, "%s: %lu entries, %lu statements, %lu COPY (%llu rows) in %.1f s%s\n", prog,
	    r->entries, r->feed ? feed_statements(r->feed) : 0, r->copies, (unsigned long long)r->rows,
	    secs, r->status == EXIT_OK ? "" : "; failed");
}

int
restore_run(struct restore *r, const char *name, int64_t size, volatile sig_atomic_t *interrupted)
{
	struct progress *pr = progress_new(stderr, name, size, r->o->progress);
	struct sql_item it;
	bool skip = false, in_copy = false, incomplete = false;
	const char *why;
	uint64_t rows;
	int rc = 0;

	r->t0 = now();
	if (r->conn && sync_lexer(r, 0) != 0) {
		progress_free(pr);
		return -1;
	}
	while (rc == 0) {
		bool open = sqlr_framing(r->rd)->open;

		if (*interrupted)
			break;
		if (sqlr_next(r->rd, &it) != 0) {
			if (!*interrupted)
				warn("%s: read error:", name);
			restore_fail(r, EXIT_DATA);
			rc = -1;
			break;
		}
		if ((why = sqlr_problem(r->rd, &it, r->conn != NULL)) != NULL) {
			warn("%s: line %llu: %s", name, (unsigned long long)it.start_line, why);
			restore_fail(r, EXIT_DATA);
			rc = -1;
			break;
		}
		if (it.kind == SQL_COPY_DATA)
			r->sent_rows += it.rows;
		show(pr, r, &it);
		progress_update(pr, sqlr_offset(r->rd));
		switch (it.kind) {
		case SQL_END:
			goto end;
		case SQL_BAD:
			break;		/* told above */
		case SQL_BLANK:
			/* pg_dump's trailer goes out whatever was chosen. */
			if (r->out && (it.toc == NULL || r->entry_sel || open != sqlr_framing(r->rd)->open))
				emit(r, it.text, it.len);
			break;
		case SQL_TOC:
			rc = toc_item(r, &it);
			break;
		case SQL_META:
			rc = meta(r, &it);
			break;
		case SQL_STMT:
			if (it.incomplete && sqlr_framing(r->rd)->dump) {
				incomplete = true;	/* a dump cut inside a statement */
				break;
			}
			rc = statement(r, &it, &skip);
			in_copy = it.copy;
			break;
		case SQL_COPY_DATA:
			if (skip)
				break;
			if (r->out)
				emit(r, it.text, it.len);
			else
				feed_copy_data(r->feed, it.text, it.len);
			break;
		case SQL_COPY_END:
			in_copy = false;
			if (skip)
				break;
			if (r->out) {
				emit(r, it.text, it.len);
				break;
			}
			r->copies++;
			if (feed_copy_end(r->feed, NULL, &rows) == 0) {
				r->rows += rows;
				if (r->o->verbose && it.toc) {
					char entry[sizeof(((struct feed_where *)0)->entry)];

					entry_label(it.toc, entry, sizeof(entry));
					fprintf(stderr, "%s: %s: %llu rows\n", prog, entry, (unsigned long long)rows);
				}
			} else if (r->stop || feed_lost(r->feed)) {
				rc = -1;
			}
			break;
		}
	}
end:
	progress_end(pr);
	progress_free(pr);
	if (rc == 0 && *interrupted) {
		warn("interrupted");
		rc = -1;
	}
	if (in_copy && !skip && rc == 0) {
		if (r->conn)
			feed_copy_end(r->feed, "the input ended inside COPY data", &rows);
		warn("%s: input is truncated: it ended inside COPY data (line %llu)", name,
		    (unsigned long long)sqlr_framing(r->rd)->last_line);
		rc = -1;
	} else if (in_copy && !skip && r->conn && !feed_lost(r->feed)) {
		feed_copy_end(r->feed, "pgfeed stopped", &rows);
	}
	if (rc == 0 && r->entry_began && entry_end(r, &it) != 0)
		rc = -1;
	if (rc == 0 && r->feed && feed_drain(r->feed) != 0)
		rc = -1;
	if (rc == 0 && (sqlr_truncated(r->rd) || incomplete)) {
		warn("%s: input is truncated: no \"%s\" trailer after line %llu", name,
		    sqlr_missing_trailer(r->rd), (unsigned long long)sqlr_framing(r->rd)->last_line);
		rc = -1;
	}
	if (rc == 0 && sqlr_statements(r->rd) == 0 && !r->o->allow_empty) {
		warn("%s: no SQL statement in the input: an empty or failed dump restores nothing "
		    "(--allow-empty accepts it)", name);
		rc = -1;
	}
	if (rc == 0 && r->o->sel.n[SEL_TABLE] > 0 && r->tables == 0) {
		warn("%s: no table matched -t", name);
		rc = -1;
	}
	if (rc != 0 || (r->feed && feed_errors(r->feed) > 0))
		restore_fail(r, r->feed && feed_lost(r->feed) ? EXIT_TRANSIENT : EXIT_DATA);
	return rc;
}
