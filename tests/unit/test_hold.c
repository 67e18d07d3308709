/* The withheld output tail: what reaches the descriptor, and when. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hold.h"
#include "out.h"
#include "tap.h"

/* Read back what was written. */
static size_t
drain(int fd, unsigned char *dst, size_t cap)
{
	size_t n = 0;
	ssize_t r;

	while (n < cap && (r = read(fd, dst + n, cap - n)) > 0)
		n += (size_t)r;
	return n;
}

/* Produce total bytes in pieces of piece; check what was written at each step. */
static void
produce(size_t holdback, size_t total, size_t piece, int release)
{
	/* A temporary file, not a pipe, so the test never blocks. */
	char path[] = "/tmp/bkpipe-hold-XXXXXX";
	int fd = mkstemp(path);
	struct hold *h;
	unsigned char *want = malloc(total + 1), *got = malloc(total + 1);
	size_t made = 0, seen = 0, limit = total > holdback ? total - holdback : 0;
	int early = 0;

	if (fd < 0 || want == NULL || got == NULL)
		abort();
	unlink(path);
	for (size_t i = 0; i < total; i++)
		want[i] = (unsigned char)(i * 7 + i / 251);
	h = hold_new(fd, holdback);
	while (made < total) {
		unsigned char *p;
		size_t room, n;

		if (hold_space(h, &p, &room) != 0)
			break;
		n = piece < room ? piece : room;
		if (n > total - made)
			n = total - made;
		memcpy(p, want + made, n);
		hold_commit(h, n);
		made += n;
		if (hold_written(h) > (made > holdback ? made - holdback : 0))
			early = 1;
	}
	if (release)
		ok(hold_release(h) == 0, "release succeeds");
	else
		hold_drop(h);
	hold_free(h);		/* waits for the writer */
	lseek(fd, 0, SEEK_SET);
	seen = drain(fd, got, total + 1);
	ok(!early, "holdback %zu, %zu bytes in %zu-byte pieces: the last %zu bytes are never "
	    "written early", holdback, total, piece, holdback);
	if (release)
		ok(seen == total && memcmp(got, want, total) == 0,
		    "after release all %zu bytes are written, in order (got %zu)", total, seen);
	else
		ok(seen <= limit && memcmp(got, want, seen) == 0,
		    "after drop at most %zu bytes are written, a prefix (got %zu)", limit, seen);
	close(fd);
	free(want);
	free(got);
}

int
main(void)
{
	static const size_t holdbacks[] = { 0, 1, 65535, 65536, 65537, 3 << 20 };
	static const size_t totals[] = { 0, 1, 2, 3, 65535, 65536, 65537, 5 << 20 };

	for (size_t i = 0; i < sizeof(holdbacks) / sizeof(holdbacks[0]); i++)
		for (size_t j = 0; j < sizeof(totals) / sizeof(totals[0]); j++) {
			produce(holdbacks[i], totals[j], 100000, 1);
			produce(holdbacks[i], totals[j], 4093, 0);
		}
	{
		struct hold *h = hold_new(-1, 10);
		unsigned char *p;
		size_t room;

		ok(hold_space(h, &p, &room) == 0 && room > 0, "a discarding hold gives room");
		hold_commit(h, 5);
		ok(hold_release(h) == 0 && hold_written(h) == 5, "a discarding hold counts what it drops");
		hold_free(h);
	}
	{
		int fds[2];
		struct hold *h;
		unsigned char *p;
		size_t room;

		out_init();
		if (pipe(fds) != 0)
			abort();
		close(fds[0]);
		h = hold_new(fds[1], 0);
		hold_space(h, &p, &room);
		memset(p, 'x', 10);
		hold_commit(h, 10);
		is_int(hold_release(h), OUT_EPIPE, "a closed reader is reported as EPIPE");
		hold_free(h);
		close(fds[1]);
	}
	return tap_done();
}
