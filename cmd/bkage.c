/* bkage: the health of the newest backup, for cron, Nagios and Prometheus. */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <getopt.h>
#include <regex.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "entry.h"
#include "listing.h"
#include "err.h"
#include "health.h"
#include "out.h"
#include "proofs.h"
#include "retain.h"
#include "units.h"

enum { OK = HEALTH_OK, UNKNOWN = HEALTH_UNKNOWN };

static const char *const helptext[] = {
"Usage: bkage [options] [FILE...]",
"Report the health of the newest backup among the entries read (standard",
"input by default): s3ls listing lines, aws s3 ls or rclone lsl lines, or",
"local paths. Status as a Nagios plugin: 0 OK, 1 WARNING, 2 CRITICAL,",
"3 UNKNOWN.",
"",
"Checks:",
"  -c, --critical DURATION  newest older than this is CRITICAL (26h)",
"  -w, --warning DURATION   newest older than this is WARNING (none)",
"      --min-size SIZE      newest smaller than this is CRITICAL (1K)",
"      --max-shrink PCT     newest PCT% smaller than the one before: WARNING",
"      --min-count N        fewer backups than N: WARNING",
"      --max-skew DURATION  a time further in the future is never the newest",
"                           nor counted: WARNING, and stops --expired (5m)",
"      --now TIME           measure ages against TIME, not the clock",
"Proofs (s3://B/.proofs/KEY.counts and .damaged beside s3://B/KEY):",
"      --proofs FILE        FILE lists the proofs (s3ls lines): only proven",
"                           backups are judged, kept and counted; a damaged",
"                           one newer than the newest proven is CRITICAL",
"      --no-proofs          every backup counts as proven (no proofs kept)",
"      --latest             print the line of the newest proven backup; exit",
"                           1 when there is none",
"Input:",
"      --match REGEX        only names matching REGEX (e.g. '\\.sql\\.gz$')",
"      --group-by REGEX     one check per value of REGEX's first group",
"      --name-time FORMAT   take the UTC time from the name (%Y %m %d %H %M %S)",
"      --lenient            skip unreadable lines with a warning (not with",
"                           --expired)",
"Output:",
"      --format FORMAT      nagios (default), prometheus or json",
"  -o, --output FILE        write FILE atomically instead of standard output",
"  -q, --quiet              print nothing; only the exit status",
"Retention (needs --proofs FILE or --no-proofs):",
"      --expired DURATION   print the lines of backups older than DURATION,",
"                           with those of their proofs, never the newest",
"                           --keep proven (of one prefix, or of each",
"                           --group-by group), once the whole input is read",
"                           and good (on any error, nothing)",
"      --keep N             proven backups never selected by --expired (7,",
"                           minimum 1)",
"      --keep-daily N       keep the newest proven of each of the last N days,",
"      --keep-weekly N      weeks (from Monday)",
"      --keep-monthly N     and months (UTC), instead of the newest --keep",
"      --allow-future       leave out, with a warning, backups in the future",
"                           beyond --max-skew, rather than refuse to select",
"  -h, --help               show this help and exit",
"  -V, --version            show the version and exit",
"",
"Examples:",
"  s3ls s3://backups/db/ | bkage -c 26h --proofs <(s3ls s3://backups/.proofs/db/)",
"  s3ls s3://backups/db/ | bkage --proofs <(s3ls s3://backups/.proofs/db/) --latest | s3get | gzcat-verify | pgfeed -1 \"$TARGET\"",
"  s3ls s3://backups/db/ >listing && s3ls s3://backups/.proofs/db/ >proofs && bkage --expired 30d --keep 7 --proofs proofs listing | s3rm",
"",
"See bkage(1).",
NULL,
};

struct group {
	struct health_group h;
};

static struct {
	struct health_limits l;
	int64_t expired;
	unsigned long keep;
	struct retain_rule rules[4];
	size_t nrules;
	const char *format, *output, *name_time;
	bool quiet, lenient, have_match, have_group, keep_given, allow_future, no_proofs, latest;
	const char *proofs_file;
	struct proofs *proofs;		/* with --proofs */
	regex_t match, group_by;
	struct group *groups;
	size_t ngroups;
	struct retain *retain;		/* with --expired */
	char *prefix;			/* of the first backup, with --expired */
	unsigned long prefix_line;
	FILE *out;
} o = { .l = { .critical = 26 * 3600, .warning = -1, .skew = 300, .min_size = 1024,
	.max_shrink = -1 }, .keep = 7, .format = "nagios", .expired = -1 };

