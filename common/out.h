/*
 * Checked output. A reader that goes away (EPIPE) is a normal way to stop,
 * as with `| head`: callers end quietly with success. Any other write error
 * is an error and is reported as a write error, never as a read error.
 */
#ifndef BKPIPE_OUT_H
#define BKPIPE_OUT_H

#include <stddef.h>

enum {
	OUT_ERROR = -1,		/* errno says why */
	OUT_EPIPE = -2,		/* the reader has gone */
};

/* Ignore SIGPIPE so a closed pipe shows up as EPIPE; call first in main(). */
void out_init(void);

/* Write all of buf to fd, retrying short writes and EINTR. 0 or OUT_*. */
int out_write(int fd, const void *buf, size_t len);

/* Flush and close stdout for programs that print with stdio. 0 or OUT_*. */
int out_close_stdout(void);

/*
 * For main(): report a failed out_* result on stderr and return the exit
 * status to use: EXIT_OK for EPIPE (quiet), EXIT_DATA for a write error.
 */
int out_status(int result);

#endif
