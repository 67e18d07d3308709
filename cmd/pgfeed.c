/* pgfeed: run a plain SQL dump in PostgreSQL, whole or in part. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "err.h"
#include "feed.h"
#include "out.h"
#include "pgconn.h"
#include "restore.h"
#include "sqlread.h"
#include "sqlsel.h"

static const char *const helptext[] = {
"Usage: pgfeed [options] [CONNINFO]",
"Run a plain SQL dump (pg_dump or pg_dumpall output, or a psql script) from",
"standard input in the database CONNINFO (a conninfo string or URI; without",
"one, libpq's PG* variables, then DATABASE_URL). The first error stops the",
"run; a dump that lacks pg_dump's closing comment is reported as truncated.",
"",
"Input and running:",
"  -f, --file FILE           read FILE instead of standard input",
"  -1, --single-transaction  all or nothing: commit only if everything ran",
"      --continue-on-error   go on after errors (like psql); exit 1 at the end",
"      --allow-empty         input without any SQL statement is not an error",
"  -l, --list                print the dump's table of contents and exit",
"      --emit                write the selected SQL to standard output; run nothing",
"  -v, --verbose             a summary on standard error at the end",
"      --progress            show progress even when standard error is not a terminal",
"",
"Choosing what to restore (patterns as in pg_dump: [SCHEMA.]NAME, * and ?):",
"  -t, --table PATTERN       only this table: its definition, data, comments, grants",
"  -T, --exclude-table PATTERN",
"  -n, --schema PATTERN      only objects in this schema (which must exist)",
"  -N, --exclude-schema PATTERN",
"  -a, --data-only           only table data",
"  -s, --schema-only         no table data",
"      --section SECTION     pre-data, data or post-data (repeatable)",
"      --with-indexes        with -t: also its indexes, constraints, triggers,",
"                            defaults, policies, rules and sequences",
"      --into [SCHEMA.]NAME  restore the one table chosen with -t under this name",
"",
"Changing how it is restored:",
"      --truncate            empty each table before its data loads",
"      --disable-triggers    disable triggers while data loads",
"  -O, --no-owner            skip ownership (ALTER ... OWNER TO, SET SESSION AUTHORIZATION)",
"  -x, --no-privileges       skip GRANT and REVOKE",
"  -c, --clean               drop each object (IF EXISTS, CASCADE) before creating it",
"      --fk-not-valid        add foreign keys NOT VALID, then validate each: one",
"                            whose rows lost their parents stays NOT VALID, with",
"                            a warning that counts them (the table is kept)",
"",
"  -h, --help                show this help and exit",
"  -V, --version             show the version and exit",
"",
"Exit status: 0 success; 1 an SQL error, a truncated dump or a refused",
"meta-command; 2 usage error or input that is not SQL; 3 could not connect.",
"",
"Examples:",
"  gzcat-verify dump.sql.gz | pgfeed -1 \"$DATABASE_URL\"",
"  pgfeed -t public.users --into users_restored -f dump.sql \"$PROD\"",
"",
"See pgfeed(1).",
NULL,
};

static volatile sig_atomic_t interrupted;
static PGcancel *volatile cancel;

static void
on_signal(int sig)
{
	char buf[256];
	PGcancel *c = cancel;

	(void)sig;
	interrupted = 1;
	if (c)
		PQcancel(c, buf, sizeof(buf));
}

static void
drop_cancel(void)
{
	PGcancel *c = cancel;

	cancel = NULL;
	PQfreeCancel(c);
}

/* \connect: cancel requests go to the new connection. */
static void
reconnected(PGconn *c)
{
	drop_cancel();
	if (c)
		cancel = PQgetCancel(c);
}

static void
usage(FILE *f)
{
	for (const char *const *l = helptext; *l; l++)
		fprintf(f, "%s\n", *l);
}

static void
refuse_input(struct sqlr *rd, const char *name)
{
	char msg[256];
	const char *why;
	int rc = sqlr_not_sql(rd, &why, msg, sizeof(msg));

	if (rc < 0)
		die(EXIT_DATA, "%s: read error:", name);
	if (rc > 0)
		die(EXIT_USAGE, "%s: %s", name, why);
}