static void
usage(FILE *f)
{
	for (const char *const *l = helptext; *l; l++)
		fprintf(f, "%s\n", *l);
}

static size_t
group_new(const char *key, size_t len)
{
	o.groups = realloc(o.groups, (o.ngroups + 1) * sizeof(*o.groups));
	if (o.groups == NULL)
		die(UNKNOWN, "out of memory");
	memset(&o.groups[o.ngroups], 0, sizeof(*o.groups));
	if ((o.groups[o.ngroups].h.key = strndup(key, len)) == NULL)
		die(UNKNOWN, "out of memory");
	return o.ngroups++;
}

/* The group of a name: its index, or -1 when --group-by does not match it. */
static long
group_for(const char *name)
{
	const char *key = "";
	size_t len = 0;
	regmatch_t m[2];

	if (o.have_group) {
		if (regexec(&o.group_by, name, 2, m, 0) != 0 || m[1].rm_so < 0)
			return -1;
		key = name + m[1].rm_so;
		len = (size_t)(m[1].rm_eo - m[1].rm_so);
	}
	for (size_t i = 0; i < o.ngroups; i++)
		if (strncmp(o.groups[i].h.key, key, len) == 0 && o.groups[i].h.key[len] == '\0')
			return (long)i;
	return (long)group_new(key, len);
}

/*
 * UNKNOWN, said where it will be read: the plugin line on standard output,
 * unless standard output carries data (--expired, --latest) or nothing (-q).
 */
static int
unknown(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	if (o.quiet || o.expired >= 0 || o.latest) {
		fprintf(stderr, "%s: ", prog);
		vfprintf(stderr, fmt, ap);
		fputc('\n', stderr);
	} else {
		printf("BKAGE UNKNOWN - ");
		vprintf(fmt, ap);
		putchar('\n');
	}
	va_end(ap);
	return UNKNOWN;
}

/* A bad option: on standard error, and as the plugin line Nagios shows. */
static _Noreturn void
bad(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fprintf(stderr, "%s: ", prog);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	va_start(ap, fmt);
	printf("BKAGE UNKNOWN - ");
	vprintf(fmt, ap);
	putchar('\n');
	va_end(ap);
	fflush(stdout);
	exit(UNKNOWN);
}

/* With --expired, without --group-by: every backup under one prefix, so
 * that --keep counts the backups of one database, not of several. */
static int
one_prefix(const char *name, const char *fname, unsigned long lineno)
{
	const char *slash = strrchr(name, '/');
	size_t len = slash ? (size_t)(slash - name) + 1 : 0;
	char shown[1024], first[1024];

	if (o.prefix == NULL) {
		if ((o.prefix = strndup(name, len)) == NULL)
			die(UNKNOWN, "out of memory");
		o.prefix_line = lineno;
		return OK;
	}
	if (strncmp(o.prefix, name, len) == 0 && o.prefix[len] == '\0')
		return OK;
	entry_shown(name, shown, sizeof(shown));
	entry_shown(o.prefix, first, sizeof(first));
	return unknown("%s line %lu: %s is not under %s (line %lu), and --keep would count "
	    "across both: nothing selected (hint: --group-by REGEX keeps each set on its own, "
	    "e.g. --group-by '^(.*/)' for each prefix)", fname, lineno, shown, first, o.prefix_line);
}

/* A backup for retention: refused (UNKNOWN) in the future unless
 * --allow-future, where it is left out. Its line is printed with those of
 * its proofs. */
