#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sniff.h"
#include "sqlread.h"
#include "sqlmeta.h"
#include "sqlstmt.h"
#include "strbuf.h"

#define DEFAULT_BUF (256 * 1024)

enum lex {
	L_NORMAL,
	L_DASH,			/* a '-': a comment if another follows */
	L_SLASH,		/* a '/': a block comment if '*' follows */
	L_LINECOMMENT,
	L_BLOCKCOMMENT,
	L_SQUOTE,		/* '...' without backslash escapes */
	L_ESTRING,		/* '...' with backslash escapes */
	L_ESCAPE,		/* the byte after a backslash in an escape string */
	L_SQUOTE_END,		/* a quote ended a string, unless another follows */
	L_ESTRING_END,
	L_DQUOTE,
	L_DQUOTE_END,
	L_DOLLAR_OPEN,		/* after '$': reading a tag */
	L_DOLLAR,		/* inside a dollar-quoted string */
	L_META,			/* a backslash command, to the end of the line */
};

struct sqlr {
	int fd;
	unsigned char *in;
	size_t cap, pos, end;
	bool eof;
	unsigned char lastc;	/* the last byte read */
	uint64_t consumed;	/* bytes before in[0] */
	uint64_t line;		/* line of in[pos] */

	struct strbuf acc;	/* the item being collected */
	struct strbuf meta;	/* a meta-command inside a statement */
	struct strbuf tag;	/* the current dollar-quote tag */
	uint64_t acc_line;

	enum lex st;
	bool blank;		/* acc holds only whitespace and comments */
	bool bol;		/* at the beginning of a line */
	bool ident;		/* the last byte in L_NORMAL was part of a word */
	bool comment_bol;	/* the line comment began in column 0 */
	bool std;		/* standard_conforming_strings */
	char encoding[SQL_NAME_MAX];	/* client_encoding, when a SET named it */
	bool maysets;		/* the statement may change std or encoding */
	bool uamp;		/* the last two bytes were a word "U" and "&" */
	uint64_t stmts;		/* statements handed out */
	size_t body;		/* where the statement starts in acc */
	uint64_t body_line;
	size_t comment;		/* where the line comment starts in acc */
	size_t dmatch;		/* bytes of the closing "$tag$" matched */
	int depth;		/* block comment nesting */
	int paren;
	int begin;		/* BEGIN ATOMIC ... END nesting */
	char cprev;		/* previous byte in a block comment */

	/* Words of the statement, for BEGIN ATOMIC bodies as psql tracks them. */
	char word[12];
	size_t wordlen;
	bool wordbad;		/* a number, or too long to be a keyword */
	bool wordnum;		/* a number */
	unsigned nwords;
	char first[4];

	bool copy;		/* in COPY data */
	bool copy_bol;
	bool skip_line;		/* rest of the COPY statement's line */
	bool reset;		/* acc was returned: start afresh */
	bool meta_mid;		/* reading a meta-command inside a statement */
	bool meta_out;		/* ... which was returned from meta */
	size_t meta_at;		/* where it starts in acc */
	uint64_t meta_line;

	volatile sig_atomic_t *stop;	/* set by a signal handler: reads give up */
	struct sql_toc toc;
	bool have_toc;
	struct sql_framing fr;
};

struct sqlr *
sqlr_new(int fd, size_t bufsize)
{
	struct sqlr *r = calloc(1, sizeof(*r));

	if (r == NULL)
		return NULL;
	r->fd = fd;
	r->cap = bufsize ? bufsize : DEFAULT_BUF;
	if (r->cap < 16)
		r->cap = 16;
	if ((r->in = malloc(r->cap)) == NULL) {
		free(r);
		return NULL;
	}
	r->line = 1;
	r->blank = true;
	r->bol = true;
	r->std = true;
	return r;
}

