/*
 * A look inside one complete SQL statement: its tokens, what kind of
 * statement it is, the table it is about and where that name is written,
 * and the rows of an INSERT. Enough to select, count and rename what
 * pg_dump writes; not a parser of SQL.
 */
#ifndef BKPIPE_SQLSTMT_H
#define BKPIPE_SQLSTMT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "strbuf.h"

enum sql_tok_kind {
	TOK_END,
	TOK_WORD,		/* a keyword or unquoted identifier */
	TOK_QIDENT,		/* "quoted identifier" */
	TOK_STRING,		/* '...', E'...', $tag$...$tag$ */
	TOK_NUMBER,
	TOK_OP,			/* punctuation and operators, one byte each */
};

struct sql_tok {
	enum sql_tok_kind kind;
	const char *p;
	size_t len;
};

struct sql_lex {
	const char *p, *end;
	bool std;		/* standard_conforming_strings */
	bool *long_name;	/* set when a name is longer than a name can be, or NULL */
};

void sql_lex_init(struct sql_lex *l, const char *p, size_t len, bool std);
enum sql_tok_kind sql_lex_next(struct sql_lex *l, struct sql_tok *t);

/* A word, case-insensitively; or one punctuation byte. */
bool sql_tok_is(const struct sql_tok *t, const char *s);

/*
 * Room for one name: PostgreSQL keeps at most NAMEDATALEN - 1 = 63 bytes of
 * an identifier, and pg_dump writes no longer ones. A longer name in the
 * input is not taken for a name.
 */
#define SQL_NAME_MAX 64

/* A possibly qualified name, as the server would resolve its spelling. */
struct sql_name {
	char schema[SQL_NAME_MAX];	/* "" when not qualified */
	char name[SQL_NAME_MAX];
	size_t start, end;		/* where it is written in the statement */
};

enum sql_stmt_kind {
	STMT_OTHER,
	STMT_CREATE_TABLE,
	STMT_COPY,		/* COPY ... FROM stdin */
	STMT_INSERT,
	STMT_ALTER_TABLE,	/* ALTER TABLE [ONLY] rel ... */
	STMT_CREATE_INDEX,	/* CREATE [UNIQUE] INDEX obj ON [ONLY] rel */
	STMT_CREATE_TRIGGER,	/* CREATE [CONSTRAINT] TRIGGER obj ... ON rel */
	STMT_CREATE_POLICY,	/* CREATE POLICY obj ON rel */
	STMT_COMMENT,		/* COMMENT ON TABLE|COLUMN rel... */
	STMT_GRANT,		/* GRANT or REVOKE */
	STMT_OWNER,		/* ALTER ... OWNER TO */
	STMT_SESSION_AUTH,	/* SET/RESET SESSION AUTHORIZATION */
	STMT_OWNED_BY,		/* ALTER SEQUENCE obj OWNED BY rel.column */
};

struct sql_stmt {
	enum sql_stmt_kind kind;
	bool has_rel;
	struct sql_name rel;	/* the table the statement is about */
	bool has_obj;
	struct sql_name obj;	/* the index, constraint or trigger it creates */
	bool partitioned;	/* CREATE TABLE ... PARTITION BY: holds no rows itself */
	bool long_name;		/* a name in it is longer than SQL_NAME_MAX - 1 bytes */
};

/* Describe the statement text p..len. */
void sql_stmt_parse(const char *p, size_t len, bool std, struct sql_stmt *s);

/*
 * The rows of an INSERT ... VALUES (a, ...), (b, ...): a scan of the whole
 * statement, so only for those who count. false when they cannot be told
 * (INSERT ... SELECT).
 */
bool sql_insert_rows(const char *p, size_t len, bool std, uint64_t *rows);

/* COPY ... FROM stdin (data follows in the input). */
bool sql_is_copy_from_stdin(const char *p, size_t len, bool std);

/*
 * Whether a statement changes how the rest of the script is read: the
 * server's standard_conforming_strings or client_encoding. KNOWN: ls says
 * to what (std -1 and encoding "" for what it leaves alone); UNKNOWN: it may
 * change them in a way only the server can tell (RESET, SET ... DEFAULT,
 * SET LOCAL, set_config, UPDATE pg_settings).
 */
enum sql_sets { SQL_SETS_NONE, SQL_SETS_KNOWN, SQL_SETS_UNKNOWN };

struct sql_lexset {
	int std;			/* 1 on, 0 off, -1 not changed */
	char encoding[SQL_NAME_MAX];	/* the new client_encoding, or "" */
};

enum sql_sets sql_lexer_setting(const char *p, size_t len, bool std, struct sql_lexset *ls);

/*
 * Whether a script in client encoding name can be read a byte at a time:
 * false for the client-only encodings whose second bytes include '\'
 * (BIG5, GBK, GB18030, SJIS, SHIFT_JIS_2004, UHC, JOHAB).
 */
bool sql_encoding_readable(const char *name);

/* A boolean as the server and psql read one (on, off, true, no, 1, ...): 1, 0, or -1. */
int sql_bool(const char *v);

/* Append ident quoted as PostgreSQL's quote_ident() would. 0, or -1 when out of memory. */
int sql_quote_ident(struct strbuf *out, const char *ident);

/* Append [SCHEMA.]NAME, each part quoted. 0 or -1. */
int sql_quote_qualified(struct strbuf *out, const char *schema, const char *name);

/* A name PostgreSQL can hold: not empty, at most SQL_NAME_MAX - 1 bytes. */
bool sql_name_ok(const char *name);

/*
 * A routine's argument list as pg_dump names it in a TOC entry,
 * "(integer, character varying, public.t[])": type names, commas, dots,
 * brackets and parentheses only, and nothing after the last ")".
 */
bool sql_routine_args_ok(const char *args);

/* Transaction control: 1 BEGIN/START/COMMIT/END, -1 ROLLBACK/ABORT/PREPARE TRANSACTION, 0 other. */
int sql_txn_control(const char *p, size_t len);

#endif