static int
select_expired(size_t g, const struct entry *e, const char *line, int state, const char *fname,
    unsigned long lineno)
{
	char shown[1024], ahead[32], skew[32], *lines;
	size_t len = strlen(line);
	int r;

	if (!o.have_group && (r = one_prefix(e->name, fname, lineno)) != OK)
		return r;
	if ((lines = strdup(line)) == NULL || (o.proofs &&
	    proofs_lines(o.proofs, e->name, &lines, &len) != 0))
		die(UNKNOWN, "out of memory");
	r = state == PROOF_PROVEN ? retain_add(o.retain, g, e->time, e->name, lines) :
	    retain_add_unproven(o.retain, g, e->time, e->name, lines, state == PROOF_DAMAGED);
	free(lines);
	if (r < 0)
		die(UNKNOWN, "cannot keep the lines selected:");
	if (r != RETAIN_FUTURE)
		return OK;
	entry_shown(e->name, shown, sizeof(shown));
	units_fmt_duration(ahead, sizeof(ahead), e->time - o.l.now);
	units_fmt_duration(skew, sizeof(skew), o.l.skew);
	if (o.allow_future) {
		warn("%s line %lu: %s is %s in the future, beyond the %s of --max-skew: neither "
		    "kept nor selected (--allow-future)", fname, lineno, shown, ahead, skew);
		return OK;
	}
	return unknown("%s line %lu: %s is %s in the future, beyond the %s of --max-skew: "
	    "nothing selected, since it would take the place of a backup kept (hint: correct "
	    "its time or name, or give --allow-future to leave it out)", fname, lineno, shown,
	    ahead, skew);
}

/* Take an entry: 0, -1 (with *why) when --name-time finds no time in its
 * name or it cannot be taken, or UNKNOWN with the message printed. */
static int
take(struct entry *e, const char *line, const char *fname, unsigned long lineno,
    const char **why)
{
	long g;
	int st;

	if (o.have_match && regexec(&o.match, e->name, 0, NULL, 0) != 0)
		return 0;
	if ((st = proofs_state_of(o.proofs, o.no_proofs, e->name, why)) == -2)
		return 0;
	if (st < 0)
		return -1;
	if (o.name_time && entry_name_time(o.name_time, e->name, &e->time) != 0) {
		static char msg[512];

		snprintf(msg, sizeof(msg), "no time in the name (--name-time %s)", o.name_time);
		*why = msg;
		return -1;
	}
	if ((g = group_for(e->name)) < 0)
		return 0;
	if (o.expired >= 0)
		return select_expired((size_t)g, e, line, st, fname, lineno);
	if (health_add(&o.groups[g].h, &o.l, e->time, e->size, e->name, (enum proof_state)st,
	    o.latest ? line : NULL) != 0)
		die(UNKNOWN, "out of memory");
	return 0;
}

/* Take a line of --proofs FILE: 0, or -1 (with *why). */
static int
take_proof(struct entry *e, const char *line, const char *fname, unsigned long lineno,
    const char **why)
{
	static char msg[1200];
	char shown[1024];
	int r = proofs_add(o.proofs, e->name, line, why);

	(void)fname;
	(void)lineno;
	if (r == -2)
		die(UNKNOWN, "out of memory");
	if (r == 0)
		return 0;
	entry_shown(e->name, shown, sizeof(shown));
	snprintf(msg, sizeof(msg), "%s: %s", shown, *why);
	*why = msg;
	return -1;
}

/* Read one input, each entry to fn; UNKNOWN (with the message printed)
 * for an unreadable line. */
static int
read_input(FILE *f, const char *fname,
    int (*fn)(struct entry *, const char *, const char *, unsigned long, const char **))
{
	struct listing_reader *rd = malloc(sizeof(*rd));
	char *copy = malloc(LISTING_LINE_MAX + 1);
	int status = OK;

	if (rd == NULL || copy == NULL)
		die(UNKNOWN, "out of memory");
	listing_reader_init(rd, f);
	while (status == OK) {
		struct entry e;
		const char *why = NULL;
		size_t n;
		int r = listing_getline(rd, &n, &why);

		if (r == 0)
			break;
		if (r == -2) {
			status = unknown("%s: read error: %s", fname, strerror(errno));
			break;
		}
		if (r == 1) {
			memcpy(copy, rd->line, n + 1);	/* as read, for --expired */
			r = entry_parse(rd->line, NULL, &e, &why);
		}
		if (r == 1 && (r = fn(&e, copy, fname, rd->lineno, &why)) > 0)
			status = r;
		else if (r < 0 && o.lenient)
			warn("%s line %lu: skipped: %s", fname, rd->lineno, why);
		else if (r < 0)
			status = unknown("%s line %lu: %s", fname, rd->lineno, why);
	}
	free(rd);
	free(copy);
	return status;
}

/* Read --proofs FILE whole, before the backups. */
static int
read_proofs(void)
{
	FILE *f = strcmp(o.proofs_file, "-") == 0 ? NULL : fopen(o.proofs_file, "r");
	int status;

	if (f == NULL)
		return unknown("--proofs %s: %s", o.proofs_file, strcmp(o.proofs_file, "-") == 0 ?
		    "the backups are read from standard input: give the proofs in a file" :
		    strerror(errno));
	if ((o.proofs = proofs_new()) == NULL)
		die(UNKNOWN, "out of memory");
	status = read_input(f, o.proofs_file, take_proof);
	fclose(f);
	proofs_ready(o.proofs);
	return status;
}

