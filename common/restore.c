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
	if (it->toc)
		entry_label(it->toc, w->entry, sizeof(w->entry));
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
}

/* Run (or emit) a statement of our own making. */
static int
own(struct restore *r, const char *sql, const struct sql_item *it)
{
	struct feed_where w;

	if (r->out) {
		emit(r, sql, strlen(sql));
		emit(r, "\n", 1);
		return 0;
	}
	where(it, &w);
	return feed_exec(r->feed, sql, &w);
}

/* The name a statement's table gets under --into. */
static void
into_name(const struct restore *r, const struct sql_name *rel, char *out)
{
	const struct sqlpat *p = &r->o->into;

	sql_quote_qualified(out, p->schema ? p->schema : rel->schema, p->name);
}

/* The new name of an index or constraint of the table renamed by --into. */
static void
into_obj(const struct restore *r, const char *obj, char *out)
{
	char name[2 * SQL_NAME_MAX + 2];
	size_t sl = strlen(r->src_name);

	if (strncmp(obj, r->src_name, sl) == 0)
		snprintf(name, sizeof(name), "%s%s", r->o->into.name, obj + sl);
	else
		snprintf(name, sizeof(name), "%s_%s", r->o->into.name, obj);
	name[SQL_NAME_MAX - 1] = '\0';
	sql_quote_ident(out, name);
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
	char rel[4 * SQL_NAME_MAX + 8], obj[2 * SQL_NAME_MAX + 4];
	const struct sql_name *first, *second;
	const char *a, *b;
	char *out;
	size_t n;

	if (!r->o->has_into || !st->has_rel || !is_src(r, &st->rel, toc))
		return NULL;
	into_name(r, &st->rel, rel);
	obj[0] = '\0';
	if (st->has_obj && (st->kind == STMT_CREATE_INDEX || st->kind == STMT_ALTER_TABLE))
		into_obj(r, st->obj.name, obj);
	first = &st->rel;
	second = obj[0] ? &st->obj : NULL;
	a = rel;
	b = obj;
	if (second && second->start < first->start) {
		const struct sql_name *t = first;

		first = second;
		second = t;
		a = obj;
		b = rel;
	}
	n = it->body_len + strlen(rel) + strlen(obj) + 1;
	if ((out = malloc(n)) == NULL)
		die(EXIT_DATA, "out of memory");
	n = (size_t)sprintf(out, "%.*s%s", (int)first->start, it->body, a);
	if (second)
		n += (size_t)sprintf(out + n, "%.*s%s", (int)(second->start - first->end),
		    it->body + first->end, b);
	n += (size_t)sprintf(out + n, "%.*s", (int)(it->body_len - (second ? second->end : first->end)),
	    it->body + (second ? second->end : first->end));
	*len = n;
	return out;
}

static int
meta(struct restore *r, const struct sql_item *it)
{
	const char *name;
	size_t nl = sql_meta_name(it->body, it->body_len, &name);
	char arg[512];

#define IS(s) (nl == strlen(s) && strncmp(name, s, nl) == 0)
	/* What came before runs first, as in psql; and \encoding needs an idle session. */
	if (r->feed && feed_drain(r->feed) != 0)
		return -1;
	sql_meta_arg(it->body, it->body_len, arg, sizeof(arg));
	if (IS(".")) {
		return 0;
	} else if (IS("restrict")) {
		free(r->restrict_key);
		if ((r->restrict_key = strdup(arg)) == NULL)
			die(EXIT_DATA, "out of memory");
	} else if (IS("unrestrict")) {
		if (r->restrict_key == NULL || strcmp(r->restrict_key, arg) != 0) {
			warn("line %llu: \\unrestrict key does not match the \\restrict before it",
			    (unsigned long long)it->start_line);
			return -1;
		}
		free(r->restrict_key);
		r->restrict_key = NULL;
	} else if (IS("set")) {
		char *v = arg + strcspn(arg, " \t");

		if (strncmp(arg, "ON_ERROR_STOP", 13) != 0 || (arg[13] != ' ' && arg[13] != '\t' && arg[13])) {
			warn("line %llu: refusing psql meta-command \\set %s (only ON_ERROR_STOP may be set)",
			    (unsigned long long)it->start_line, arg);
			return -1;
		}
		v += strspn(v, " \t");
		r->stop = !(strcasecmp(v, "off") == 0 || strcmp(v, "0") == 0 || strcasecmp(v, "false") == 0);
		if (r->feed && feed_set_stop(r->feed, r->stop) != 0)
			return -1;
	} else if (IS("encoding")) {
		if (r->conn && PQsetClientEncoding(r->conn, arg) != 0) {
			warn("line %llu: \\encoding %s: not a known encoding", (unsigned long long)it->start_line, arg);
			return -1;
		}
	} else if (IS("connect") || IS("c")) {
		char *db = sql_connect_dbname(it->body, it->body_len);
		PGconn *c;
		int st = EXIT_DATA;

		if (db == NULL || *db == '\0') {
			free(db);
			warn("line %llu: \\connect without a database name", (unsigned long long)it->start_line);
			return -1;
		}
		if (r->o->single && r->conn) {
			warn("line %llu: \\connect %s: a single transaction cannot span databases",
			    (unsigned long long)it->start_line, db);
			free(db);
			return -1;
		}
		if (r->conn) {
			if ((c = pgconn_switch(r->conn, db, &st)) == NULL) {
				free(db);
				restore_fail(r, st);
				return -1;
			}
			if (r->reconnected)
				r->reconnected(NULL);
			PQfinish(r->conn);
			r->conn = c;
			if (r->reconnected)
				r->reconnected(c);
			feed_set_conn(r->feed, c);
		}
		free(db);
	} else {
		warn("line %llu: refusing psql meta-command \\%.*s (pgfeed runs only \\connect, \\restrict, "
		    "\\unrestrict, \\encoding and \\set ON_ERROR_STOP)", (unsigned long long)it->start_line,
		    (int)nl, name);
		return -1;
	}
	if (r->out)
		emit(r, it->text, it->len);
	return 0;
#undef IS
}

