/* gzcat-verify: decompress gzip to stdout while proving it intact. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "err.h"
#include "gz.h"
#include "hold.h"
#include "out.h"
#include "progress.h"
#include "sniff.h"
#include "units.h"

#define INBUF (256 * 1024)

static const char *const helptext[] = {
"Usage: gzcat-verify [options] [FILE...]",
"Decompress gzip FILEs (standard input when none, or -) to standard output,",
"proving each intact: every member's CRC-32 and length, the header CRC, and",
"the end of the input. The last 64 KiB of output are withheld until the",
"whole input has verified; on any damage they are never written, the",
"problem is reported with its byte offset and member, and the exit status",
"is 1.",
"",
"Options:",
"  -t, --test                     verify only; write nothing",
"  -f, --force                    copy input that is not gzip through unchanged",
"  -v, --verbose                  report members, sizes, ratio and CRC on success",
"      --holdback SIZE            withhold this much output until verified (64K)",
"      --ignore-trailing-garbage  accept data after the last member",
"      --progress                 show progress on stderr even when not a terminal",
"  -h, --help                     show this help and exit",
"  -V, --version                  show the version and exit",
"",
"Exit status: 0 intact, 1 damaged or unreadable, 2 usage error.",
"",
"Examples:",
"  gzcat-verify backup.sql.gz | pgfeed -1 \"$DATABASE_URL\"",
"  s3get s3://backups/db/2026-01-26_03-00-00.sql.gz | gzcat-verify -t",
"",
"See gzcat-verify(1).",
NULL,
};

struct opts {
	bool test, force, verbose, progress, ignore_garbage;
	size_t holdback;
};

static void
usage(FILE *f)
{
	for (const char *const *l = helptext; *l; l++)
		fprintf(f, "%s\n", *l);
}

/* read(2), restarted when a signal interrupts it; errno kept for the caller. */
static ssize_t
read_some(int fd, unsigned char *buf, size_t len)
{
	ssize_t n;

	do
		n = read(fd, buf, len);
	while (n < 0 && errno == EINTR);
	return n;
}

/* Copy a non-gzip input through unchanged (-f), starting with what was read. */
static int
passthrough(int fd, const char *name, unsigned char *buf, size_t have, int outfd)
{
	enum sniff_kind k = sniff(buf, have);
	ssize_t n;
	int r;

	if (outfd >= 0 && sniff_is_binary(k) && isatty(outfd)) {
		warn("%s: refusing to write %s to a terminal", name, sniff_name(k));
		return EXIT_DATA;
	}
	for (n = (ssize_t)have; n > 0; n = read_some(fd, buf, INBUF)) {
		if (outfd >= 0 && (r = out_write(outfd, buf, (size_t)n)) != 0)
			return r == OUT_EPIPE ? -1 : out_status(r);
	}
	if (n < 0) {
		warn("%s: read error:", name);
		return EXIT_DATA;
	}
	return EXIT_OK;
}

static void
summary(const char *name, const struct gz_info *i)
{
	char in[32], out[32];

	units_fmt_size(in, sizeof(in), i->in_bytes);
	units_fmt_size(out, sizeof(out), i->out_bytes);
	fprintf(stderr, "%s: %s: ok, %u member%s, %llu -> %llu bytes (%s -> %s, %.1f%%), "
	    "crc32 %08x, %s\n", prog, name, i->members, i->members == 1 ? "" : "s",
	    (unsigned long long)i->in_bytes, (unsigned long long)i->out_bytes, in, out,
	    i->out_bytes ? 100.0 * (double)i->in_bytes / (double)i->out_bytes : 0.0,
	    (unsigned)i->crc, i->backend);
}

/*
 * Decompress one input into h. Returns an exit status, or -1 when the
 * reader of the output has gone (the run ends quietly).
 */