/* A count of --min-count or --keep*: a number, at least min. */
static unsigned long
count(const char *opt, const char *arg, unsigned long min)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(arg, &end, 10);
	if (*arg < '0' || *arg > '9' || *end || errno || v < min)
		bad("%s %s: expected a number%s", opt, arg, min > 0 ? " of at least 1" : "");
	return v;
}

static int64_t
duration(const char *opt, const char *arg)
{
	const char *why = NULL;
	int64_t secs;

	if (units_parse_duration(arg, &secs, &why) != 0)
		bad("%s %s: %s", opt, arg, why);
	return secs;
}

/* A --keep-daily, --keep-weekly or --keep-monthly rule (given again: the last wins). */
static void
rule(enum retain_kind kind, const char *opt, const char *arg)
{
	size_t i = 0;

	while (i < o.nrules && o.rules[i].kind != kind)
		i++;
	o.rules[i] = (struct retain_rule){ kind, count(opt, arg, 1) };
	if (i == o.nrules)
		o.nrules++;
}

static void
regex(regex_t *re, bool *have, const char *opt, const char *arg)
{
	char msg[128];
	int r;

	if ((r = regcomp(re, arg, REG_EXTENDED)) != 0) {
		regerror(r, re, msg, sizeof(msg));
		bad("%s %s: %s", opt, arg, msg);
	}
	*have = true;
}

static int
option(int c, const char *arg)
{
	const char *why = NULL;
	char *end;
	uint64_t size;

	switch (c) {
	case 'c': o.l.critical = duration("--critical", arg); return 0;
	case 'w': o.l.warning = duration("--warning", arg); return 0;
	case 's': o.l.skew = duration("--max-skew", arg); return 0;
	case 'e': o.expired = duration("--expired", arg); return 0;
	case 'z':
		if (units_parse_size(arg, &size, &why) != 0)
			bad("--min-size %s: %s", arg, why);
		o.l.min_size = size;
		return 0;
	case 'k':
		o.l.max_shrink = strtod(arg, &end);
		if (end == arg || (*end && strcmp(end, "%") != 0) ||
		    !(o.l.max_shrink >= 0 && o.l.max_shrink <= 100))	/* NaN too */
			bad("--max-shrink %s: expected a percentage from 0 to 100", arg);
		return 0;
	case 'n': o.l.min_count = count("--min-count", arg, 0); return 0;
	case 'K': o.keep = count("--keep", arg, 1); o.keep_given = true; return 0;
	case 'D': rule(RETAIN_DAYS, "--keep-daily", arg); return 0;
	case 'W': rule(RETAIN_WEEKS, "--keep-weekly", arg); return 0;
	case 'M': rule(RETAIN_MONTHS, "--keep-monthly", arg); return 0;
	case 'F': o.allow_future = true; return 0;
	case 'P': o.proofs_file = arg; return 0;
	case 'X': o.no_proofs = true; return 0;
	case 'L': o.latest = true; return 0;
	case 'N':
		if (units_parse_time(arg, &o.l.now) != 0)
			bad("--now %s: expected a UTC time like 2026-01-26T03:00:00Z", arg);
		return 0;
	case 'm': regex(&o.match, &o.have_match, "--match", arg); return 0;
	case 'g':
		regex(&o.group_by, &o.have_group, "--group-by", arg);
		if (o.group_by.re_nsub < 1)
			bad("--group-by %s: needs a group in parentheses", arg);
		return 0;
	case 't':
		if ((why = entry_name_time_check(arg)) != NULL)
			bad("--name-time %s: %s", arg, why);
		o.name_time = arg;
		return 0;
	case 'l': o.lenient = true; return 0;
	case 'f': o.format = arg; return 0;
	case 'o': o.output = arg; return 0;
	case 'q': o.quiet = true; return 0;
	case 'h': usage(stdout); exit(out_status(out_close_stdout()) == 0 ? OK : UNKNOWN);
	case 'V': printf("bkage %s\n", BKPIPE_VERSION); exit(out_status(out_close_stdout()) == 0 ? OK : UNKNOWN);
	default: usage(stderr); return -1;
	}
}