/* The entry changed: finish what the previous one left open. */
static int
entry_end(struct restore *r, const struct sql_item *it)
{
	int rc = 0;

	if (r->triggers_off) {
		char sql[sizeof(r->target) + 64];

		snprintf(sql, sizeof(sql), "ALTER TABLE %s ENABLE TRIGGER ALL;", r->target);
		rc = own(r, sql, it);
		r->triggers_off = false;
	}
	return rc;
}

/* --clean: the DROP for entry t, or "" when its type is not dropped. */
static void
clean_sql(const struct restore *r, const struct sql_toc *t, char *sql, size_t n)
{
	static const char *const droppable[] = {
		"TABLE", "VIEW", "MATERIALIZED VIEW", "SEQUENCE", "FOREIGN TABLE", "TYPE", "DOMAIN",
		"FUNCTION", "PROCEDURE", "AGGREGATE", "SCHEMA", "EXTENSION", NULL,
	};
	char name[4 * SQL_NAME_MAX + 8], base[SQL_NAME_MAX];
	const char *paren = NULL, *const *d;
	size_t bl;

	sql[0] = '\0';
	if ((!strcmp(t->type, "BLOB") || !strcmp(t->type, "LARGE OBJECT")) && t->name[0] &&
	    strspn(t->name, "0123456789") == strlen(t->name)) {
		snprintf(sql, n, "SELECT pg_catalog.lo_unlink(oid) FROM pg_catalog.pg_largeobject_metadata "
		    "WHERE oid = '%s';", t->name);
		return;
	}
	for (d = droppable; *d && strcmp(*d, t->type) != 0; d++)
		;
	if (*d == NULL)
		return;
	if (r->target[0] && strcmp(t->type, "TABLE") == 0) {
		snprintf(sql, n, "DROP TABLE IF EXISTS %s CASCADE;", r->target);
		return;
	}
	/* Routines are named with their argument types: f(integer, text). */
	if (!strcmp(t->type, "FUNCTION") || !strcmp(t->type, "PROCEDURE") || !strcmp(t->type, "AGGREGATE"))
		paren = strchr(t->name, '(');
	bl = paren ? (size_t)(paren - t->name) : strlen(t->name);
	if (bl >= sizeof(base))
		return;
	memcpy(base, t->name, bl);
	base[bl] = '\0';
	sql_quote_qualified(name, strcmp(t->schema, "-") ? t->schema : NULL, base);
	snprintf(sql, n, "DROP %s IF EXISTS %s%s CASCADE;", t->type, name, paren ? paren : "");
}

/* The first wanted statement of an entry: what --clean and the data options add. */
static int
entry_begin(struct restore *r, const struct sql_item *it, const struct sql_stmt *st)
{
	const struct sql_toc *t = it->toc;
	char sql[8 * SQL_NAME_MAX];

	r->entry_began = true;
	r->entries++;
	if (r->out && r->toc_len) {
		emit(r, r->toc_text, r->toc_len);
		r->toc_len = 0;
	}
	if (t == NULL)
		return 0;
	r->target[0] = '\0';
	if (st->has_rel) {
		if (r->o->has_into && is_src(r, &st->rel, t))
			into_name(r, &st->rel, r->target);
		else
			sql_quote_qualified(r->target, st->rel.schema[0] ? st->rel.schema : NULL, st->rel.name);
	}
	if (r->o->clean) {
		clean_sql(r, t, sql, sizeof(sql));
		if (sql[0] && own(r, sql, it) != 0)
			return -1;
	}
	if (strcmp(t->type, "TABLE DATA") == 0 && r->target[0] &&
	    (st->kind == STMT_COPY || st->kind == STMT_INSERT)) {
		if (r->o->truncate) {
			snprintf(sql, sizeof(sql), "TRUNCATE ONLY %s;", r->target);
			if (own(r, sql, it) != 0)
				return -1;
		}
		if (r->o->disable_triggers) {
			snprintf(sql, sizeof(sql), "ALTER TABLE %s DISABLE TRIGGER ALL;", r->target);
			if (own(r, sql, it) != 0)
				return -1;
			r->triggers_off = true;
		}
	}
	return 0;
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
	free(r->seqs);
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
		if (sqlr_next(rd, &it) != 0)
			die(EXIT_DATA, "%s: read error:", name);
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
	uint64_t rows;
	int rc = 0;

	r->t0 = now();
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
		if (it.kind == SQL_COPY_DATA)
			r->sent_rows += it.rows;
		show(pr, r, &it);
		progress_update(pr, sqlr_offset(r->rd));
		switch (it.kind) {
		case SQL_END:
			goto end;
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
	if (rc == 0 && r->o->sel.n[SEL_TABLE] > 0 && r->tables == 0) {
		warn("%s: no table matched -t", name);
		rc = -1;
	}
	if (rc != 0 || (r->feed && feed_errors(r->feed) > 0))
		restore_fail(r, r->feed && feed_lost(r->feed) ? EXIT_TRANSIENT : EXIT_DATA);
	return rc;
}
