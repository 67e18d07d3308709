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
#include "err.h"
#include "health.h"
#include "out.h"
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
"      --max-skew DURATION  a time further in the future: WARNING (5m)",
"      --now TIME           measure ages against TIME, not the clock",
"Input:",
"      --match REGEX        only names matching REGEX (e.g. '\\.sql\\.gz$')",
"      --group-by REGEX     one check per value of REGEX's first group",
"      --name-time FORMAT   take the UTC time from the name (%Y %m %d %H %M %S)",
"      --lenient            skip unreadable lines with a warning",
"Output:",
"      --format FORMAT      nagios (default), prometheus or json",
"  -o, --output FILE        write FILE atomically instead of standard output",
"  -q, --quiet              print nothing; only the exit status",
"Retention:",
"      --expired DURATION   print the lines of backups older than DURATION,",
"                           never the newest --keep",
"      --keep N             backups never selected by --expired (7, minimum 1)",
"      --keep-daily N       keep the newest of each of the last N days,",
"      --keep-weekly N      weeks (from Monday)",
"      --keep-monthly N     and months (UTC), instead of the newest --keep",
"  -h, --help               show this help and exit",
"  -V, --version            show the version and exit",
"",
"Examples:",
"  s3ls s3://backups/db/ | bkage -c 26h --match '\\.sql\\.gz$'",
"  s3ls -r s3://backups/ | bkage --group-by '^s3://[^/]*/([^/]*)/' --format prometheus -o /var/lib/node_exporter/bkpipe.prom",
"  s3ls s3://backups/db/ | bkage --expired 30d --keep 7 | s3rm",
"",
"See bkage(1).",
NULL,
};

struct group {
	struct health_group h;
	struct retain *retain;		/* retention: what the rules keep */
};

static struct {
	struct health_limits l;
	int64_t expired;
	unsigned long keep;
	struct retain_rule rules[4];
	size_t nrules;
	const char *format, *output, *name_time;
	bool quiet, lenient, have_match, have_group, keep_given;
	regex_t match, group_by;
	struct group *groups;
	size_t ngroups;
	FILE *out;
} o = { .l = { .critical = 26 * 3600, .warning = -1, .skew = 300, .min_size = 1024,
	.max_shrink = -1 }, .keep = 7, .format = "nagios", .expired = -1 };

static void
usage(FILE *f)
{
	for (const char *const *l = helptext; *l; l++)
		fprintf(f, "%s\n", *l);
}

static struct group *
group_new(const char *key)
{
	o.groups = realloc(o.groups, (o.ngroups + 1) * sizeof(*o.groups));
	if (o.groups == NULL)
		die(UNKNOWN, "out of memory");
	memset(&o.groups[o.ngroups], 0, sizeof(*o.groups));
	if ((o.groups[o.ngroups].h.key = strdup(key)) == NULL)
		die(UNKNOWN, "out of memory");
	return &o.groups[o.ngroups++];
}

/* The group of a name (NULL when --group-by does not match it). */
static struct group *
group_for(const char *name)
{
	char key[256] = "";
	regmatch_t m[2];

	if (o.have_group) {
		if (regexec(&o.group_by, name, 2, m, 0) != 0 || m[1].rm_so < 0)
			return NULL;
		snprintf(key, sizeof(key), "%.*s", (int)(m[1].rm_eo - m[1].rm_so), name + m[1].rm_so);
	}
	for (size_t i = 0; i < o.ngroups; i++)
		if (strcmp(o.groups[i].h.key, key) == 0)
			return &o.groups[i];
	return group_new(key);
}

/*
 * UNKNOWN, said where it will be read: the plugin line on standard output,
 * unless standard output carries data (--expired) or nothing (-q).
 */
