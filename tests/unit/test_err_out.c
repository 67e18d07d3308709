/* Messages, exit statuses and checked output. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "err.h"
#include "out.h"
#include "tap.h"

/* Run warn() with stderr sent to a file; return what it printed. */
static const char *
warned(const char *fmt, const char *arg, int err)
{
	static char text[512];
	FILE *f = tmpfile();
	int saved = dup(STDERR_FILENO);
	size_t n;

	fflush(stderr);
	dup2(fileno(f), STDERR_FILENO);
	errno = err;
	warn(fmt, arg);
	fflush(stderr);
	dup2(saved, STDERR_FILENO);
	close(saved);
	rewind(f);
	n = fread(text, 1, sizeof(text) - 1, f);
	text[n] = '\0';
	fclose(f);
	return text;
}

int
main(void)
{
	int fds[2], full;

	err_init("/usr/local/bin/gzcat-verify");
	is_str(prog, "gzcat-verify", "the program name is argv[0] without its directory");
	is_str(warned("%s: bad thing", "x.gz", 0), "gzcat-verify: x.gz: bad thing\n",
	    "warn prefixes the program name");
	is_str(warned("%s: cannot open:", "x.gz", ENOENT),
	    "gzcat-verify: x.gz: cannot open: No such file or directory\n",
	    "a format ending in ':' gets strerror(errno)");

	is_int(status_worst(EXIT_OK, EXIT_DATA), EXIT_DATA, "data outranks success");
	is_int(status_worst(EXIT_TRANSIENT, EXIT_DATA), EXIT_DATA, "data outranks transient");
	is_int(status_worst(EXIT_DATA, EXIT_TRANSIENT), EXIT_DATA, "in either order");
	is_int(status_worst(EXIT_OK, EXIT_TRANSIENT), EXIT_TRANSIENT, "transient outranks success");
	is_int(status_worst(EXIT_DATA, EXIT_USAGE), EXIT_USAGE, "usage outranks data");

	out_init();
	if (pipe(fds) != 0)
		abort();
	is_int(out_write(fds[1], "hello", 5), 0, "a write to a pipe succeeds");
	{
		char b[8] = { 0 };

		ok(read(fds[0], b, sizeof(b)) == 5 && memcmp(b, "hello", 5) == 0,
		    "and the reader gets all of it");
	}
	close(fds[0]);
	is_int(out_write(fds[1], "x", 1), OUT_EPIPE, "a closed reader is EPIPE, not a signal");
	close(fds[1]);
	full = open("/dev/full", O_WRONLY);
	if (full >= 0) {
		errno = 0;
		is_int(out_write(full, "x", 1), OUT_ERROR, "a full device is a write error");
		is_int(errno, ENOSPC, "with errno set");
		is_int(out_status(OUT_EPIPE), EXIT_OK, "EPIPE ends quietly with success");
		close(full);
	} else {
		ok(1, "# SKIP no /dev/full");
	}
	return tap_done();
}
