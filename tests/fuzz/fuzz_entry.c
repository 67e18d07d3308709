/*
 * libFuzzer target for bkage's line parsers and what it builds from them:
 * the line reader, listing_parse, entry_parse, entry_name_time, and the
 * entries taken into health_add/health_judge and retain_add/retain_print.
 *
 * The input's first line is a --name-time FORMAT (used when
 * entry_name_time_check takes it); the rest is what bkage would read. No
 * crash, no read past a line, and the promises hold: every entry's time is
 * in range; the newest for health is never after the latest time allowed;
 * retention never prints the newest backup of a group, and prints nothing
 * at all when it refuses.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "entry.h"
#include "health.h"
#include "listing.h"
#include "proofs.h"
#include "retain.h"

#define NOW INT64_C(1769414400)	/* 2026-01-26T08:00:00Z */
#define GROUPS 3

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	setenv("TZ", "UTC", 1);
	return 0;
}

struct newest {
	int64_t time;
	char *name, *line;
};

/* Whether (t, name) comes after n, as health and retention order them. */
static int
after(const struct newest *n, int64_t t, const char *name)
{
	return n->name == NULL || t > n->time || (t == n->time && strcmp(name, n->name) > 0);
}

/* The parsers on one line, each on a copy of exactly its size. */
static void
parsers(const char *line, size_t n, const char *fmt)
{
	char *b = malloc(n + 1);
	struct listing l;
	const char *why = NULL;
	int64_t t;

	memcpy(b, line, n + 1);
	if (listing_parse(b, &l, &why) == 0) {
		if (l.size < -1 || (l.size >= 0 && (l.mtime < LISTING_TIME_MIN || l.mtime > LISTING_TIME_MAX)))
			abort();
		listing_decode(l.url);
	} else if (why == NULL) {
		abort();
	}
	memcpy(b, line, n + 1);
	if (listing_decode(b) == 0 && strlen(b) > n)
		abort();
	memcpy(b, line, n + 1);
	if (fmt && entry_name_time(fmt, b, &t) == 0 && (t < LISTING_TIME_MIN || t > LISTING_TIME_MAX))
		abort();
	free(b);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *nl = memchr(data, '\n', size);
	size_t flen = nl ? (size_t)(nl - data) : size;
	static char keys[GROUPS][8] = { "db0", "db 1", "d'b\"2" };
	char fmtbuf[64], *fmt = NULL;
	FILE *in, *out;
	struct listing_reader *rd;
	struct health_group g[GROUPS];
	struct health_limits lim = { NOW, 26 * 3600, -1, 300, 1024, 10, 2 };
	struct retain_rule rules[] = { { RETAIN_NEWEST, 2 }, { RETAIN_DAYS, 2 } };
	struct retain *r;
	struct newest newest[GROUPS] = { { 0, NULL, NULL } };
	const char *twice = NULL;
	bool refused = false;
	char *copy, *got = NULL;
	size_t gotlen = 0;
	int st;

	if (flen < sizeof(fmtbuf) && !memchr(data, '\0', flen)) {
		memcpy(fmtbuf, data, flen);
		fmtbuf[flen] = '\0';
		if (entry_name_time_check(fmtbuf) == NULL)
			fmt = fmtbuf;
	}
	if (size == 0 || (in = fmemopen((void *)data, size, "r")) == NULL)
		return 0;
	rd = malloc(sizeof(*rd));
	copy = malloc(LISTING_LINE_MAX + 1);
	r = retain_new(rules, 2, NOW - 86400, health_latest(&lim));
	memset(g, 0, sizeof(g));
	for (size_t k = 0; k < GROUPS; k++)
		g[k].key = keys[k];
	listing_reader_init(rd, in);
	for (;;) {
		struct entry e;
		const char *why = NULL;
		size_t n, k;
		int got_line = listing_getline(rd, &n, &why);

		if (got_line == 0 || got_line == -2)
			break;
		if (got_line < 0) {
			if (why == NULL)
				abort();
			refused = true;
			continue;
		}
		if (strlen(rd->line) != n)
			abort();
		parsers(rd->line, n, fmt);
		memcpy(copy, rd->line, n + 1);
		got_line = entry_parse(rd->line, fmt, &e, &why);
		if (got_line < 0) {
			if (why == NULL)
				abort();
			refused = true;
			continue;
		}
		if (got_line == 0)
			continue;
		if (e.name == NULL || e.size < 0 || e.time < LISTING_TIME_MIN || e.time > LISTING_TIME_MAX)
			abort();
		k = (size_t)(unsigned char)e.name[0] % GROUPS;
		if (health_add(&g[k], &lim, e.time, e.size, e.name, PROOF_PROVEN, copy) != 0)
			abort();
		st = retain_add(r, k, e.time, e.name, copy);
		if (st < 0)
			abort();
		if (st == RETAIN_FUTURE) {
			if (e.time <= health_latest(&lim))
				abort();
			refused = true;
		} else if (after(&newest[k], e.time, e.name)) {
			free(newest[k].name);
			free(newest[k].line);
			newest[k].name = strdup(e.name);
			newest[k].line = strdup(copy);
			newest[k].time = e.time;
		}
	}
	fclose(in);
	out = open_memstream(&got, &gotlen);
	for (size_t k = 0; k < GROUPS; k++) {
		health_judge(&g[k], &lim);
		if (g[k].count > 0 && g[k].newest.time > health_latest(&lim))
			abort();
		if ((g[k].count > 0) != (newest[k].name != NULL))
			abort();
		if (g[k].count > 0 && strcmp(g[k].newest.name, newest[k].name) != 0)
			abort();
	}
	health_nagios(out, g, GROUPS, true, &lim, HEALTH_OK);
	health_prometheus(out, g, GROUPS, true, false);
	health_json(out, g, GROUPS, HEALTH_OK, &lim);
	fclose(out);
	free(got);

	/* Retention: never a group's newest (bkage prints nothing at all once
	 * it has refused a line, so only a clean input is printed). */
	got = NULL;
	out = open_memstream(&got, &gotlen);
	st = retain_print(r, out, &twice);
	fclose(out);
	if (st == -1 && gotlen != 0)
		abort();
	if (st == 0 && !refused) {
		for (char *p = got, *e; p && *p; p = e + 1) {
			if ((e = strchr(p, '\n')) == NULL)
				abort();
			*e = '\0';
			for (size_t k = 0; k < GROUPS; k++)
				if (newest[k].line && strcmp(p, newest[k].line) == 0)
					abort();
		}
	}
	free(got);
	retain_free(r);
	for (size_t k = 0; k < GROUPS; k++) {
		health_group_free(&g[k]);
		free(newest[k].name);
		free(newest[k].line);
	}
	free(rd);
	free(copy);
	return 0;
}
