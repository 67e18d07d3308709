/*
 * An output that withholds its last bytes until told the data is good.
 *
 * The producer asks for room (hold_space), fills some of it and says how
 * much (hold_commit). Everything but the newest `holdback` bytes is written
 * to the file descriptor as the buffer fills; the newest bytes are written
 * by hold_release() once the producer has proved the whole input intact,
 * and never written if it calls hold_drop() instead. This is what keeps a
 * damaged backup from ever delivering its final bytes (DESIGN.md,
 * integrity contract). A descriptor of -1 discards (verify-only runs).
 *
 * Memory is the holdback plus a fixed working area, whatever the input.
 */
#ifndef BKPIPE_HOLD_H
#define BKPIPE_HOLD_H

#include <stddef.h>
#include <stdint.h>

struct hold;

struct hold *hold_new(int fd, size_t holdback);
void hold_free(struct hold *h);

/* Room for the producer: *p and *n (never 0). 0 or an OUT_* error. */
int hold_space(struct hold *h, unsigned char **p, size_t *n);

/* The producer put n bytes at the start of the room it was given. */
void hold_commit(struct hold *h, size_t n);

/* Write everything still withheld. 0 or an OUT_* error. */
int hold_release(struct hold *h);

/* Forget what is withheld: it will never be written. */
void hold_drop(struct hold *h);

/* Bytes written to the descriptor so far. */
uint64_t hold_written(const struct hold *h);

#endif
