/* s3put: stream standard input into one S3 object. */
#include <getopt.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "awscfg.h"
#include "err.h"
#include "listing.h"
#include "out.h"
#include "s3.h"
#include "units.h"
#include "upload.h"

#define MAX_HEADERS 32

static const char *const helptext[] = {
"Usage: s3put [options] s3://bucket/key",
"Stream standard input into one object, so that",
"`pg_dump | gzip | s3put s3://b/db/$(date -u +%F).sql.gz` makes a backup.",
"Input shorter than a part goes up in one PutObject; longer input as a",
"multipart upload while it is read, in parts of one size, each with its",
"Content-MD5. The ETag and size are checked at the end. On failure, SIGINT",
"or SIGTERM the multipart upload is aborted, so no orphan parts stay billed.",
"",
"Options:",
"  -j, --jobs N             parts sent at once (4)",
"      --part-size SIZE     bytes a part, 5M to 5000M (default: from",
"                           --expect-size or --size-hint, else 16M); memory",
"                           is about (N + 1) x SIZE",
"      --size-hint SIZE     about how large the input will be, so that parts",
"                           are chosen large enough (10,000 at most)",
"      --expect-size SIZE   fail unless the input is exactly SIZE bytes",
"      --if-none-match      refuse to overwrite an existing object (asked",
"                           before the upload, and checked after it)",
"      --content-type TYPE  the object's Content-Type (application/octet-stream)",
"      --storage-class C    STANDARD, STANDARD_IA, GLACIER_IR, ...",
"      --metadata K=V       user metadata (x-amz-meta-K); may repeat",
AWSCFG_HELP,
"  -v, --verbose            log requests on stderr; print the new object's",
"                           listing line on stdout",
"  -h, --help               show this help and exit",
"  -V, --version            show the version and exit",
"",
"Exit status: 0 stored and checked, 1 the data or the server said no (a",
"mismatch, the object exists with --if-none-match, input shorter than",
"--expect-size), 2 usage or configuration error, 3 network or server",
"trouble after retries; killed by SIGINT or SIGTERM after aborting.",
"",
"Examples:",
"  pg_dump \"$SRC\" | gzip | s3put \"s3://backups/db/$(date -u +%F_%H-%M-%S).sql.gz\"",
"",
"See s3put(1).",
NULL,
};

static volatile sig_atomic_t cancel;

static void
on_signal(int sig)
{
	cancel = sig;
}

static void
usage(FILE *f)
{
	for (const char *const *l = helptext; *l; l++)
		fprintf(f, "%s\n", *l);
}

/* A header line that lives as long as the program, checked as a request
 * header must be (option names the option, for the message). */
static const char *
header(const char *option, const char *name, const char *value)
{
	size_t n = strlen(name) + strlen(value) + 3;
	char *h = malloc(n), why[128];

	if (h == NULL)
		die(EXIT_DATA, "out of memory");
	snprintf(h, n, "%s: %s", name, value);
	if (s3_header_check(h, why, sizeof(why)) != 0 || strchr(name, ':') != NULL) {
		char *shown = s3_listing_escape(optarg);	/* no control byte reaches stderr */

		if (strchr(name, ':') != NULL)
			snprintf(why, sizeof(why), "a header name cannot hold ':'");
		die(EXIT_USAGE, "%s %s: %s", option, shown ? shown : "", why);
	}
	return h;
}

