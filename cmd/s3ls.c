/* s3ls: list S3 objects as listing lines. */
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "awscfg.h"
#include "err.h"
#include "out.h"
#include "s3.h"
#include "units.h"

static const char *const helptext[] = {
"Usage: s3ls [options] s3://bucket[/prefix]...",
"List the objects under each prefix, in key order, one listing line each:",
"LAST_MODIFIED<TAB>SIZE<TAB>URL, the time in UTC (2026-01-26T03:00:15Z).",
"Without -r, one level: common prefixes (\"directories\") are listed as",
"-<TAB>-<TAB>s3://bucket/prefix/. Bytes of a key that would break a line",
"(control bytes, TAB, LF and %) are percent-encoded in the URL.",
"",
"Options:",
"  -r, --recursive          everything under the prefix, not one level",
"  -1, --url-only           print bare URLs",
"      --json               one JSON object per line, with ETag and storage class",
"      --start-after KEY    begin after this key",
"      --max N              stop after N lines",
"      --since WHEN         only objects modified at or after WHEN",
"      --until WHEN         only objects modified before WHEN",
"                           (WHEN: a duration ago, like 26h or 7d, or a UTC",
"                           time, like 2026-01-26 or 2026-01-26T03:00:00Z)",
AWSCFG_HELP,
"  -v, --verbose            log each request (never its secrets) on stderr",
"  -h, --help               show this help and exit",
"  -V, --version            show the version and exit",
"",
"Exit status: 0 listed (an empty prefix too), 1 the server said no,",
"2 usage or configuration error, 3 network or server trouble after retries.",
"",
"Environment: AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN,",
"AWS_PROFILE, AWS_REGION, AWS_DEFAULT_REGION, AWS_ENDPOINT_URL_S3,",
"AWS_ENDPOINT_URL, AWS_CONFIG_FILE, AWS_SHARED_CREDENTIALS_FILE,",
"AWS_CA_BUNDLE, AWS_MAX_ATTEMPTS.",
"",
"Examples:",
"  s3ls s3://backups/db/ | bkage --proofs <(s3ls s3://backups/.proofs/db/) --latest | s3get | gzcat-verify | pgfeed -1",
"  s3ls -r --since 7d s3://backups/",
"",
"See s3ls(1).",
NULL,
};

struct lister {
	const char *bucket;
	bool url_only, json;
	int64_t since, until;	/* INT64_MIN / INT64_MAX: no bound */
	long long max, printed;
};

static void
usage(FILE *f)
{
	for (const char *const *l = helptext; *l; l++)
		fprintf(f, "%s\n", *l);
}

/* A JSON string, escaped; keys are UTF-8 as S3 requires. */
static void
json_str(const char *s)
{
	putchar('"');
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p == '"' || *p == '\\')
			printf("\\%c", *p);
		else if (*p < 0x20 || *p == 0x7f)
			printf("\\u%04x", *p);
		else
			putchar(*p);
	}
	putchar('"');
}

static int
print_entry(void *arg, const struct s3_entry *e)
{
	struct lister *l = arg;
	char *key = s3_listing_escape(e->key);

	if (key == NULL)
		die(EXIT_DATA, "out of memory");
	if (!e->is_prefix && (e->mtime < l->since || e->mtime >= l->until)) {
		free(key);
		return EXIT_OK;
	}
	if (l->json) {
		printf("{\"url\":\"s3://%s/", l->bucket);
		fputs(key, stdout);
		printf("\",\"key\":");
		json_str(e->key);
		if (e->is_prefix) {
			printf(",\"prefix\":true}\n");
		} else {
			printf(",\"last_modified\":\"%s\",\"size\":%lld,\"etag\":", e->last_modified,
			    (long long)e->size);
			json_str(e->etag ? e->etag : "");
			printf(",\"storage_class\":");
			json_str(e->storage_class ? e->storage_class : "");
			printf("}\n");
		}
	} else if (l->url_only) {
		printf("s3://%s/%s\n", l->bucket, key);
	} else if (e->is_prefix) {
		printf("-\t-\ts3://%s/%s\n", l->bucket, key);
	} else {
		printf("%s\t%lld\ts3://%s/%s\n", e->last_modified, (long long)e->size, l->bucket, key);
	}
	free(key);
	if (ferror(stdout))
		return -1;	/* the reader has gone, or a write error */
	return ++l->printed >= l->max ? -2 : EXIT_OK;
}