static void
toc_clear(struct sql_toc *t)
{
	free(t->name);
	free(t->type);
	free(t->schema);
	free(t->owner);
	t->name = t->type = t->schema = t->owner = NULL;
}

void
sqlr_free(struct sqlr *r)
{
	if (r == NULL)
		return;
	toc_clear(&r->toc);
	free(r->in);
	free(r->acc.p);
	free(r->meta.p);
	free(r->tag.p);
	free(r);
}

/* Read more input after in[end], moving unread bytes to the front. */
static int
fill(struct sqlr *r)
{
	ssize_t n;

	if (r->eof)
		return 0;
	if (r->pos > 0) {
		memmove(r->in, r->in + r->pos, r->end - r->pos);
		r->consumed += r->pos;
		r->end -= r->pos;
		r->pos = 0;
	}
	if (r->end == r->cap)
		return 0;
	do
		n = read(r->fd, r->in + r->end, r->cap - r->end);
	while (n < 0 && errno == EINTR && !(r->stop && *r->stop));
	if (n < 0)
		return -1;
	if (n == 0)
		r->eof = true;
	else
		r->lastc = r->in[r->end + (size_t)n - 1];
	r->end += (size_t)n;
	return 0;
}

long
sqlr_peek(struct sqlr *r, const unsigned char **p)
{
	while (!r->eof && r->end - r->pos < 512 && r->end < r->cap)
		if (fill(r) != 0)
			return -1;
	*p = r->in + r->pos;
	return (long)(r->end - r->pos);
}

int
sqlr_not_sql(struct sqlr *r, const char **why, char *buf, size_t len)
{
	const unsigned char *p;
	long n = sqlr_peek(r, &p);

	if (n < 0)
		return -1;
	*why = sniff_not_sql(p, (size_t)n, buf, len);
	return *why != NULL;
}

void
sqlr_set_interrupt(struct sqlr *r, volatile sig_atomic_t *flag)
{
	r->stop = flag;
}

const struct sql_framing *
sqlr_framing(const struct sqlr *r)
{
	return &r->fr;
}

uint64_t
sqlr_offset(const struct sqlr *r)
{
	return r->consumed + r->pos;
}

bool
sqlr_std_strings(const struct sqlr *r)
{
	return r->std;
}

void
sqlr_set_lexer(struct sqlr *r, bool std, const char *encoding)
{
	r->std = std;
	snprintf(r->encoding, sizeof(r->encoding), "%s", encoding ? encoding : "");
}

const char *
sqlr_encoding(const struct sqlr *r)
{
	return r->encoding;
}

uint64_t
sqlr_statements(const struct sqlr *r)
{
	return r->stmts;
}

const char *
sqlr_problem(const struct sqlr *r, const struct sql_item *it, bool server)
{
	if (it->kind == SQL_BAD)
		return it->why;
	if (server || it->kind != SQL_STMT || it->sets == SQL_SETS_NONE)
		return NULL;
	if (it->sets == SQL_SETS_UNKNOWN)
		return "this statement may change standard_conforming_strings or client_encoding in a way "
		    "only a server can tell, and the rest of the input cannot be read without knowing";
	if (!sql_encoding_readable(r->encoding))
		return "a client_encoding whose bytes include backslashes (BIG5, GBK, GB18030, SJIS, "
		    "SHIFT_JIS_2004, UHC, JOHAB) cannot be read safely; dump with -E UTF8";
	return NULL;
}

bool
sqlr_truncated(const struct sqlr *r)
{
	return (r->fr.dump && r->fr.open) || (r->fr.cluster && r->fr.cluster_open) || r->fr.restricted;
}

const char *
sqlr_missing_trailer(const struct sqlr *r)
{
	if (r->fr.dump && r->fr.open)
		return "-- PostgreSQL database dump complete";
	if (r->fr.cluster && r->fr.cluster_open)
		return "-- PostgreSQL database cluster dump complete";
	return "\\unrestrict";
}

static bool
is_word_start(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c >= 0x80;
}