int
main(int argc, char *argv[])
{
	static const struct option longopts[] = {
		{ "jobs", required_argument, NULL, 'j' },
		{ "part-size", required_argument, NULL, 'P' },
		{ "expect-size", required_argument, NULL, 'X' },
		{ "size-hint", required_argument, NULL, 'S' },
		{ "if-none-match", no_argument, NULL, 'I' },
		{ "content-type", required_argument, NULL, 'T' },
		{ "storage-class", required_argument, NULL, 'C' },
		{ "metadata", required_argument, NULL, 'M' },
		AWSCFG_LONGOPTS,
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	const char *hdrs[MAX_HEADERS], *why;
	struct upload_opts o = { .jobs = 4, .expect_size = -1, .size_hint = -1,
	    .headers = hdrs, .cancel = &cancel };
	struct upload_result res;
	struct awscfg_opts ao = { 0 };
	struct awscfg cfg;
	struct sigaction sa;
	char err[2048], *bucket, *key, *end, *eq, name[256];
	uint64_t size;
	int c, status;

	err_init(argv[0]);
	out_init();
	while ((c = getopt_long(argc, argv, "j:vhV", longopts, NULL)) != -1) {
		if (o.nheaders >= MAX_HEADERS)
			die(EXIT_USAGE, "too many headers");
		switch (c) {
		case 'j':
			o.jobs = (unsigned)strtoul(optarg, &end, 10);
			if (*optarg < '1' || *optarg > '9' || *end || o.jobs > 64)
				die(EXIT_USAGE, "-j %s: expected a number from 1 to 64", optarg);
			break;
		case 'P': case 'X': case 'S':
			why = NULL;
			if (units_parse_size(optarg, &size, &why) != 0 || size > (uint64_t)S3_SIZE_MAX)
				die(EXIT_USAGE, "%s %s: %s", c == 'P' ? "--part-size" : c == 'X' ?
				    "--expect-size" : "--size-hint", optarg, why ? why : "too large");
			if (c == 'X')
				o.expect_size = (int64_t)size;
			else if (c == 'S')
				o.size_hint = (int64_t)size;
			else if (size < UPLOAD_PART_MIN || size > UPLOAD_PART_MAX)
				die(EXIT_USAGE, "--part-size %s: parts are 5M to 5000M (S3 takes up to "
				    "5G, R2 up to 4.995 GiB)", optarg);
			else
				o.part_size = (size_t)size;
			break;
		case 'I': o.if_none_match = true; break;
		case 'T': hdrs[o.nheaders++] = header("--content-type", "Content-Type", optarg); break;
		case 'C':
			hdrs[o.nheaders++] = header("--storage-class", "x-amz-storage-class", optarg);
			break;
		case 'M':
			if ((eq = strchr(optarg, '=')) == NULL || eq == optarg ||
			    (size_t)(eq - optarg) > sizeof(name) - 12)
				die(EXIT_USAGE, "--metadata %s: expected KEY=VALUE", optarg);
			snprintf(name, sizeof(name), "x-amz-meta-%.*s", (int)(eq - optarg), optarg);
			hdrs[o.nheaders++] = header("--metadata", name, eq + 1);
			break;
		case 'v': o.verbose = 1; break;
		case 'h': usage(stdout); return out_status(out_close_stdout());
		case 'V': printf("s3put %s\n", BKPIPE_VERSION); return out_status(out_close_stdout());
		default:
			if (awscfg_option(&ao, c, optarg))
				break;
			usage(stderr);
			return EXIT_USAGE;
		}
	}
	if (optind == argc - 2 && strncmp(argv[optind], "s3://", 5) != 0 &&
	    strncmp(argv[optind + 1], "s3://", 5) == 0)
		die(EXIT_USAGE, "s3put reads standard input: s3put %s < %s", argv[optind + 1],
		    argv[optind]);
	if (optind != argc - 1) {
		usage(stderr);
		return EXIT_USAGE;
	}
	if (s3_object_url(argv[optind], false, &bucket, &key, err, sizeof(err)) != 0)
		die(EXIT_USAGE, "%s: %s: expected s3://bucket/key", argv[optind], err);
	if (isatty(STDIN_FILENO))
		die(EXIT_USAGE, "refusing to read object data from a terminal");
	if (awscfg_load(&cfg, &ao, err, sizeof(err)) != 0)
		die(EXIT_USAGE, "%s", err);
	o.cfg = &cfg;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;	/* no SA_RESTART: a blocked read returns */
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);

	status = upload_stream(&o, STDIN_FILENO, bucket, key, &res, err, sizeof(err));
	if (cancel) {
		/* Aborted already; now die of the signal, as the shell expects. */
		signal((int)cancel, SIG_DFL);
		raise((int)cancel);
	}
	if (status == EXIT_OK && res.size == 0)
		warn("warning: the input was empty: stored a 0-byte object %s", argv[optind]);
	if (status != EXIT_OK) {
		warn("%s: %s", argv[optind], err);
	} else if (o.verbose) {
		int64_t t;
		char iso[32];

		if (units_parse_http_date(res.last_modified, &t) != 0)
			t = (int64_t)time(NULL);
		units_fmt_time(iso, sizeof(iso), t);
		printf("%s\t%llu\t%s\n", iso, (unsigned long long)res.size, argv[optind]);
	}
	free(bucket);
	free(key);
	for (size_t i = 0; i < o.nheaders; i++)
		free((char *)hdrs[i]);
	awscfg_free(&cfg);
	c = out_close_stdout();
	return status != EXIT_OK ? status : out_status(c);
}