/* The options that go together, and those that do not. */
static void
check_options(void)
{
	bool data = o.expired >= 0 || o.latest;
	const char *mode = o.expired >= 0 ? "--expired" : "--latest";

	if (strcmp(o.format, "nagios") != 0 && strcmp(o.format, "prometheus") != 0 &&
	    strcmp(o.format, "json") != 0)
		bad("--format %s: expected nagios, prometheus or json", o.format);
	if (o.latest && (o.expired >= 0 || o.have_group))
		bad("--latest prints one line, the newest backup: --expired and --group-by do not apply");
	if (data && (o.output || strcmp(o.format, "nagios") != 0))
		bad("%s prints the selected lines: -o and --format do not apply", mode);
	if (o.expired >= 0 && o.lenient)
		bad("--lenient does not apply to --expired: an unreadable line stops retention");
	if (o.allow_future && o.expired < 0)
		bad("--allow-future applies to --expired only");
	if ((o.keep_given || o.nrules > 0) && o.expired < 0)
		bad("--keep, --keep-daily, --keep-weekly and --keep-monthly apply to --expired only");
	if (o.proofs_file && o.no_proofs)
		bad("--proofs and --no-proofs: give one");
	if (data && !o.proofs_file && !o.no_proofs) {
		/* Exit 2, as a usage error: without proofs, a backup never proven
		 * would count as one kept, or be the one restored. */
		fprintf(stderr, "%s: %s needs --proofs FILE, the listing of the backups' proofs "
		    "(e.g. --proofs <(s3ls s3://backups/.proofs/db/)), so that only proven backups "
		    "count; or --no-proofs, for backups that have no proofs, to count every one\n",
		    prog, mode);
		exit(2);
	}
	o.l.proofs = o.proofs_file != NULL;
}

/* --latest: the line of the newest (proven) backup; 1 when there is none. */
static int
print_latest(void)
{
	const struct health_group *g = o.ngroups ? &o.groups[0].h : NULL;
	unsigned long damaged = g ? g->damaged : 0, unproven = g ? g->unproven : 0;

	if (g && g->future > 0)
		warn("%lu backup%s in the future beyond --max-skew left out", g->future,
		    g->future == 1 ? "" : "s");
	if ((g == NULL || g->newest_line == NULL) && o.proofs) {
		fprintf(stderr, "%s: no proven backup among %lu listed: %lu damaged, %lu unproven\n",
		    prog, damaged + unproven, damaged, unproven);
		return 1;
	}
	if (g == NULL || g->newest_line == NULL) {
		fprintf(stderr, "%s: no backup listed\n", prog);
		return 1;
	}
	printf("%s\n", g->newest_line);
	return out_status(out_close_stdout()) == 0 ? OK : UNKNOWN;
}

/* The lines selected, once the whole input has been read and found good. */
static int
print_expired(void)
{
	const char *twice = NULL;
	char shown[1024];
	int r = retain_print(o.retain, stdout, &twice);

	if (r == -1) {
		entry_shown(twice, shown, sizeof(shown));
		r = unknown("%s is listed twice, and one is kept: nothing selected (hint: "
		    "give each listing once)", shown);
	} else if (r != 0) {
		r = unknown("cannot read back the lines selected: %s", strerror(errno));
	}
	retain_free(o.retain);
	if (r != 0)
		return r;
	return out_status(out_close_stdout()) == 0 ? OK : UNKNOWN;
}

/* Judge every group and print the report; with -o, through a temporary
 * file in the same directory and a rename, so readers never see half. */
