/*
 * A growable byte string, for text whose length the input chooses: SQL
 * built from names, items of the SQL reader. p is NUL-terminated after
 * every add, so it can be passed on as a C string.
 */
#ifndef BKPIPE_STRBUF_H
#define BKPIPE_STRBUF_H

#include <stddef.h>

struct strbuf {
	char *p;
	size_t len, cap;
};

/* Append n bytes. 0, or -1 when out of memory (errno ENOMEM). */
int strbuf_add(struct strbuf *b, const void *p, size_t n);

/* Append a C string. 0 or -1. */
int strbuf_adds(struct strbuf *b, const char *s);

/* Append printf-style. 0 or -1. */
int strbuf_addf(struct strbuf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Empty it, keeping its memory. */
void strbuf_reset(struct strbuf *b);

/* The string, "" when nothing was added. */
const char *strbuf_str(const struct strbuf *b);

void strbuf_free(struct strbuf *b);

#endif