/* WHEN: a duration ago, or a UTC time. */
static int64_t
parse_when(const char *opt, const char *s)
{
	int64_t t, secs;
	const char *why;

	if (units_parse_time(s, &t) == 0)
		return t;
	if (units_parse_duration(s, &secs, &why) == 0)
		return (int64_t)time(NULL) - secs;
	die(EXIT_USAGE, "%s %s: expected a duration (26h, 7d) or a UTC time (2026-01-26T03:00:00Z)",
	    opt, s);
}

int
main(int argc, char *argv[])
{
	static const struct option longopts[] = {
		{ "recursive", no_argument, NULL, 'r' },
		{ "url-only", no_argument, NULL, '1' },
		{ "json", no_argument, NULL, 'J' },
		{ "start-after", required_argument, NULL, 'A' },
		{ "max", required_argument, NULL, 'M' },
		{ "since", required_argument, NULL, 'S' },
		{ "until", required_argument, NULL, 'U' },
		AWSCFG_LONGOPTS,
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	struct lister l = { .since = INT64_MIN, .until = INT64_MAX, .max = -1 };
	struct awscfg_opts ao = { 0 };
	struct s3_list_opts lo = { .delimiter = "/" };
	struct awscfg cfg;
	struct s3 *s;
	char err[2048], *end;
	int c, status = EXIT_OK, verbose = 0;

	err_init(argv[0]);
	out_init();
	while ((c = getopt_long(argc, argv, "r1vhV", longopts, NULL)) != -1) {
		switch (c) {
		case 'r': lo.delimiter = NULL; break;
		case '1': l.url_only = true; break;
		case 'J': l.json = true; break;
		case 'A': lo.start_after = optarg; break;
		case 'M':
			l.max = strtoll(optarg, &end, 10);
			if (*optarg == '\0' || *end || l.max < 1)
				die(EXIT_USAGE, "--max %s: expected a positive number", optarg);
			break;
		case 'S': l.since = parse_when("--since", optarg); break;
		case 'U': l.until = parse_when("--until", optarg); break;
		case 'v': verbose = 1; break;
		case 'h': usage(stdout); return out_status(out_close_stdout());
		case 'V': printf("s3ls %s\n", BKPIPE_VERSION); return out_status(out_close_stdout());
		default:
			if (awscfg_option(&ao, c, optarg))
				break;
			usage(stderr);
			return EXIT_USAGE;
		}
	}
	if (optind == argc) {
		usage(stderr);
		return EXIT_USAGE;
	}
	if (l.max < 0)
		l.max = -1ULL >> 1;
	if (awscfg_load(&cfg, &ao, err, sizeof(err)) != 0)
		die(EXIT_USAGE, "%s", err);
	if ((s = s3_new(&cfg, verbose)) == NULL)
		die(EXIT_DATA, "cannot start the HTTP client");
	for (int i = optind; i < argc && status != -1; i++) {
		char *bucket, *prefix, why[128];
		int r;

		if (s3_parse_url(argv[i], &bucket, &prefix, why, sizeof(why)) != 0) {
			if (strncmp(argv[i], "s3://", 5) == 0)
				warn("%s: %s", argv[i], why);
			else
				warn("%s: expected s3://bucket[/prefix]", argv[i]);
			status = status_worst(status, EXIT_USAGE);
			continue;
		}
		l.bucket = bucket;
		lo.prefix = prefix;
		r = s3_list(s, bucket, &lo, print_entry, &l);
		if (r == -1 || r == -2) {
			status = r == -1 ? -1 : status;
		} else if (r != EXIT_OK) {
			warn("%s: %s", argv[i], s3_error(s));
			status = status_worst(status, r);
		}
		free(bucket);
		free(prefix);
		if (r == -2)
			break;
	}
	s3_free(s);
	awscfg_free(&cfg);
	c = out_close_stdout();
	if (status == -1 || c != 0)
		return status_worst(status == -1 ? EXIT_OK : status, out_status(c));
	return status;
}