int
main(int argc, char *argv[])
{
	enum {
		O_CONT = 256, O_EMIT, O_PROGRESS, O_SECTION, O_WITH_INDEXES, O_INTO, O_TRUNCATE,
		O_DISABLE_TRIGGERS, O_ALLOW_EMPTY, O_FK_NOT_VALID,
	};
	static const struct option longopts[] = {
		{ "file", required_argument, NULL, 'f' },
		{ "single-transaction", no_argument, NULL, '1' },
		{ "continue-on-error", no_argument, NULL, O_CONT },
		{ "allow-empty", no_argument, NULL, O_ALLOW_EMPTY },
		{ "list", no_argument, NULL, 'l' },
		{ "emit", no_argument, NULL, O_EMIT },
		{ "verbose", no_argument, NULL, 'v' },
		{ "progress", no_argument, NULL, O_PROGRESS },
		{ "table", required_argument, NULL, 't' },
		{ "exclude-table", required_argument, NULL, 'T' },
		{ "schema", required_argument, NULL, 'n' },
		{ "exclude-schema", required_argument, NULL, 'N' },
		{ "data-only", no_argument, NULL, 'a' },
		{ "schema-only", no_argument, NULL, 's' },
		{ "section", required_argument, NULL, O_SECTION },
		{ "with-indexes", no_argument, NULL, O_WITH_INDEXES },
		{ "into", required_argument, NULL, O_INTO },
		{ "truncate", no_argument, NULL, O_TRUNCATE },
		{ "disable-triggers", no_argument, NULL, O_DISABLE_TRIGGERS },
		{ "no-owner", no_argument, NULL, 'O' },
		{ "no-privileges", no_argument, NULL, 'x' },
		{ "clean", no_argument, NULL, 'c' },
		{ "fk-not-valid", no_argument, NULL, O_FK_NOT_VALID },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	struct restore_opts o = { 0 };
	struct restore r = { .o = &o, .stop = true };

	struct sigaction sa;
	const char *why, *name = "stdin";
	bool data_only = false, schema_only = false;
	int c, fd = STDIN_FILENO, sections = 0, st;
	struct stat sb;
	r.reconnected = reconnected;
	err_init(argv[0]);
	out_init();
	while ((c = getopt_long(argc, argv, "f:1lvt:T:n:N:asOxchV", longopts, NULL)) != -1) {
		switch (c) {
		case 'f': o.file = optarg; break;
		case '1': o.single = true; break;
		case O_CONT: o.cont = true; break;
		case O_ALLOW_EMPTY: o.allow_empty = true; break;
		case 'l': o.list = true; break;
		case O_EMIT: o.emit = true; break;
		case 'v': o.verbose = true; break;
		case O_PROGRESS: o.progress = true; break;
		case 't': case 'T': case 'n': case 'N':
			sqlsel_option(&o.sel, c, optarg);
			break;
		case 'a': data_only = true; break;
		case 's': schema_only = true; break;
		case O_SECTION:
			if (strcmp(optarg, "pre-data") == 0)
				sections |= SQLSEL_PRE;
			else if (strcmp(optarg, "data") == 0)
				sections |= SQLSEL_DATA;
			else if (strcmp(optarg, "post-data") == 0)
				sections |= SQLSEL_POST;
			else
				die(EXIT_USAGE, "--section %s: not pre-data, data or post-data", optarg);
			break;
		case O_WITH_INDEXES: o.sel.with_indexes = true; break;
		case O_FK_NOT_VALID: o.fk_not_valid = true; break;
		case O_INTO:
			if (o.has_into)
				die(EXIT_USAGE, "--into may be given once");
			if (sqlpat_parse(optarg, &o.into, &why) != 0)
				die(EXIT_USAGE, "--into %s: %s", optarg, why);
			if (o.into.wild)
				die(EXIT_USAGE, "--into %s: a new name has no wildcards", optarg);
			if (!sql_name_ok(o.into.name) || (o.into.schema && !sql_name_ok(o.into.schema)))
				die(EXIT_USAGE, "--into: a name is empty or longer than %d bytes, PostgreSQL's limit",
				    SQL_NAME_MAX - 1);
			o.has_into = true;
			break;
		case O_TRUNCATE: o.truncate = true; break;
		case O_DISABLE_TRIGGERS: o.disable_triggers = true; break;
		case 'O': o.no_owner = true; break;
		case 'x': o.sel.no_acl = true; break;
		case 'c': o.clean = true; break;
		case 'h': usage(stdout); return out_status(out_close_stdout());
		case 'V': printf("pgfeed %s\n", BKPIPE_VERSION); return out_status(out_close_stdout());
		default: usage(stderr); return EXIT_USAGE;
		}
	}
	if (argc - optind > 1)
		die(EXIT_USAGE, "one connection at most (see --help)");
	o.conninfo = optind < argc ? argv[optind] : NULL;
	if (data_only && schema_only)
		die(EXIT_USAGE, "-a/--data-only and -s/--schema-only cannot be used together");
	o.sel.sections = sections ? sections : SQLSEL_ALL;
	o.sel.data_only = data_only;
	o.sel.schema_only = schema_only;
	if (data_only)
		o.sel.sections &= SQLSEL_DATA;
	if (schema_only)
		o.sel.sections &= ~SQLSEL_DATA;
	if (o.has_into && (o.sel.n[SEL_TABLE] != 1 || o.sel.pat[SEL_TABLE][0].wild))
		die(EXIT_USAGE, "--into needs exactly one table, named with one -t without wildcards");
	o.selective = o.sel.sections != SQLSEL_ALL || o.has_into || o.sel.n[SEL_TABLE] || o.sel.n[SEL_XTABLE] ||
	    o.sel.n[SEL_SCHEMA] || o.sel.n[SEL_XSCHEMA];
	if (o.sel.with_indexes && o.sel.n[SEL_TABLE] == 0)
		die(EXIT_USAGE, "--with-indexes goes with -t");
	if (o.single && o.cont)
		die(EXIT_USAGE, "--single-transaction and --continue-on-error cannot be used together");
	if (o.emit && o.conninfo)
		die(EXIT_USAGE, "--emit runs nothing: it takes no connection");

	if (o.file && strcmp(o.file, "-") != 0) {
		if ((fd = open(o.file, O_RDONLY)) < 0)
			die(EXIT_DATA, "%s: cannot open:", o.file);
		name = o.file;
	}
	if (isatty(fd))
		die(EXIT_USAGE, "refusing to read SQL from a terminal; give a dump on standard input or with -f");
	if ((r.rd = sqlr_new(fd, 0)) == NULL)
		die(EXIT_DATA, "out of memory");
	refuse_input(r.rd, name);
	if (o.list) {
		r.status = restore_list(r.rd, name);
		goto out;
	}

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sqlr_set_interrupt(r.rd, &interrupted);
	r.stop = !o.cont;

	if (o.emit) {
		static char obuf[256 * 1024];

		r.out = stdout;
		setvbuf(stdout, obuf, _IOFBF, sizeof(obuf));
		restore_run(&r, name, -1, &interrupted);
		if (fflush(stdout) != 0 && errno != EPIPE)
			die(EXIT_DATA, "write error:");
		goto out;
	}

	if ((r.conn = pgconn_open(o.conninfo, &st)) == NULL) {
		r.status = st;
		goto out;
	}
	cancel = PQgetCancel(r.conn);
	if ((r.feed = feed_new(r.conn, r.stop, o.single)) == NULL)
		die(EXIT_DATA, "out of memory");
	if (o.single && restore_begin(&r) != 0)
		goto out;
	restore_run(&r, name, fstat(fd, &sb) == 0 && S_ISREG(sb.st_mode) ? (int64_t)sb.st_size : -1,
	    &interrupted);
	if (o.single) {
		restore_end(&r, interrupted);
	} else if (r.feed && feed_errors(r.feed) > 0 && o.cont) {
		warn("%lu statement%s failed", feed_errors(r.feed), feed_errors(r.feed) == 1 ? "" : "s");
	}
	restore_validate_fks(&r, interrupted);
	if (o.verbose)
		restore_summary(&r);
	if (r.status == EXIT_OK && o.cont && feed_errors(r.feed) > 0)
		r.status = EXIT_DATA;
out:
	drop_cancel();
	feed_free(r.feed);
	if (r.conn)
		PQfinish(r.conn);
	sqlr_free(r.rd);
	restore_free(&r);
	sqlsel_free(&o.sel);
	sqlpat_free(&o.into);
	if (fd != STDIN_FILENO)
		close(fd);
	return r.status;
}