static int
verify(int fd, const char *name, const struct opts *o, struct hold *h, int outfd,
    unsigned char *buf)
{
	struct gz *g = gz_new(o->ignore_garbage);
	struct progress *pr;
	struct stat st;
	int status = EXIT_OK, r = 0;
	ssize_t n = 0;
	size_t have = 0;

	if (g == NULL)
		die(EXIT_DATA, "out of memory");
	pr = progress_new(stderr, name, fstat(fd, &st) == 0 && S_ISREG(st.st_mode) ?
	    (int64_t)st.st_size : -1, o->progress);
	/* Two bytes decide between gzip and passthrough. A read error here
	 * (a directory, EIO) goes on to be reported as one, not as empty input. */
	while (have < 2 && (n = read_some(fd, buf + have, INBUF - have)) > 0)
		have += (size_t)n;
	if (n >= 0 && o->force && have > 0 && sniff(buf, have) != SNIFF_GZIP) {
		status = passthrough(fd, name, buf, have, outfd);
		goto done;
	}
	if (n >= 0)
		n = (ssize_t)have;
	for (; n > 0 && r == 0; n = read_some(fd, buf, INBUF)) {
		const unsigned char *in = buf;
		size_t inlen = (size_t)n;

		while (r == 0 && (inlen > 0 || gz_has_output(g))) {
			unsigned char *out, *p;
			size_t room;

			if ((r = hold_space(h, &out, &room)) != 0)
				break;
			p = out;
			if (gz_decode(g, &in, &inlen, &p, &room) != 0)
				r = 1;
			hold_commit(h, (size_t)(p - out));
		}
		progress_update(pr, gz_info(g)->in_bytes);
	}
	if (r < 0) {
		status = r == OUT_EPIPE ? -1 : out_status(r);
	} else if (n < 0) {
		warn("%s: read error:", name);
		status = EXIT_DATA;
	} else if (r > 0 || gz_finish(g) != 0) {
		warn("%s: %s", name, gz_error(g));
		status = EXIT_DATA;
	}
	progress_end(pr);
	if (status != EXIT_OK) {
		hold_drop(h);
	} else if ((r = hold_release(h)) != 0) {
		status = r == OUT_EPIPE ? -1 : out_status(r);
	} else {
		if (gz_info(g)->padding > 0)
			warn("%s: ignored %llu trailing zero bytes (block padding)", name,
			    (unsigned long long)gz_info(g)->padding);
		if (o->verbose)
			summary(name, gz_info(g));
	}
done:
	progress_free(pr);
	gz_free(g);
	return status;
}

int
main(int argc, char *argv[])
{
	static const struct option longopts[] = {
		{ "test", no_argument, NULL, 't' },
		{ "force", no_argument, NULL, 'f' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "holdback", required_argument, NULL, 'H' },
		{ "ignore-trailing-garbage", no_argument, NULL, 'G' },
		{ "progress", no_argument, NULL, 'P' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	struct opts o = { .holdback = 64 * 1024 };
	struct hold *h;
	unsigned char *buf;
	int c, r, status = EXIT_OK, outfd;
	uint64_t size;
	const char *why;

	err_init(argv[0]);
	out_init();
	while ((c = getopt_long(argc, argv, "tfvhV", longopts, NULL)) != -1) {
		switch (c) {
		case 't': o.test = true; break;
		case 'f': o.force = true; break;
		case 'v': o.verbose = true; break;
		case 'G': o.ignore_garbage = true; break;
		case 'P': o.progress = true; break;
		case 'H':
			if (units_parse_size(optarg, &size, &why) != 0 || size > SIZE_MAX / 2)
				die(EXIT_USAGE, "--holdback %s: %s", optarg, why ? why : "too large");
			o.holdback = (size_t)size;
			break;
		case 'h': usage(stdout); return out_status(out_close_stdout());
		case 'V': printf("gzcat-verify %s\n", BKPIPE_VERSION); return out_status(out_close_stdout());
		default: usage(stderr); return EXIT_USAGE;
		}
	}
	outfd = o.test ? -1 : STDOUT_FILENO;
	if ((h = hold_new(outfd, o.holdback)) == NULL || (buf = malloc(INBUF)) == NULL)
		die(EXIT_DATA, "out of memory");
	for (int i = optind; i < argc || i == optind; i++) {
		const char *arg = i < argc ? argv[i] : "-";
		bool std = strcmp(arg, "-") == 0;
		const char *name = std ? "stdin" : arg;
		int fd = std ? STDIN_FILENO : open(arg, O_RDONLY);

		if (fd < 0) {
			warn("%s: cannot open:", arg);
			status = status_worst(status, EXIT_DATA);
			continue;
		}
		/* After a damaged input, later ones are only verified: the output
		 * must not go on as if nothing was missing. */
		if (status != EXIT_OK && outfd >= 0) {
			hold_free(h);
			outfd = -1;
			if ((h = hold_new(outfd, o.holdback)) == NULL)
				die(EXIT_DATA, "out of memory");
		}
		if (isatty(fd)) {
			warn("%s: refusing to read compressed data from a terminal (see --help)", name);
			r = EXIT_USAGE;
		} else {
			r = verify(fd, name, &o, h, outfd, buf);
		}
		if (!std)
			close(fd);
		if (r < 0)
			break;		/* the reader has gone: stop quietly */
		status = status_worst(status, r);
	}
	hold_free(h);
	free(buf);
	return status;
}
