#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <unistd.h>

#include "err.h"
#include "out.h"

void
out_init(void)
{
	signal(SIGPIPE, SIG_IGN);
}

int
out_write(int fd, const void *buf, size_t len)
{
	const char *p = buf;

	while (len > 0) {
		ssize_t n = write(fd, p, len);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return errno == EPIPE ? OUT_EPIPE : OUT_ERROR;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

int
out_close_stdout(void)
{
	int r = 0;

	if (fflush(stdout) != 0 || ferror(stdout))
		r = errno == EPIPE ? OUT_EPIPE : OUT_ERROR;
	if (fclose(stdout) != 0 && r == 0)
		r = errno == EPIPE ? OUT_EPIPE : OUT_ERROR;
	return r;
}

int
out_status(int result)
{
	if (result == 0 || result == OUT_EPIPE)
		return EXIT_OK;
	warn("write error on standard output:");
	return EXIT_DATA;
}
