/* pgcount: per-table row counts from a database or from a plain dump. */
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "counts.h"
#include "err.h"
#include "out.h"

static const char *const helptext[] = {
"Usage: pgcount [options] [CONNINFO]",
"       pgcount --dump [options] [FILE]",
"Print one line per table, SCHEMA.TABLE<TAB>ROWS, names quoted as",
"quote_ident() quotes them, sorted bytewise: from the database CONNINFO",
"(a conninfo string or URI; else the PG* variables, then DATABASE_URL), or",
"from a plain SQL dump with --dump. The two agree, so diff validates a restore:",
"  diff <(pgcount --dump < dump.sql) <(pgcount \"$RESTORED\")",
"",
"Options:",
"      --dump              count the rows of a plain dump (FILE or standard input)",
"  -j, --jobs N            count with N connections sharing one snapshot",
"      --estimate          planner estimates (reltuples) instead of counting: ~ROWS",
"  -t, --table PATTERN     only matching tables (repeatable; as in pg_dump)",
"  -T, --exclude-table PATTERN",
"  -n, --schema PATTERN    only tables in matching schemas",
"  -N, --exclude-schema PATTERN",
"      --expect FILE       compare with saved counts: print each difference as",
"                          SCHEMA.TABLE<TAB>EXPECTED<TAB>ACTUAL (- when missing)",
"      --tolerance N%      with --expect: a difference of at most N% is none",
"      --summary           schemas, tables and rows on standard error",
"  -v, --verbose           say what is being counted",
"  -h, --help              show this help and exit",
"  -V, --version           show the version and exit",
"",
"Exit status: 0 success (and no difference); 1 differences, a truncated dump",
"or an SQL error; 2 usage error or input that is not SQL; 3 could not connect.",
"",
"See pgcount(1).",
NULL,
};

static void
usage(FILE *f)
{
	for (const char *const *l = helptext; *l; l++)
		fprintf(f, "%s\n", *l);
}

int
main(int argc, char *argv[])
{
	enum { O_DUMP = 256, O_ESTIMATE, O_EXPECT, O_TOLERANCE, O_SUMMARY };
	static const struct option longopts[] = {
		{ "dump", no_argument, NULL, O_DUMP },
		{ "jobs", required_argument, NULL, 'j' },
		{ "estimate", no_argument, NULL, O_ESTIMATE },
		{ "table", required_argument, NULL, 't' },
		{ "exclude-table", required_argument, NULL, 'T' },
		{ "schema", required_argument, NULL, 'n' },
		{ "exclude-schema", required_argument, NULL, 'N' },
		{ "expect", required_argument, NULL, O_EXPECT },
		{ "tolerance", required_argument, NULL, O_TOLERANCE },
		{ "summary", no_argument, NULL, O_SUMMARY },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	struct count_opts o = { .jobs = 1 };
	struct counts c = { 0 };
	const char *arg;
	char *end;
	int ch, status;

	err_init(argv[0]);
	out_init();
	while ((ch = getopt_long(argc, argv, "j:t:T:n:N:vhV", longopts, NULL)) != -1) {
		switch (ch) {
		case O_DUMP: o.dump = true; break;
		case 'j':
			o.jobs = (int)strtol(optarg, &end, 10);
			if (*end || o.jobs < 1 || o.jobs > 64)
				die(EXIT_USAGE, "-j %s: not a number of connections from 1 to 64", optarg);
			break;
		case O_ESTIMATE: o.estimate = true; break;
		case 't': case 'T': case 'n': case 'N':
			sqlsel_option(&o.sel, ch, optarg);
			break;
		case O_EXPECT: o.expect = optarg; break;
		case O_TOLERANCE:
			o.tolerance = strtod(optarg, &end);
			if (end == optarg || (*end && strcmp(end, "%") != 0) || o.tolerance < 0 || o.tolerance > 100)
				die(EXIT_USAGE, "--tolerance %s: not a percentage such as 5%%", optarg);
			break;
		case O_SUMMARY: o.summary = true; break;
		case 'v': o.verbose = true; break;
		case 'h': usage(stdout); return out_status(out_close_stdout());
		case 'V': printf("pgcount %s\n", BKPIPE_VERSION); return out_status(out_close_stdout());
		default: usage(stderr); return EXIT_USAGE;
		}
	}
	if (argc - optind > 1)
		die(EXIT_USAGE, "one %s at most (see --help)", o.dump ? "file" : "connection");
	arg = optind < argc ? argv[optind] : NULL;
	if (o.dump && (o.jobs > 1 || o.estimate))
		die(EXIT_USAGE, "-j and --estimate are for counting a database, not --dump");
	if (o.tolerance > 0 && o.expect == NULL)
		die(EXIT_USAGE, "--tolerance goes with --expect");

	if (o.dump) {
		int fd = STDIN_FILENO;
		const char *name = "stdin";

		if (arg && strcmp(arg, "-") != 0) {
			if ((fd = open(arg, O_RDONLY)) < 0)
				die(EXIT_DATA, "%s: cannot open:", arg);
			name = arg;
		}
		if (isatty(fd))
			die(EXIT_USAGE, "refusing to read a dump from a terminal (see --help)");
		status = counts_from_dump(&o, fd, name, &c);
		if (fd != STDIN_FILENO)
			close(fd);
	} else {
		status = counts_from_db(&o, arg, &c);
	}
	if (status != EXIT_OK) {
		counts_free(&c);
		sqlsel_free(&o.sel);
		return status;
	}
	counts_sort(&c);
	if (o.expect)
		status = counts_expect(&o, &c);
	else
		counts_print(&c);
	if (o.summary)
		counts_summary(&c);
	counts_free(&c);
	sqlsel_free(&o.sel);
	return status_worst(status, out_status(out_close_stdout()));
}
