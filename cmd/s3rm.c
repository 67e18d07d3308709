/* s3rm: delete exactly the S3 objects it is given. */
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "awscfg.h"
#include "err.h"
#include "listing.h"
#include "out.h"
#include "s3.h"

#define BATCH 1000	/* DeleteObjects' limit */

static const char *const helptext[] = {
"Usage: s3rm [options] [URL...]",
"Delete the objects named in the arguments, or else on standard input as",
"bare URLs or s3ls listing lines, with DeleteObjects in batches of up to",
"1000. Only the exact keys given are deleted: never a prefix, never a",
"bucket. Each key that could not be deleted is reported; a key that does",
"not exist counts as deleted, as in S3.",
"",
"Options:",
"  -n, --dry-run            print the URLs that would be deleted, delete nothing",
AWSCFG_HELP,
"  -v, --verbose            log each request (never its secrets) on stderr",
"  -h, --help               show this help and exit",
"  -V, --version            show the version and exit",
"",
"Exit status: 0 all deleted, 1 a key could not be deleted or the server said",
"no, 2 usage or configuration error, 3 network or server trouble after retries.",
"",
"Examples:",
"  s3ls s3://backups/db/ >listing && s3ls s3://backups/.proofs/db/ >proofs &&",
"    bkage --expired 30d --keep 7 --proofs proofs listing | s3rm -n",
"  s3rm s3://backups/db/2025-12-01_03-00-00.sql.gz",
"",
"See s3rm(1).",
NULL,
};

struct batch {
	struct s3 *s;
	bool dry_run;
	char *bucket;
	char *keys[BATCH];
	size_t n;
	int status;
};

static void
usage(FILE *f)
{
	for (const char *const *l = helptext; *l; l++)
		fprintf(f, "%s\n", *l);
}

static void
failed(void *arg, const char *key, const char *code, const char *message)
{
	struct batch *b = arg;
	char *shown = s3_listing_escape(key);

	warn("s3://%s/%s: %s%s%s", b->bucket, shown ? shown : key, code, *code ? ": " : "", message);
	free(shown);
}

static void
flush(struct batch *b)
{
	if (b->n > 0 && !b->dry_run)
		b->status = status_worst(b->status, s3_delete(b->s, b->bucket, b->keys, b->n, failed, b));
	for (size_t i = 0; i < b->n; i++)
		free(b->keys[i]);
	b->n = 0;
}

static int
add(void *arg, const char *url)
{
	struct batch *b = arg;
	char *bucket, *key, why[128];

	if (s3_object_url(url, false, &bucket, &key, why, sizeof(why)) != 0) {
		warn("%s: %s: expected s3://bucket/key (with %%XX for control bytes, TAB, LF and %%)",
		    url, why);
		return EXIT_USAGE;
	}
	if (b->bucket == NULL || strcmp(b->bucket, bucket) != 0 || b->n == BATCH) {
		flush(b);
		free(b->bucket);
		b->bucket = bucket;
	} else {
		free(bucket);
	}
	if (b->dry_run)
		printf("%s\n", url);
	b->keys[b->n++] = key;
	return ferror(stdout) ? EXIT_DATA : EXIT_OK;
}

int
main(int argc, char *argv[])
{
	static const struct option longopts[] = {
		{ "dry-run", no_argument, NULL, 'n' },
		AWSCFG_LONGOPTS,
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	struct awscfg_opts ao = { 0 };
	struct awscfg cfg;
	struct batch b = { 0 };
	char err[2048];
	int c, verbose = 0, r = EXIT_OK;

	err_init(argv[0]);
	out_init();
	while ((c = getopt_long(argc, argv, "nvhV", longopts, NULL)) != -1) {
		switch (c) {
		case 'n': b.dry_run = true; break;
		case 'v': verbose = 1; break;
		case 'h': usage(stdout); return out_status(out_close_stdout());
		case 'V': printf("s3rm %s\n", BKPIPE_VERSION); return out_status(out_close_stdout());
		default:
			if (awscfg_option(&ao, c, optarg))
				break;
			usage(stderr);
			return EXIT_USAGE;
		}
	}
	if (!b.dry_run) {
		if (awscfg_load(&cfg, &ao, err, sizeof(err)) != 0)
			die(EXIT_USAGE, "%s", err);
		if ((b.s = s3_new(&cfg, verbose)) == NULL)
			die(EXIT_DATA, "cannot start the HTTP client");
	}
	/* Every URL is read and checked before anything is deleted from a
	 * batch it is in; a bad line stops the run there. */
	if (optind == argc) {
		r = listing_read_urls(stdin, false, add, &b);
		if (r == EXIT_OK && ferror(stdin)) {
			warn("read error on standard input:");
			r = EXIT_DATA;
		}
	}
	for (int i = optind; i < argc && r == EXIT_OK; i++)
		r = add(&b, argv[i]);
	if (r == EXIT_OK)
		flush(&b);
	else
		for (size_t i = 0; i < b.n; i++)
			free(b.keys[i]);
	free(b.bucket);
	if (!b.dry_run) {
		s3_free(b.s);
		awscfg_free(&cfg);
	}
	c = out_close_stdout();
	return status_worst(status_worst(r, b.status), out_status(c));
}
