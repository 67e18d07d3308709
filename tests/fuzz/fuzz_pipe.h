/*
 * For the fuzz targets whose code reads a file descriptor: the input
 * written to a pipe (at most its capacity, 64 KiB), the write end closed.
 * Returns the read end; aborts when the pipe cannot be made.
 */
#ifndef BKPIPE_FUZZ_PIPE_H
#define BKPIPE_FUZZ_PIPE_H

#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>

static inline int
fuzz_pipe(const void *data, size_t size)
{
	int fd[2];

	if (pipe(fd) != 0)
		abort();
	if (write(fd[1], data, size) != (ssize_t)size)
		abort();
	close(fd[1]);
	return fd[0];
}

#endif
