/*
 * Sizes and durations as users write them on the command line, and as the
 * programs print them.
 *
 * Sizes: a number, optionally with a fraction, and a unit. K, M, G, T (and
 * KiB, MiB, GiB, TiB) are powers of 1024; kB, MB, GB, TB are powers of 1000;
 * B or no unit is bytes. "64K", "1.5GiB", "8MiB", "100MB", "4096".
 *
 * Durations: one or more integer-and-unit pairs, largest unit first:
 * w (weeks), d, h, m, s. "26h", "90m", "7d", "1h30m". A bare number is
 * seconds, as for sleep(1).
 */
#ifndef BKPIPE_UNITS_H
#define BKPIPE_UNITS_H

#include <stddef.h>
#include <stdint.h>

/* Parse a size. 0 on success; -1 with *why set to a short reason. */
int units_parse_size(const char *s, uint64_t *bytes, const char **why);

/* Parse a duration into seconds. 0 on success; -1 with *why set. */
int units_parse_duration(const char *s, int64_t *seconds, const char **why);

/* "0 B", "512 B", "1.5 KiB", "3.2 GiB": for messages and progress. */
void units_fmt_size(char *buf, size_t len, uint64_t bytes);

/* "45s", "1m05s", "2h03m", "3d04h": for messages and ETAs. */
void units_fmt_duration(char *buf, size_t len, int64_t seconds);

/* Seconds since the epoch for a UTC civil time (no time zone involved). */
int64_t units_timegm(int year, int month, int day, int hour, int min, int sec);

/*
 * A UTC time: "2026-01-26", "2026-01-26T03:00", "2026-01-26T03:00:15Z",
 * "2026-01-26 03:00:15", with optional fractional seconds ("...15.000Z").
 * 0 or -1.
 */
int units_parse_time(const char *s, int64_t *epoch);

/* An HTTP date, "Mon, 26 Jan 2026 03:00:15 GMT". 0 or -1. */
int units_parse_http_date(const char *s, int64_t *epoch);

/* "2026-01-26T03:00:15Z" (buf of at least 21 bytes). */
void units_fmt_time(char *buf, size_t len, int64_t epoch);

/* The value of the hexadecimal digit c (either case), or -1. */
int units_hexdigit(char c);

#endif
