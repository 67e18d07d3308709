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
};

void sql_lex_init(struct sql_lex *l, const char *p, size_t len, bool std);
enum sql_tok_kind sql_lex_next(struct sql_lex *l, struct sql_tok *t);

/* A word, case-insensitively; or one punctuation byte. */
bool sql_tok_is(const struct sql_tok *t, const char *s);

#define SQL_NAME_MAX 256

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

/* SET standard_conforming_strings: 1 on, 0 off, -1 not such a statement. */
int sql_set_std_strings(const char *p, size_t len, bool std);

/*
 * Write ident quoted as PostgreSQL's quote_ident() would into out (size at
 * least 2 * strlen + 3). Returns out.
 */
char *sql_quote_ident(char *out, const char *ident);

/* [SCHEMA.]NAME quoted: out has room for 4 * SQL_NAME_MAX + 8 bytes. */
char *sql_quote_qualified(char *out, const char *schema, const char *name);

/* The meta-command's name: "connect" for "\connect foo" or "\c foo". */
size_t sql_meta_name(const char *body, size_t len, const char **name);

/* A meta-command's argument, trimmed, into out (cut to cap). */
void sql_meta_arg(const char *body, size_t len, char *out, size_t cap);

/*
 * The database of psql's \connect [-reuse-previous=on] DBNAME or
 * "dbname='x'" (a conninfo string: its dbname). malloc'd; NULL when out
 * of memory or when a conninfo string names no database.
 */
char *sql_connect_dbname(const char *body, size_t len);

/* Transaction control: 1 BEGIN/START/COMMIT/END, -1 ROLLBACK/ABORT/PREPARE TRANSACTION, 0 other. */
int sql_txn_control(const char *p, size_t len);

#endif