static bool
is_word(unsigned char c)
{
	return is_word_start(c) || (c >= '0' && c <= '9') || c == '$';
}

static bool
is_space(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

/*
 * A word ended. psql keeps semicolons inside the BEGIN ... END body of
 * CREATE [OR REPLACE] FUNCTION|PROCEDURE (SQL-standard bodies) from ending
 * the statement; so do we, by the same rule.
 */
static void
word_end(struct sqlr *r)
{
	static const char *const tracked[] = { "create", "function", "procedure", "or", "replace" };
	char w[sizeof(r->word) + 1];
	size_t i;

	if (r->wordlen == 0)
		return;
	if (r->wordbad) {
		if (!r->wordnum)
			r->nwords++;
		r->wordlen = 0;
		return;
	}
	for (i = 0; i < r->wordlen; i++)
		w[i] = (char)((r->word[i] >= 'A' && r->word[i] <= 'Z') ? r->word[i] + 32 : r->word[i]);
	w[i] = '\0';
	r->wordlen = 0;
	if (r->nwords < sizeof(r->first)) {
		r->first[r->nwords] = 0;
		for (i = 0; i < sizeof(tracked) / sizeof(tracked[0]); i++)
			if (strcmp(w, tracked[i]) == 0)
				r->first[r->nwords] = w[0];
	}
	if ((r->nwords == 0 && (strcmp(w, "set") == 0 || strcmp(w, "reset") == 0)) ||
	    strcmp(w, "set_config") == 0 || strcmp(w, "pg_settings") == 0)
		r->maysets = true;
	r->nwords++;
	if (r->first[0] == 'c' && r->paren == 0 && (r->first[1] == 'f' || r->first[1] == 'p' ||
	    (r->first[1] == 'o' && r->first[2] == 'r' && (r->first[3] == 'f' || r->first[3] == 'p')))) {
		if (strcmp(w, "begin") == 0)
			r->begin++;
		else if (strcmp(w, "case") == 0 && r->begin > 0)
			r->begin++;
		else if (strcmp(w, "end") == 0 && r->begin > 0)
			r->begin--;
	}
}

static char *
dupn(const char *p, size_t n)
{
	char *s = malloc(n + 1);

	if (s) {
		memcpy(s, p, n);
		s[n] = '\0';
	}
	return s;
}

/* "Name: X; Type: T; Schema: S; Owner: O[; Tablespace: TS]" into t. */
static int
parse_toc(const char *p, size_t n, struct sql_toc *t)
{
	static const char *const keys[] = { "; Type: ", "; Schema: ", "; Owner: " };
	const char *end = p + n, *field[4], *stop[4];
	size_t i;

	field[0] = p;
	for (i = 0; i < 3; i++) {
		const char *k = NULL, *q;
		size_t kl = strlen(keys[i]);

		for (q = field[i]; q + kl <= end; q++)
			if (memcmp(q, keys[i], kl) == 0) {
				k = q;
				break;
			}
		if (k == NULL)
			return 1;
		stop[i] = k;
		field[i + 1] = k + kl;
	}
	stop[3] = end;
	for (const char *q = field[3]; q + 14 <= end; q++)
		if (memcmp(q, "; Tablespace: ", 14) == 0) {
			stop[3] = q;
			break;
		}
	toc_clear(t);
	t->name = dupn(field[0], (size_t)(stop[0] - field[0]));
	t->type = dupn(field[1], (size_t)(stop[1] - field[1]));
	t->schema = dupn(field[2], (size_t)(stop[2] - field[2]));
	t->owner = dupn(field[3], (size_t)(stop[3] - field[3]));
	if (!t->name || !t->type || !t->schema || !t->owner) {
		errno = ENOMEM;
		return -1;
	}
	return 0;
}

static bool
line_is(const char *p, size_t n, const char *s)
{
	size_t l = strlen(s);

	if (n > 0 && p[n - 1] == '\r')
		n--;
	return n == l && memcmp(p, s, l) == 0;
}

/*
 * A line comment in column 0 between statements ended; p..n is the line
 * without its newline. Returns 1 when it began a TOC entry, 0 when not,
 * -1 when out of memory.
 */
static int
comment_line(struct sqlr *r, const char *p, size_t n, uint64_t line)
{
	static const char data_for[] = "-- Data for Name: ";
	static const char name[] = "-- Name: ";
	int rc;

	if (line_is(p, n, "-- PostgreSQL database dump")) {
		r->fr.dump = r->fr.open = true;
	} else if (line_is(p, n, "-- PostgreSQL database dump complete")) {
		r->fr.open = false;
	} else if (line_is(p, n, "-- PostgreSQL database cluster dump")) {
		r->fr.cluster = r->fr.cluster_open = true;
	} else if (line_is(p, n, "-- PostgreSQL database cluster dump complete")) {
		r->fr.cluster_open = false;
	} else {
		size_t skip = 0;

		if (n >= sizeof(data_for) - 1 && memcmp(p, data_for, sizeof(data_for) - 1) == 0)
			skip = sizeof(data_for) - 1;
		else if (n >= sizeof(name) - 1 && memcmp(p, name, sizeof(name) - 1) == 0)
			skip = sizeof(name) - 1;
		if (skip == 0)
			return 0;
		if (n > 0 && p[n - 1] == '\r')
			n--;
		if ((rc = parse_toc(p + skip, n - skip, &r->toc)) != 0)
			return rc < 0 ? -1 : 0;
		r->toc.id++;
		r->toc.line = line;
		r->have_toc = true;
		return 1;
	}
	return 0;
}

static void
item_init(struct sqlr *r, struct sql_item *it, enum sql_kind k)
{
	memset(it, 0, sizeof(*it));
	it->kind = k;
	it->text = r->acc.p ? r->acc.p : "";
	it->len = r->acc.len;
	it->line = r->acc_line;
	it->start_line = r->acc_line;
	it->toc = r->have_toc ? &r->toc : NULL;
}

static void
stmt_reset(struct sqlr *r)
{
	r->st = L_NORMAL;
	r->blank = true;
	r->ident = false;
	r->paren = 0;
	r->begin = 0;
	r->wordlen = 0;
	r->nwords = 0;
	r->maysets = false;
	r->uamp = false;
	memset(r->first, 0, sizeof(r->first));
}

/* A complete statement is in acc: describe it in it. */
static void
stmt_item(struct sqlr *r, struct sql_item *it, bool complete)
{
	struct sql_lexset ls;

	item_init(r, it, SQL_STMT);
	it->body = r->acc.p + r->body;
	it->body_len = r->acc.len - r->body;
	it->start_line = r->body_line;
	it->incomplete = !complete;
	r->stmts++;
	if (complete && sql_is_copy_from_stdin(it->body, it->body_len, r->std)) {
		it->copy = true;
		r->copy = true;
		r->copy_bol = true;
		r->skip_line = true;
	}
	if (complete && r->maysets) {
		it->sets = sql_lexer_setting(it->body, it->body_len, r->std, &ls);
		if (it->sets == SQL_SETS_KNOWN && ls.std >= 0)
			r->std = ls.std != 0;
		if (it->sets == SQL_SETS_KNOWN && ls.encoding[0])
			memcpy(r->encoding, ls.encoding, sizeof(r->encoding));
	}
	stmt_reset(r);
}

/*
 * After COPY ... FROM stdin; psql reads the rest of its line as SQL once the
 * data has been sent: only blanks and a comment may be there.
 */
static bool
copy_tail_ok(const char *p, size_t n)
{
	size_t i = 0;

	if (n > 0 && p[n - 1] == '\n')
		n--;
	if (n > 0 && p[n - 1] == '\r')
		n--;
	while (i < n && (p[i] == ' ' || p[i] == '\t' || p[i] == '\f'))
		i++;
	/* A comment ends at CR for the server: nothing may follow one. */
	return i == n || (n - i >= 2 && p[i] == '-' && p[i + 1] == '-' && memchr(p + i, '\r', n - i) == NULL);
}

/* psql's \restrict and \unrestrict frame a dump: one without the other is a cut. */
static void
meta_seen(struct sqlr *r, const struct sql_item *it)
{
	struct sql_meta m;
	const char *why;

	if (sql_meta_parse(it->body, it->body_len, &m, &why) == 0) {
		for (size_t i = 0; i < m.n; i++) {
			if (sql_meta_is(&m.cmd[i], "restrict"))
				r->fr.restricted = true;
			else if (sql_meta_is(&m.cmd[i], "unrestrict"))
				r->fr.restricted = false;
		}
	}
	sql_meta_free(&m);
}

/* The next piece of COPY data. 1: end of input. */
static int
copy_piece(struct sqlr *r, struct sql_item *it)
{
	const unsigned char *p, *start, *end, *nl;
	uint64_t rows;

	for (;;) {
		size_t avail = r->end - r->pos;

		if ((avail == 0 || (r->copy_bol && avail < 4)) && !r->eof) {
			if (fill(r) != 0)
				return -1;
			if (r->end - r->pos > avail || r->eof)
				continue;
		}
		if (avail == 0 && r->eof)
			return 1;
		start = r->in + r->pos;
		end = r->in + r->end;
		memset(it, 0, sizeof(*it));
		it->toc = r->have_toc ? &r->toc : NULL;
		it->line = it->start_line = r->line;
		if (r->copy_bol && start[0] == '\\' && end - start >= 2 && start[1] == '.') {
			size_t n = 0;

			if (end - start >= 3 && start[2] == '\n')
				n = 3;
			else if (end - start >= 4 && start[2] == '\r' && start[3] == '\n')
				n = 4;
			else if (r->eof && (end - start == 2 || (end - start == 3 && start[2] == '\r')))
				n = (size_t)(end - start);
			if (n > 0) {
				it->kind = SQL_COPY_END;
				it->text = (const char *)start;
				it->len = n;
				r->pos += n;
				if (start[n - 1] == '\n')
					r->line++;
				r->copy = false;
				return 0;
			}
		}
		/* Whole lines, stopping before a line that may be "\." */
		rows = 0;
		p = start;
		while (p < end && (nl = memchr(p, '\n', (size_t)(end - p))) != NULL) {
			rows++;
			p = nl + 1;
			if (p < end && p[0] == '\\' && ((end - p < 4 && !r->eof) ||
			    (end - p >= 2 && p[1] == '.')))
				break;
		}
		if (p == start && !r->eof && (r->pos > 0 || r->end < r->cap)) {
			/* Not one whole line yet: read more first. */
			if (fill(r) != 0)
				return -1;
			continue;
		}
		if (p == start)
			p = end;	/* a line longer than the buffer */
		it->kind = SQL_COPY_DATA;
		it->text = (const char *)start;
		it->len = (size_t)(p - start);
		it->rows = rows;
		r->pos += it->len;
		r->line += rows;
		r->copy_bol = p[-1] == '\n';
		return 0;
	}
}

/*
 * A meta-command inside an unfinished statement, the last bytes of acc from
 * meta_at: handed out alone, the statement kept to go on. 0 or -1.
 */
static int
mid_meta(struct sqlr *r, struct sql_item *it)
{
	if (strbuf_add(&r->meta, r->acc.p + r->meta_at, r->acc.len - r->meta_at) != 0)
		return -1;
	r->acc.len = r->meta_at;
	r->meta_mid = false;
	r->meta_out = true;
	memset(it, 0, sizeof(*it));
	it->kind = SQL_META;
	it->text = it->body = r->meta.p;
	it->len = it->body_len = r->meta.len;
	it->line = it->start_line = r->meta_line;
	it->toc = r->have_toc ? &r->toc : NULL;
	it->midstmt = true;
	meta_seen(r, it);
	return 0;
}

static int
next_item(struct sqlr *r, struct sql_item *it)
{
	size_t i, span;
	int rc;

	if (r->reset) {
		r->acc.len = 0;
		r->reset = false;
	}
	if (r->meta_out) {
		r->meta.len = 0;
		r->meta_out = false;
	}
	/* The rest of a COPY statement's line is not data. */
	if (r->copy && r->skip_line)
		r->acc_line = r->line;
	while (r->copy && r->skip_line) {
		unsigned char *nl;

		if (r->pos == r->end) {
			if (r->eof)
				break;
			if (fill(r) != 0)
				return -1;
			continue;
		}
		nl = memchr(r->in + r->pos, '\n', r->end - r->pos);
		i = nl ? (size_t)(nl - r->in) + 1 : r->end;
		if (strbuf_add(&r->acc, r->in + r->pos, i - r->pos) != 0)
			return -1;
		r->pos = i;
		if (nl) {
			r->line++;
			r->skip_line = false;
			r->copy_bol = true;
		}
	}
	if (r->copy && r->acc.len > 0) {
		/* Hand out the end of the COPY line as a blank item first. */
		item_init(r, it, SQL_BLANK);
		if (!copy_tail_ok(r->acc.p, r->acc.len)) {
			it->kind = SQL_BAD;
			it->why = "text after COPY ... FROM stdin; on its line (psql would run it after the data)";
		}
		r->reset = true;
		return 0;
	}
	if (r->copy) {
		rc = copy_piece(r, it);
		if (rc <= 0)
			return rc;
		r->copy = false;	/* end of input inside COPY data */
	}
	if (r->acc.len == 0)
		r->acc_line = r->line;

	for (;;) {
		if (r->pos == r->end) {
			if (r->eof)
				break;
			r->consumed += r->pos;
			r->pos = r->end = 0;
			if (fill(r) != 0)
				return -1;
			continue;
		}
		span = r->pos;
		for (i = r->pos; i < r->end; i++) {
			unsigned char c = r->in[i];
			size_t at = r->acc.len + (i - span);	/* c's offset in acc */

again:
			switch (r->st) {
			case L_NORMAL: {
				bool estr, plain, uamp = r->uamp;

				r->uamp = false;
				if (is_space(c)) {
					word_end(r);
					r->ident = false;
					if (c == '\n') {
						r->line++;
						r->bol = true;
						continue;
					}
					break;
				}
				if (r->blank && c != '-' && c != '/' && c != '\\') {
					r->blank = false;
					r->body = at;
					r->body_line = r->line;
				}
				/* After a number, '$' may open a dollar quote, as in the server. */
				if (is_word(c) && (c != '$' || (r->ident && !r->wordnum))) {
					if (!r->ident)
						r->wordbad = r->wordnum = !is_word_start(c);
					if (r->wordlen < sizeof(r->word))
						r->word[r->wordlen++] = (char)c;
					else
						r->wordbad = true;
					r->ident = true;
					break;
				}
				estr = c == '\'' && r->ident && !r->wordbad && r->wordlen == 1 &&
				    (r->word[0] == 'e' || r->word[0] == 'E');
				/* b'', x'' and U&'': no backslash escapes, whatever the setting. */
				plain = c == '\'' && (uamp || (r->ident && !r->wordbad && r->wordlen == 1 &&
				    strchr("bBxX", r->word[0]) != NULL));
				if (c == '&' && r->ident && !r->wordbad && r->wordlen == 1 &&
				    (r->word[0] == 'u' || r->word[0] == 'U'))
					r->uamp = true;
				if (estr || plain)
					r->wordlen = 0;
				word_end(r);
				r->ident = false;
				switch (c) {
				case '$':
					r->st = L_DOLLAR_OPEN;
					r->tag.len = 0;
					break;
				case '-':
				case '/':
					r->st = c == '-' ? L_DASH : L_SLASH;
					r->comment = at;
					r->comment_bol = r->bol;
					break;
				case '\\':
					/* A meta-command: the rest of the line. */
					if (r->blank) {
						r->body = at;
						r->body_line = r->line;
					} else {
						if (strbuf_add(&r->acc, r->in + span, i - span) != 0)
							return -1;
						span = i;
						r->meta_at = r->acc.len;
						r->meta_line = r->line;
						r->meta_mid = true;
					}
					r->st = L_META;
					break;
				case '\'':
					r->st = plain ? L_SQUOTE : estr || !r->std ? L_ESTRING : L_SQUOTE;
					break;
				case '"':
					r->st = L_DQUOTE;
					break;
				case '(':
					r->paren++;
					break;
				case ')':
					if (r->paren > 0)
						r->paren--;
					break;
				case ';':
					if (r->paren > 0 || r->begin > 0)
						break;
					if (strbuf_add(&r->acc, r->in + span, i + 1 - span) != 0)
						return -1;
					r->pos = i + 1;
					r->bol = false;
					stmt_item(r, it, true);
					r->reset = true;
					return 0;
				}
				break;
			}
			case L_DASH:
			case L_SLASH:
				if (r->st == L_DASH && c == '-') {
					r->st = L_LINECOMMENT;
					break;
				}
				if (r->st == L_SLASH && c == '*') {
					r->st = L_BLOCKCOMMENT;
					r->depth = 1;
					r->cprev = 0;
					break;
				}
				/* An operator. */
				if (r->blank) {
					r->blank = false;
					r->body = r->comment;
					r->body_line = r->line;
				}
				r->st = L_NORMAL;
				r->bol = false;
				goto again;
			case L_LINECOMMENT:
				/* The server's lexer ends a comment at CR as well as LF. */
				if (c != '\n' && c != '\r')
					break;
				r->st = L_NORMAL;
				if (c == '\n') {
					r->line++;
					r->bol = true;
				}
				if (r->blank && r->comment_bol) {
					if (strbuf_add(&r->acc, r->in + span, i + 1 - span) != 0)
						return -1;
					span = i + 1;
					rc = comment_line(r, r->acc.p + r->comment, r->acc.len - 1 - r->comment,
					    c == '\n' ? r->line - 1 : r->line);
					if (rc < 0)
						return -1;
					if (rc > 0) {
						r->pos = i + 1;
						item_init(r, it, SQL_TOC);
						it->start_line = r->toc.line;
						r->reset = true;
						return 0;
					}
				}
				if (c == '\r')
					break;
				continue;
			case L_BLOCKCOMMENT:
				if (r->cprev == '/' && c == '*') {
					r->depth++;
					c = 0;
				} else if (r->cprev == '*' && c == '/') {
					if (--r->depth == 0) {
						r->st = L_NORMAL;
						r->bol = false;
						break;
					}
					c = 0;
				}
				if (c == '\n')
					r->line++;
				r->cprev = (char)c;
				continue;
			case L_SQUOTE:
				if (c == '\'')
					r->st = L_SQUOTE_END;
				break;
			case L_ESTRING:
				if (c == '\'')
					r->st = L_ESTRING_END;
				else if (c == '\\')
					r->st = L_ESCAPE;
				break;
			case L_ESCAPE:
				r->st = L_ESTRING;
				break;
			case L_SQUOTE_END:
			case L_ESTRING_END:
				if (c == '\'') {
					r->st = r->st == L_SQUOTE_END ? L_SQUOTE : L_ESTRING;
					break;
				}
				r->st = L_NORMAL;
				goto again;
			case L_DQUOTE:
				if (c == '"')
					r->st = L_DQUOTE_END;
				break;
			case L_DQUOTE_END:
				if (c == '"') {
					r->st = L_DQUOTE;
					break;
				}
				r->st = L_NORMAL;
				r->ident = false;
				goto again;
			case L_DOLLAR_OPEN:
				if (c == '$') {
					r->st = L_DOLLAR;
					r->dmatch = 0;
					break;
				}
				if (is_word_start(c) || (r->tag.len > 0 && c >= '0' && c <= '9')) {
					char ch = (char)c;

					if (strbuf_add(&r->tag, &ch, 1) != 0)
						return -1;
					break;
				}
				/* Not a dollar quote: "$1", an operator. */
				r->st = L_NORMAL;
				r->ident = false;
				goto again;
			case L_DOLLAR: {
				size_t want = r->tag.len + 2;
				char expect = r->dmatch == 0 || r->dmatch == want - 1 ? '$' :
				    r->tag.p[r->dmatch - 1];

				if ((char)c == expect) {
					if (++r->dmatch == want) {
						r->st = L_NORMAL;
						r->ident = false;
					}
				} else {
					r->dmatch = c == '$' ? 1 : 0;
				}
				break;
			}
			case L_META:
				if (c != '\n')
					continue;
				r->line++;
				r->bol = true;
				r->st = L_NORMAL;
				r->pos = i + 1;
				if (r->meta_mid) {
					/* The statement goes on; hand out the command alone. */
					if (strbuf_add(&r->acc, r->in + span, i + 1 - span) != 0)
						return -1;
					return mid_meta(r, it);
				}
				if (strbuf_add(&r->acc, r->in + span, i + 1 - span) != 0)
					return -1;
				item_init(r, it, SQL_META);
				it->body = r->acc.p + r->body;
				it->body_len = r->acc.len - r->body;
				it->start_line = r->body_line;
				meta_seen(r, it);
				stmt_reset(r);
				r->reset = true;
				return 0;
			}
			if (c == '\n') {
				r->line++;
				r->bol = true;
			} else {
				r->bol = false;
			}
		}
		if (strbuf_add(&r->acc, r->in + span, i - span) != 0)
			return -1;
		r->pos = i;
	}
	/* End of input. */
	r->fr.last_line = r->line > 1 && r->lastc == '\n' ? r->line - 1 : r->line;
	if (r->st == L_DASH || r->st == L_SLASH) {
		if (r->blank) {
			r->blank = false;
			r->body = r->comment;
			r->body_line = r->line;
		}
	}
	if (r->st == L_META && r->meta_mid) {
		/* psql runs a command the end cut short too: hand it out first. */
		r->st = L_NORMAL;
		return mid_meta(r, it);
	}
	if (r->acc.len == 0) {
		item_init(r, it, SQL_END);
		it->len = 0;
		return 0;
	}
	if (r->st == L_META && r->blank) {
		item_init(r, it, SQL_META);
		it->body = r->acc.p + r->body;
		it->body_len = r->acc.len - r->body;
		it->start_line = r->body_line;
		meta_seen(r, it);
	} else if (r->blank) {
		item_init(r, it, SQL_BLANK);
	} else {
		stmt_item(r, it, false);
	}
	stmt_reset(r);
	r->reset = true;
	return 0;
}

/*
 * No SQL script holds a NUL byte. libpq would send a statement only up to
 * one, and psql cuts its input line there and joins the next line to it,
 * so a NUL anywhere (a comment, COPY data) could make psql read what
 * follows differently from pgfeed: it is refused wherever it is.
 */
int
sqlr_next(struct sqlr *r, struct sql_item *it)
{
	if (next_item(r, it) != 0)
		return -1;
	if (it->kind != SQL_END && it->kind != SQL_BAD && memchr(it->text, '\0', it->len) != NULL) {
		it->kind = SQL_BAD;
		it->why = "a NUL byte, which no SQL script holds";
	}
	return 0;
}