static int
report(void)
{
	char tmp[4096] = "";
	int worst = OK, fd;
	struct stat st;
	struct health_group *hs;

	if (o.ngroups == 0)
		group_new("", 0);	/* no backups at all: one empty group */
	if ((hs = calloc(o.ngroups, sizeof(*hs))) == NULL)
		die(UNKNOWN, "out of memory");
	for (size_t i = 0; i < o.ngroups; i++) {
		int s = health_judge(&o.groups[i].h, &o.l);

		hs[i] = o.groups[i].h;
		worst = s > worst ? s : worst;
	}
	if (o.quiet) {
		free(hs);
		return worst;
	}
	if (o.output && stat(o.output, &st) == 0 && !S_ISREG(st.st_mode)) {
		/* A FIFO or a device is written into, never replaced. */
		if ((o.out = fopen(o.output, "w")) == NULL) {
			free(hs);
			return unknown("%s: cannot write: %s", o.output, strerror(errno));
		}
	} else if (o.output) {
		snprintf(tmp, sizeof(tmp), "%s.XXXXXX", o.output);
		if ((fd = mkstemp(tmp)) < 0 || (o.out = fdopen(fd, "w")) == NULL) {
			free(hs);
			return unknown("%s: cannot write: %s", o.output, strerror(errno));
		}
		fchmod(fd, 0644);
	}
	if (strcmp(o.format, "prometheus") == 0)
		health_prometheus(o.out, hs, o.ngroups, o.have_group, o.l.proofs);
	else if (strcmp(o.format, "json") == 0)
		health_json(o.out, hs, o.ngroups, worst, &o.l);
	else
		health_nagios(o.out, hs, o.ngroups, o.have_group, &o.l, worst);
	free(hs);
	if (*tmp && (fflush(o.out) != 0 || fsync(fileno(o.out)) != 0 ||
	    fclose(o.out) != 0 || rename(tmp, o.output) != 0)) {
		unlink(tmp);
		return unknown("%s: cannot write: %s", o.output, strerror(errno));
	} else if (o.output && !*tmp && fclose(o.out) != 0) {
		return unknown("%s: cannot write: %s", o.output, strerror(errno));
	}
	return out_status(out_close_stdout()) == 0 ? worst : UNKNOWN;
}

int
main(int argc, char *argv[])
{
	static const struct option longopts[] = {
		{ "critical", required_argument, NULL, 'c' },
		{ "warning", required_argument, NULL, 'w' },
		{ "min-size", required_argument, NULL, 'z' },
		{ "max-shrink", required_argument, NULL, 'k' },
		{ "min-count", required_argument, NULL, 'n' },
		{ "max-skew", required_argument, NULL, 's' },
		{ "now", required_argument, NULL, 'N' },
		{ "match", required_argument, NULL, 'm' },
		{ "group-by", required_argument, NULL, 'g' },
		{ "name-time", required_argument, NULL, 't' },
		{ "lenient", no_argument, NULL, 'l' },
		{ "format", required_argument, NULL, 'f' },
		{ "output", required_argument, NULL, 'o' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "expired", required_argument, NULL, 'e' },
		{ "keep", required_argument, NULL, 'K' },
		{ "keep-daily", required_argument, NULL, 'D' },
		{ "keep-weekly", required_argument, NULL, 'W' },
		{ "keep-monthly", required_argument, NULL, 'M' },
		{ "allow-future", no_argument, NULL, 'F' },
		{ "proofs", required_argument, NULL, 'P' },
		{ "no-proofs", no_argument, NULL, 'X' },
		{ "latest", no_argument, NULL, 'L' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	int c, status = OK;

	err_init(argv[0]);
	out_init();
	o.l.now = (int64_t)time(NULL);
	while ((c = getopt_long(argc, argv, "c:w:o:qhV", longopts, NULL)) != -1)
		if (option(c, optarg) != 0)
			return UNKNOWN;
	check_options();
	o.out = stdout;
	if (o.proofs_file && (status = read_proofs()) != OK)
		return status;
	if (o.expired >= 0) {
		/* The newest --keep (with a grandfather-father-son set, the
		 * newest one unless --keep says more) are never selected. */
		int64_t cutoff = o.l.now < 0 && o.expired > o.l.now - INT64_MIN ? INT64_MIN :
		    o.l.now - o.expired;

		if (o.nrules > 0 && !o.keep_given)
			o.keep = 1;
		o.rules[o.nrules++] = (struct retain_rule){ RETAIN_NEWEST, o.keep };
		if ((o.retain = retain_new(o.rules, o.nrules, cutoff, health_latest(&o.l))) == NULL)
			die(UNKNOWN, "out of memory");
	}
	for (int i = optind; i < argc || i == optind; i++) {
		const char *arg = i < argc ? argv[i] : "-";
		FILE *f = strcmp(arg, "-") == 0 ? stdin : fopen(arg, "r");

		if (f == NULL)
			return unknown("%s: %s", arg, strerror(errno));
		status = read_input(f, strcmp(arg, "-") == 0 ? "stdin" : arg, take);
		if (f != stdin)
			fclose(f);
		if (status != OK)
			return status;
	}
	if (o.expired >= 0)
		return print_expired();
	if (o.latest)
		return print_latest();
	return report();
}