static int
unknown(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	if (o.quiet || o.expired >= 0) {
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

static void
keep(struct health_backup *dst, const struct entry *src)
{
	free(dst->name);
	*dst = (struct health_backup){ src->time, src->size, strdup(src->name) };
	if (dst->name == NULL)
		die(UNKNOWN, "out of memory");
}

static void
print_line(void *arg, const char *line)
{
	(void)arg;
	fprintf(o.out, "%s\n", line);
}

static void
select_expired(struct group *g, const struct entry *e, const char *line)
{
	if (g->retain == NULL &&
	    (g->retain = retain_new(o.rules, o.nrules, o.l.now - o.expired, print_line, NULL)) == NULL)
		die(UNKNOWN, "out of memory");
	if (retain_add(g->retain, e->time, line) != 0)
		die(UNKNOWN, "out of memory");
}

/* Take an entry; -1 when --name-time finds no time in its name. */
static int
take(struct entry *e, const char *line)
{
	struct group *g;

	if (o.have_match && regexec(&o.match, e->name, 0, NULL, 0) != 0)
		return 0;
	if (o.name_time && entry_name_time(o.name_time, e->name, &e->time) != 0)
		return -1;
	if ((g = group_for(e->name)) == NULL)
		return 0;
	g->h.count++;
	if (o.expired >= 0) {
		select_expired(g, e, line);
		return 0;
	}
	if (g->h.count == 1 || e->time > g->h.newest.time) {
		if (g->h.count > 1) {
			struct entry was = { g->h.newest.time, g->h.newest.size, g->h.newest.name, NULL };

			keep(&g->h.prev, &was);
		}
		keep(&g->h.newest, e);
	} else if (g->h.count == 2 || e->time > g->h.prev.time) {
		keep(&g->h.prev, e);
	}
	return 0;
}

/* Read one input; UNKNOWN (with the message printed) for an unreadable line. */
static int
read_input(FILE *f, const char *fname)
{
	char *line = NULL, *copy = NULL;
	size_t cap = 0, ccap = 0;
	ssize_t n;
	unsigned long lineno = 0;
	int status = OK;

	while ((n = getline(&line, &cap, f)) > 0) {
		struct entry e;
		int r;

		lineno++;
		while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
			line[--n] = '\0';
		if (o.expired >= 0) {
			if (ccap < (size_t)n + 1 && (copy = realloc(copy, ccap = (size_t)n + 1)) == NULL)
				die(UNKNOWN, "out of memory");
			memcpy(copy, line, (size_t)n + 1);
		}
		if ((r = entry_parse(line, NULL, &e)) == 1 && take(&e, copy ? copy : line) != 0) {
			r = -2;
		}
		if (r < 0 && o.lenient) {
			warn("%s: line %lu: skipped: %s", fname, lineno,
			    r == -2 ? "no time in the name" : "not a backup entry");
		} else if (r < 0) {
			status = unknown(r == -2 ? "%s line %lu: no time in the name (--name-time %s)" :
			    "%s line %lu: not a listing line, an aws s3 ls or rclone lsl line, or a "
			    "readable file", fname, lineno, o.name_time);
			break;
		}
	}
	if (status == OK && ferror(f))
		status = unknown("%s: read error: %s", fname, strerror(errno));
	free(line);
	free(copy);
	return status;
}


static int
option(int c, const char *arg)
{
	const char *why = NULL;
	char *end;
	int64_t secs;
	uint64_t size;
	int r;

	switch (c) {
	case 'c': case 'w': case 's': case 'e':
		if (units_parse_duration(arg, &secs, &why) != 0)
			bad("%s %s: %s", c == 'c' ? "--critical" : c == 'w' ? "--warning" :
			    c == 's' ? "--max-skew" : "--expired", arg, why);
		*(c == 'c' ? &o.l.critical : c == 'w' ? &o.l.warning : c == 's' ? &o.l.skew : &o.expired) = secs;
		return 0;
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
	case 'n': case 'K': case 'D': case 'W': case 'M': {
		static const char *const opt[] = { "--min-count", "--keep", "--keep-daily",
		    "--keep-weekly", "--keep-monthly" };
		int k = (int)(strchr("nKDWM", c) - "nKDWM");
		unsigned long v;

		errno = 0;
		v = strtoul(arg, &end, 10);
		if (*arg < '0' || *arg > '9' || *end || errno || (k > 0 && v < 1))
			bad("%s %s: expected a number%s", opt[k], arg, k > 0 ? " of at least 1" : "");
		if (k == 0)
			o.l.min_count = v;
		else if (k == 1)
			o.keep = v, o.keep_given = true;
		else {
			size_t i = 0;

			while (i < o.nrules && (int)o.rules[i].kind != k - 1)
				i++;
			o.rules[i] = (struct retain_rule){ (enum retain_kind)(k - 1), v };
			o.nrules += i == o.nrules;
		}
		return 0;
	}
	case 'N':
		if (units_parse_time(arg, &o.l.now) != 0)
			bad("--now %s: expected a UTC time like 2026-01-26T03:00:00Z", arg);
		return 0;
	case 'm': case 'g':
		if ((r = regcomp(c == 'm' ? &o.match : &o.group_by, arg, REG_EXTENDED)) != 0) {
			char msg[128];

			regerror(r, c == 'm' ? &o.match : &o.group_by, msg, sizeof(msg));
			bad("%s %s: %s", c == 'm' ? "--match" : "--group-by", arg, msg);
		}
		if (c == 'g' && o.group_by.re_nsub < 1)
			bad("--group-by %s: needs a group in parentheses", arg);
		*(c == 'm' ? &o.have_match : &o.have_group) = true;
		return 0;
	case 't': o.name_time = arg; return 0;
	case 'l': o.lenient = true; return 0;
	case 'f': o.format = arg; return 0;
	case 'o': o.output = arg; return 0;
	case 'q': o.quiet = true; return 0;
	case 'h': usage(stdout); exit(out_status(out_close_stdout()) == 0 ? OK : UNKNOWN);
	case 'V': printf("bkage %s\n", BKPIPE_VERSION); exit(out_status(out_close_stdout()) == 0 ? OK : UNKNOWN);
	default: usage(stderr); return -1;
	}
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
		group_new("");		/* no backups at all: one empty group */
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
		health_prometheus(o.out, hs, o.ngroups, o.have_group);
	else if (strcmp(o.format, "json") == 0)
		health_json(o.out, hs, o.ngroups, worst, o.l.now);
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
	if (strcmp(o.format, "nagios") != 0 && strcmp(o.format, "prometheus") != 0 &&
	    strcmp(o.format, "json") != 0)
		bad("--format %s: expected nagios, prometheus or json", o.format);
	if (o.expired >= 0 && (o.output || strcmp(o.format, "nagios") != 0))
		bad("--expired prints the selected lines: -o and --format do not apply");
	o.out = stdout;
	/* The newest --keep (with a grandfather-father-son set, the newest one
	 * unless --keep says more) are never selected. */
	if (o.nrules > 0 && !o.keep_given)
		o.keep = 1;
	o.rules[o.nrules++] = (struct retain_rule){ RETAIN_NEWEST, o.keep };
	for (int i = optind; i < argc || i == optind; i++) {
		const char *arg = i < argc ? argv[i] : "-";
		FILE *f = strcmp(arg, "-") == 0 ? stdin : fopen(arg, "r");

		if (f == NULL)
			return unknown("%s: %s", arg, strerror(errno));
		status = read_input(f, strcmp(arg, "-") == 0 ? "stdin" : arg);
		if (f != stdin)
			fclose(f);
		if (status != OK)
			return status;
	}
	if (o.expired >= 0) {
		for (size_t i = 0; i < o.ngroups; i++)
			retain_free(o.groups[i].retain);	/* what is kept stays unprinted */
		return out_status(out_close_stdout()) == 0 ? OK : UNKNOWN;
	}
	return report();
}
