/* s3get: stream S3 objects to standard output, fast and verified. */
#include <errno.h>
#include <fcntl.h>
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
#include "fetch.h"
#include "listing.h"
#include "out.h"
#include "s3.h"
#include "sigv4.h"
#include "units.h"

static const char *const helptext[] = {
"Usage: s3get [options] [URL...]",
"Write S3 objects to standard output (or -o FILE), one after another, in",
"the order given, verified: the length, the ETag's MD5 when it is one, and",
"x-amz-checksum-* when the object has them. URLs come from the arguments, or",
"else from standard input as bare URLs or s3ls listing lines (so",
"`s3ls ... | bkage --proofs ... --latest | s3get` works). A presigned",
"http(s):// URL is fetched as it is, and needs no credentials.",
"",
"Options:",
"  -j, --jobs N             parts fetched at once for large objects (4)",
"      --part-size SIZE     bytes a part (8M); memory is about N x SIZE",
"  -o, --output FILE        write FILE, renamed into place only once verified",
"      --presign DURATION   print presigned URLs (up to 7d) instead",
"      --progress           show progress even when stderr is not a terminal",
AWSCFG_HELP,
"  -v, --verbose            log each request (never its secrets) on stderr",
"  -h, --help               show this help and exit",
"  -V, --version            show the version and exit",
"",
"Exit status: 0 fetched and verified, 1 the data or the server said no",
"(a mismatch, NoSuchKey, AccessDenied, the object changed meanwhile),",
"2 usage or configuration error, 3 network or server trouble after retries.",
"",
"Examples:",
"  s3ls s3://backups/db/ | bkage --proofs <(s3ls s3://backups/.proofs/db/) \\",
"      --latest | s3get | gzcat-verify | pgfeed -1",
"  s3get -o restore.sql.gz s3://backups/db/2026-01-26.sql.gz",
"  s3get --presign 24h s3://backups/db/2026-01-26.sql.gz",
"",
"See s3get(1).",
NULL,
};

/* The temporary file of -o, removed if a signal ends the program. */
static char tmp[4096];

static void
on_signal(int sig)
{
	unlink(tmp);
	signal(sig, SIG_DFL);
	raise(sig);
}

struct opts {
	struct fetch_opts f;
	struct awscfg cfg;
	int64_t presign;	/* seconds, or 0 */
	int fd;
	struct s3 *s;		/* for --presign */
};

static void
usage(FILE *f)
{
	for (const char *const *l = helptext; *l; l++)
		fprintf(f, "%s\n", *l);
}

/* Fetch (or presign) one URL as written: s3:// with its key encoded, or https://. */
static int
one(struct opts *o, const char *url)
{
	char *bucket = NULL, *key = NULL, err[2048];
	int status;

	if (strncmp(url, "https://", 8) == 0 || strncmp(url, "http://", 7) == 0) {
		if (o->presign) {
			warn("%s: already a URL; --presign takes s3:// URLs", url);
			return EXIT_USAGE;
		}
		status = fetch_object(&o->f, NULL, NULL, url, "presigned URL", o->fd, err, sizeof(err));
		if (status > 0)
			warn("presigned URL: %s", err);	/* its query holds the signature */
		return status;
	}
	if (s3_object_url(url, false, &bucket, &key, err, sizeof(err)) != 0) {
		warn("%s: %s: expected s3://bucket/key (with %%XX for control bytes, TAB, LF and %%)",
		    url, err);
		return EXIT_USAGE;
	}
	if (o->presign) {
		char *p = s3_presign(o->s, bucket, key, (long)o->presign, (int64_t)time(NULL));

		status = p && printf("%s\n", p) > 0 ? EXIT_OK : EXIT_DATA;
		free(p);
	} else {
		status = fetch_object(&o->f, bucket, key, NULL, url, o->fd, err, sizeof(err));
		if (status > 0)
			warn("%s: %s", url, err);
	}
	free(bucket);
	free(key);
	return status;
}

/* For URLs from standard input: never go on past a failed object, since the
 * stream would have a hole. */
static int
one_line(void *arg, const char *url)
{
	return one(arg, url);
}

