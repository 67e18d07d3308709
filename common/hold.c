/*
 * A ring buffer of size holdback + WORK. `made` and `sent` count bytes
 * committed and written since the start; the ring holds made - sent bytes
 * ending at made % size. When the room left is small, everything older
 * than the newest holdback bytes is written, in at most two pieces.
 */
#include <stdlib.h>

#include "hold.h"
#include "out.h"

#define WORK (1024 * 1024)	/* written in pieces of about this much */

struct hold {
	int fd;
	unsigned char *buf;
	size_t size, holdback;
	uint64_t made, sent;
};

struct hold *
hold_new(int fd, size_t holdback)
{
	struct hold *h = calloc(1, sizeof(*h));

	if (h == NULL)
		return NULL;
	h->fd = fd;
	h->holdback = holdback;
	h->size = holdback + WORK;
	h->buf = malloc(h->size);
	if (h->buf == NULL) {
		free(h);
		return NULL;
	}
	return h;
}

void
hold_free(struct hold *h)
{
	if (h == NULL)
		return;
	free(h->buf);
	free(h);
}

/* Write the oldest n bytes of the ring. */
static int
send(struct hold *h, uint64_t n)
{
	while (n > 0) {
		size_t at = (size_t)(h->sent % h->size);
		size_t piece = h->size - at < n ? h->size - at : (size_t)n;
		int r = h->fd < 0 ? 0 : out_write(h->fd, h->buf + at, piece);

		if (r != 0)
			return r;
		h->sent += piece;
		n -= piece;
	}
	return 0;
}

int
hold_space(struct hold *h, unsigned char **p, size_t *n)
{
	size_t at = (size_t)(h->made % h->size);
	size_t used = (size_t)(h->made - h->sent);

	if (h->size - used < WORK / 4 && used > h->holdback) {
		int r = send(h, used - h->holdback);

		if (r != 0)
			return r;
		used = h->holdback;
	}
	/* Contiguous room: up to the end of the ring or the oldest byte kept. */
	*p = h->buf + at;
	*n = h->size - used < h->size - at ? h->size - used : h->size - at;
	return 0;
}

void
hold_commit(struct hold *h, size_t n)
{
	h->made += n;
}

int
hold_release(struct hold *h)
{
	return send(h, h->made - h->sent);
}

void
hold_drop(struct hold *h)
{
	h->made = h->sent;
}

uint64_t
hold_written(const struct hold *h)
{
	return h->sent;
}
