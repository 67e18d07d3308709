/*
 * A streaming reader of SQL scripts and plain pg_dump output.
 *
 * It splits the input where psql would: statements end at a semicolon
 * outside quotes, comments, parentheses and BEGIN ATOMIC bodies; a backslash
 * outside quotes starts a meta-command that runs to the end of the line; the
 * data of COPY ... FROM stdin follows its statement up to a line "\.". It
 * knows single-quoted strings (standard_conforming_strings on and off, as
 * SET statements in the input switch it), E'' strings, quoted identifiers,
 * dollar quotes with tags, -- and nested block comments.
 *
 * It also follows pg_dump's table-of-contents comments
 * ("-- Name: users; Type: TABLE; Schema: public; Owner: alice") so that each
 * item knows the dump entry it belongs to, and pg_dump's header and trailer
 * comments, so that a dump cut short is recognised.
 *
 * Every item carries its exact input text, so that writing the texts of all
 * items reproduces the input byte for byte. Memory is bounded by the largest
 * statement; COPY data is handed out in pieces of the input buffer.
 */
#ifndef BKPIPE_SQLREAD_H
#define BKPIPE_SQLREAD_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sqlstmt.h"

enum sql_kind {
	SQL_END,		/* end of input: text is empty */
	SQL_BLANK,		/* whitespace and comments only */
	SQL_TOC,		/* blank text ending in a TOC comment: a new entry */
	SQL_STMT,		/* a statement, up to and including its ';' */
	SQL_META,		/* a psql meta-command line, with its newline */
	SQL_COPY_DATA,		/* a piece of COPY FROM stdin data */
	SQL_COPY_END,		/* the "\." line that ends COPY data */
	SQL_BAD,		/* input no consumer may pass on: why says what */
};

/* A pg_dump table-of-contents entry. Strings are NUL-terminated. */
struct sql_toc {
	unsigned id;		/* 1, 2, ... in input order */
	char *name;		/* as pg_dump wrote it: "users", "users users_pkey" */
	char *type;		/* "TABLE", "TABLE DATA", "INDEX", ... */
	char *schema;		/* "-" when the entry has none */
	char *owner;		/* "-" when the entry has none */
	uint64_t line;		/* line of the "-- Name:" comment */
};

struct sql_item {
	enum sql_kind kind;
	const char *text;	/* the exact input bytes of this item */
	size_t len;
	uint64_t line;		/* first line of text (1-based) */
	uint64_t start_line;	/* first line of the statement or command itself */
	const char *body;	/* SQL_STMT/SQL_META: text without leading blanks */
	size_t body_len;
	const struct sql_toc *toc;	/* the entry this item belongs to, or NULL */
	uint64_t rows;		/* SQL_COPY_DATA: lines ending in this piece */
	bool copy;		/* SQL_STMT: a COPY ... FROM stdin; data follows */
	bool incomplete;	/* SQL_STMT at end of input without its ';' */
	bool midstmt;		/* SQL_META found inside an unfinished statement */
	enum sql_sets sets;	/* SQL_STMT: may change how the rest is read */
	const char *why;	/* SQL_BAD: what is wrong */
};

/* Where the input stands with respect to pg_dump's framing comments. */
struct sql_framing {
	bool dump;		/* a "-- PostgreSQL database dump" header was seen */
	bool open;		/* ... and its "dump complete" trailer was not (yet) */
	bool cluster;		/* a pg_dumpall header was seen */
	bool cluster_open;	/* ... and its trailer was not (yet) */
	bool restricted;	/* a \\restrict without its \\unrestrict (yet) */
	uint64_t last_line;	/* last line read */
};

struct sqlr;

/* Read from fd; bufsize 0 picks the default (256 KiB). NULL: out of memory. */
struct sqlr *sqlr_new(int fd, size_t bufsize);
void sqlr_free(struct sqlr *r);

/*
 * Fill the buffer for a first look at the input (sniffing), without
 * consuming it. Returns the number of bytes available (0 at end of input,
 * -1 on a read error with errno set).
 */
long sqlr_peek(struct sqlr *r, const unsigned char **p);

/*
 * A first look at the input, as the programs that read SQL take it: 0
 * when it may be SQL; 1 when its first bytes are not (compressed data, an
 * archive, binary), with *why saying so and what to do (see
 * sniff_not_sql; it may be written to buf); -1 on a read error (errno).
 */
int sqlr_not_sql(struct sqlr *r, const char **why, char *buf, size_t len);

/*
 * The next item. Returns 0 with *it filled, or -1 on a read error (errno)
 * or when out of memory (errno ENOMEM). The item's pointers stay valid until
 * the next call.
 */
int sqlr_next(struct sqlr *r, struct sql_item *it);

/* A read interrupted by a signal gives up (EINTR) once *flag is set. */
void sqlr_set_interrupt(struct sqlr *r, volatile sig_atomic_t *flag);

const struct sql_framing *sqlr_framing(const struct sqlr *r);

/* Bytes consumed so far (for progress). */
uint64_t sqlr_offset(const struct sqlr *r);

/*
 * Whether standard_conforming_strings is on at this point of the input.
 * Without a server the reader follows the input's SET statements (an item
 * whose sets is SQL_SETS_UNKNOWN leaves it unsure); with one, the caller
 * tells it what the server reports (sqlr_set_lexer) before the next item.
 */
bool sqlr_std_strings(const struct sqlr *r);

/* The client_encoding the input or the caller named, or "". */
const char *sqlr_encoding(const struct sqlr *r);

/* What the server reports: read the rest with these settings. */
void sqlr_set_lexer(struct sqlr *r, bool std, const char *encoding);

/* Statements read so far (SQL_STMT items). */
uint64_t sqlr_statements(const struct sqlr *r);

/*
 * Why the input cannot be read on after item it, or NULL: an SQL_BAD item;
 * and, when no server tells the reader its settings (server false), a
 * statement that changes them in a way the reader cannot follow, or a
 * client encoding it cannot read.
 */
const char *sqlr_problem(const struct sqlr *r, const struct sql_item *it, bool server);

/*
 * Truncation: the input began as a pg_dump and its trailer is missing, or
 * a \\restrict was not followed by its \\unrestrict.
 */
bool sqlr_truncated(const struct sqlr *r);

/* The trailer comment a truncated input lacks, for messages. */
const char *sqlr_missing_trailer(const struct sqlr *r);

#endif