int
main(int argc, char *argv[])
{
	static const struct option longopts[] = {
		{ "jobs", required_argument, NULL, 'j' },
		{ "part-size", required_argument, NULL, 'P' },
		{ "output", required_argument, NULL, 'o' },
		{ "presign", required_argument, NULL, 'S' },
		{ "progress", no_argument, NULL, 'G' },
		AWSCFG_LONGOPTS,
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	struct opts o = { .f = { .jobs = 4, .part_size = 8 << 20 }, .fd = STDOUT_FILENO };
	struct awscfg_opts ao = { 0 };
	const char *output = NULL, *why;
	char err[2048], *end;
	uint64_t size;
	int c, status = EXIT_OK;

	err_init(argv[0]);
	out_init();
	while ((c = getopt_long(argc, argv, "j:o:vhV", longopts, NULL)) != -1) {
		switch (c) {
		case 'j':
			o.f.jobs = (unsigned)strtoul(optarg, &end, 10);
			if (*optarg == '\0' || *end || o.f.jobs < 1 || o.f.jobs > 64)
				die(EXIT_USAGE, "-j %s: expected a number from 1 to 64", optarg);
			break;
		case 'P':
			why = NULL;	/* a size out of range leaves it unset */
			if (units_parse_size(optarg, &size, &why) != 0 || size < 1 || size > (1ULL << 30))
				die(EXIT_USAGE, "--part-size %s: %s", optarg, why ? why : "from 1 to 1G");
			o.f.part_size = (size_t)size;
			break;
		case 'o': output = optarg; break;
		case 'S':
			if (units_parse_duration(optarg, &o.presign, &why) != 0)
				die(EXIT_USAGE, "--presign %s: %s", optarg, why);
			if (o.presign < 1 || o.presign > SIGV4_MAX_EXPIRES)
				die(EXIT_USAGE, "--presign %s: from 1s to 7d", optarg);
			break;
		case 'G': o.f.progress = true; break;
		case 'v': o.f.verbose = 1; break;
		case 'h': usage(stdout); return out_status(out_close_stdout());
		case 'V': printf("s3get %s\n", BKPIPE_VERSION); return out_status(out_close_stdout());
		default:
			if (awscfg_option(&ao, c, optarg))
				break;
			usage(stderr);
			return EXIT_USAGE;
		}
	}
	if (o.presign == 0 && output == NULL && isatty(STDOUT_FILENO))
		die(EXIT_USAGE, "refusing to write object data to a terminal (use -o FILE or a pipe)");
	/* A presigned URL needs no credentials: their lack matters at an s3:// URL. */
	ao.creds_later = o.presign == 0;
	if (awscfg_load(&o.cfg, &ao, err, sizeof(err)) != 0)
		die(EXIT_USAGE, "%s", err);
	o.f.cfg = &o.cfg;
	if (o.presign && (o.s = s3_new(&o.cfg, o.f.verbose)) == NULL)
		die(EXIT_DATA, "cannot start the HTTP client");
	if (output && o.presign == 0) {
		struct sigaction sa;
		sigset_t block, old;

		if (snprintf(tmp, sizeof(tmp), "%s.s3get-XXXXXX", output) >= (int)sizeof(tmp))
			die(EXIT_USAGE, "-o %s: the name is too long", output);
		/* No signal between the file's creation and its handler. */
		memset(&sa, 0, sizeof(sa));
		sa.sa_handler = on_signal;
		sigemptyset(&block);
		sigaddset(&block, SIGINT);
		sigaddset(&block, SIGTERM);
		sigaddset(&block, SIGHUP);
		sigprocmask(SIG_BLOCK, &block, &old);
		if ((o.fd = mkstemp(tmp)) < 0)
			die(EXIT_DATA, "%s: cannot create a file beside it:", output);
		sigaction(SIGINT, &sa, NULL);
		sigaction(SIGTERM, &sa, NULL);
		sigaction(SIGHUP, &sa, NULL);
		sigprocmask(SIG_SETMASK, &old, NULL);
	}
	if (optind == argc) {
		status = listing_read_urls(stdin, true, one_line, &o);
		if (status == EXIT_OK && ferror(stdin)) {
			warn("read error on standard input:");
			status = EXIT_DATA;
		}
	}
	for (int i = optind; i < argc && status == EXIT_OK; i++)
		status = one(&o, argv[i]);
	if (*tmp) {
		if (status == EXIT_OK && (fsync(o.fd) != 0 || close(o.fd) != 0 || rename(tmp, output) != 0)) {
			warn("%s: cannot write:", output);
			status = EXIT_DATA;
		}
		if (status != EXIT_OK) {
			close(o.fd);
			unlink(tmp);	/* a failed download never leaves a file that looks whole */
		}
		signal(SIGINT, SIG_DFL);
		signal(SIGTERM, SIG_DFL);
		signal(SIGHUP, SIG_DFL);
	}
	s3_free(o.s);
	awscfg_free(&o.cfg);
	c = out_close_stdout();
	if (status < 0)
		return EXIT_OK;		/* the reader has gone */
	return status != EXIT_OK ? status : out_status(c);
}
