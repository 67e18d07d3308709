/*
 * A progress meter on stderr: bytes, rate and, when the total is known,
 * percentage and ETA. Shown only when the stream is a terminal or when the
 * user asked (--progress), and redrawn at most a few times a second. On a
 * terminal it redraws one line; elsewhere (a log file) it prints a line
 * every few seconds. A disabled meter costs one comparison per update.
 */
#ifndef BKPIPE_PROGRESS_H
#define BKPIPE_PROGRESS_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

struct progress;

/* total < 0: unknown. force: show even when out is not a terminal. */
struct progress *progress_new(FILE *out, const char *label, int64_t total, bool force);
struct progress *progress_new_at(FILE *out, const char *label, int64_t total,
    bool force, uint64_t start_ns);
void progress_free(struct progress *p);

/* Report that done bytes are finished; redraws when it is time. */
void progress_update(struct progress *p, uint64_t done);

/* The _at forms take the monotonic clock in nanoseconds (for tests). */
void progress_update_at(struct progress *p, uint64_t done, uint64_t now_ns);

/* Whether anything is shown: callers can skip preparing details. */
bool progress_enabled(const struct progress *p);

/* Text shown after the rate, such as the current item ("" for none). */
void progress_detail(struct progress *p, const char *detail);

/* Final line: erases the meter on a terminal, prints a last line elsewhere. */
void progress_end(struct progress *p);
void progress_end_at(struct progress *p, uint64_t now_ns);

#endif
