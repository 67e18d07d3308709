/*
 * psql's meta-commands, read as psql reads them. From its first backslash
 * a line may hold several commands ("\set ON_ERROR_STOP on \connect db"):
 * each is a name, up to whitespace or a backslash, and arguments separated
 * by whitespace. An unquoted backslash begins the next command; "\\" ends
 * the commands, and psql reads the rest of the line as SQL. An argument may
 * mix plain text, '...' (with '' and psql's backslash escapes) and "..."
 * (whose quotes psql keeps for most commands). psql runs `...` as a shell
 * command and replaces :name, :'name' and :"name" with variables; pgfeed
 * does neither, so the parser refuses them rather than pass them on.
 */
#ifndef BKPIPE_SQLMETA_H
#define BKPIPE_SQLMETA_H

#include <stdbool.h>
#include <stddef.h>

#define SQL_META_CMDS 8		/* commands on one line, at most */
#define SQL_META_ARGS 4		/* arguments of one command, at most */

struct sql_meta_cmd {
	const char *name;		/* into the line: "connect" for "\connect" */
	size_t name_len;
	size_t nargs;
	char *arg[SQL_META_ARGS];	/* as psql would pass them on, malloc'd */
	bool dquoted[SQL_META_ARGS];	/* the argument had a "..." part */
};

struct sql_meta {
	size_t n;
	struct sql_meta_cmd cmd[SQL_META_CMDS];
};

/*
 * Parse a meta-command line from its backslash (body, len bytes, with or
 * without its newline). 0, or -1 with *why saying what psql would do that
 * pgfeed will not; m holds what was parsed and is freed with sql_meta_free
 * either way. -1 with errno ENOMEM when out of memory.
 */
int sql_meta_parse(const char *body, size_t len, struct sql_meta *m, const char **why);
void sql_meta_free(struct sql_meta *m);

/* The command is name ("connect", "."). */
bool sql_meta_is(const struct sql_meta_cmd *c, const char *name);

#endif
