/*
 * How this works. The output is a ring buffer of holdback + WORK bytes.
 * `made` counts bytes the producer has committed, `sent` bytes written,
 * and `limit` how far writing may go: made - holdback while the input is
 * unproved, made after hold_release(). A writer thread writes from sent up
 * to limit while the producer fills the ring ahead of it, so inflating and
 * writing overlap; the producer waits only when the ring is full, the
 * writer only when there is nothing it may write. Bytes past limit are
 * never handed to write(2), so a dropped tail is never seen by the reader.
 */
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>

#include "hold.h"
#include "out.h"

#define WORK (1024 * 1024)	/* ring space beyond the holdback */
#define MIN_ROOM (WORK / 4)	/* the producer waits for at least this */
#define PIECE (256 * 1024)	/* the writer writes at most this at once */

struct hold {
	int fd;
	unsigned char *buf;
	size_t size, holdback;
	uint64_t made, sent, limit;
	int err;		/* the writer's OUT_* error, or 0 */
	int err_errno;		/* and its errno, for the caller's thread */
	bool stop, threaded;
	pthread_t writer;
	pthread_mutex_t mu;
	pthread_cond_t room;	/* signalled when sent moves */
	pthread_cond_t data;	/* signalled when limit moves or stop is set */
};

static void *
writer(void *arg)
{
	struct hold *h = arg;

	pthread_mutex_lock(&h->mu);
	for (;;) {
		size_t at, n;
		int r;

		while (h->sent == h->limit && !h->stop)
			pthread_cond_wait(&h->data, &h->mu);
		if (h->sent == h->limit)
			break;
		at = (size_t)(h->sent % h->size);
		n = h->limit - h->sent < PIECE ? (size_t)(h->limit - h->sent) : PIECE;
		if (n > h->size - at)
			n = h->size - at;
		pthread_mutex_unlock(&h->mu);
		r = out_write(h->fd, h->buf + at, n);
		pthread_mutex_lock(&h->mu);
		if (r != 0) {
			h->err = r;
			h->err_errno = errno;
			pthread_cond_broadcast(&h->room);
			break;
		}
		h->sent += n;
		pthread_cond_broadcast(&h->room);
	}
	pthread_mutex_unlock(&h->mu);
	return NULL;
}

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
	pthread_mutex_init(&h->mu, NULL);
	pthread_cond_init(&h->room, NULL);
	pthread_cond_init(&h->data, NULL);
	if (h->buf != NULL && fd >= 0)
		h->threaded = pthread_create(&h->writer, NULL, writer, h) == 0;
	if (h->buf == NULL || (fd >= 0 && !h->threaded)) {
		hold_free(h);
		return NULL;
	}
	return h;
}

void
hold_free(struct hold *h)
{
	if (h == NULL)
		return;
	if (h->threaded) {
		pthread_mutex_lock(&h->mu);
		h->stop = true;
		pthread_cond_signal(&h->data);
		pthread_mutex_unlock(&h->mu);
		pthread_join(h->writer, NULL);
	}
	pthread_cond_destroy(&h->data);
	pthread_cond_destroy(&h->room);
	pthread_mutex_destroy(&h->mu);
	free(h->buf);
	free(h);
}

/* Let the writer go up to `to`; without a writer, "write" it at once. */
static void
allow(struct hold *h, uint64_t to)
{
	if (to <= h->limit)
		return;
	h->limit = to;
	if (h->threaded)
		pthread_cond_signal(&h->data);
	else
		h->sent = to;
}

int
hold_space(struct hold *h, unsigned char **p, size_t *n)
{
	size_t at, free_;
	int err;

	pthread_mutex_lock(&h->mu);
	while (h->size - (h->made - h->sent) < MIN_ROOM && h->err == 0)
		pthread_cond_wait(&h->room, &h->mu);
	err = h->err;
	if (err != 0)
		errno = h->err_errno;
	at = (size_t)(h->made % h->size);
	free_ = h->size - (size_t)(h->made - h->sent);
	pthread_mutex_unlock(&h->mu);
	/* Contiguous room: up to the end of the ring or the oldest byte kept. */
	*p = h->buf + at;
	*n = free_ < h->size - at ? free_ : h->size - at;
	return err;
}

void
hold_commit(struct hold *h, size_t n)
{
	pthread_mutex_lock(&h->mu);
	h->made += n;
	if (h->made > h->holdback)
		allow(h, h->made - h->holdback);
	pthread_mutex_unlock(&h->mu);
}

int
hold_release(struct hold *h)
{
	int err;

	pthread_mutex_lock(&h->mu);
	allow(h, h->made);
	while (h->sent < h->made && h->err == 0)
		pthread_cond_wait(&h->room, &h->mu);
	err = h->err;
	if (err != 0)
		errno = h->err_errno;
	pthread_mutex_unlock(&h->mu);
	return err;
}

void
hold_drop(struct hold *h)
{
	pthread_mutex_lock(&h->mu);
	h->made = h->limit;
	pthread_mutex_unlock(&h->mu);
}

uint64_t
hold_written(const struct hold *h)
{
	uint64_t n;

	pthread_mutex_lock((pthread_mutex_t *)&h->mu);
	n = h->sent;
	pthread_mutex_unlock((pthread_mutex_t *)&h->mu);
	return n;
}
