/*
 * Each rule of each group holds up to n slots, each with the newest backup
 * of its period (for RETAIN_NEWEST, a backup is its own period). A backup
 * is counted once per rule that holds it; when the last lets it go, it is
 * selected if older than the cutoff, and written to the spool: its group,
 * its name and its line. A backup not proven is never offered to a rule:
 * older than the cutoff, it goes to the spool at once, and an unproven one
 * is marked to be printed only if its group keeps a newer backup.
 * retain_print() reads the spool twice: first to check that no name
 * selected is one still kept, then to print the lines.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "retain.h"

struct held {
	int64_t time;
	char *name, *line;
	int refs;
};

/* What one rule keeps: up to rule.n periods (or backups), each with its newest. */
struct slots {
	int64_t *period;
	struct held **h;
	size_t n, cap;
};

/* The spool's record before the bytes of the name and of the line. */
struct record {
	size_t g, namelen, linelen;
	int64_t time;
	int unproven;		/* selected only if older than the group's newest kept */
};

struct retain {
	struct retain_rule *rules;
	size_t nrules;
	struct slots **groups;	/* nrules slots per group */
	size_t ngroups;
	int64_t cutoff, latest;
	FILE *spool;
	int error;		/* errno of a failed spool write */
	char *twice;
};

struct retain *
retain_new(const struct retain_rule *rules, size_t n, int64_t cutoff, int64_t latest)
{
	struct retain *r;
	bool newest = false;

	for (size_t i = 0; i < n; i++) {
		if (rules[i].n == 0) {
			errno = EINVAL;
			return NULL;
		}
		newest = newest || rules[i].kind == RETAIN_NEWEST;
	}
	if ((r = calloc(1, sizeof(*r))) == NULL ||
	    (r->rules = calloc(n + 1, sizeof(*r->rules))) == NULL) {
		free(r);
		return NULL;
	}
	memcpy(r->rules, rules, n * sizeof(*rules));
	r->nrules = n;
	if (!newest)	/* the newest backup is always kept */
		r->rules[r->nrules++] = (struct retain_rule){ RETAIN_NEWEST, 1 };
	r->cutoff = cutoff;
	r->latest = latest;
	return r;
}

/* Whether a comes after b: by time, then by name. */
static bool
newer(const struct held *a, const struct held *b)
{
	return a->time != b->time ? a->time > b->time : strcmp(a->name, b->name) > 0;
}

static void
spool(struct retain *r, size_t g, const struct held *h, bool unproven)
{
	struct record rec = { g, strlen(h->name), strlen(h->line), h->time, unproven };

	if (r->error)
		return;
	if (r->spool == NULL && (r->spool = tmpfile()) == NULL) {
		r->error = errno ? errno : EIO;
		return;
	}
	if (fwrite(&rec, sizeof(rec), 1, r->spool) != 1 ||
	    fwrite(h->name, 1, rec.namelen, r->spool) != rec.namelen ||
	    fwrite(h->line, 1, rec.linelen, r->spool) != rec.linelen)
		r->error = errno ? errno : EIO;
}

static void
release(struct retain *r, size_t g, struct held *h, bool select)
{
	if (--h->refs > 0)
		return;
	if (select && h->time < r->cutoff)
		spool(r, g, h, false);
	free(h->name);
	free(h->line);
	free(h);
}

void
retain_free(struct retain *r)
{
	if (r == NULL)
		return;
	for (size_t g = 0; g < r->ngroups; g++) {
		for (size_t k = 0; r->groups[g] && k < r->nrules; k++) {
			struct slots *s = &r->groups[g][k];

			for (size_t j = 0; j < s->n; j++)
				release(r, g, s->h[j], false);
			free(s->period);
			free(s->h);
		}
		free(r->groups[g]);
	}
	if (r->spool)
		fclose(r->spool);
	free(r->groups);
	free(r->rules);
	free(r->twice);
	free(r);
}

static int64_t
period_of(enum retain_kind kind, int64_t t)
{
	int64_t days = t >= 0 ? t / 86400 : (t - 86399) / 86400;
	int64_t z, era, doe, yoe, doy, mp, y, m;

	switch (kind) {
	case RETAIN_NEWEST:
		return t;
	case RETAIN_DAYS:
		return days;
	case RETAIN_WEEKS:	/* 1970-01-01 was a Thursday: weeks from Monday */
		return days + 3 >= 0 ? (days + 3) / 7 : (days + 3 - 6) / 7;
	case RETAIN_MONTHS:	/* the civil month of days */
		z = days + 719468;
		era = (z >= 0 ? z : z - 146096) / 146097;
		doe = z - era * 146097;
		yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
		doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
		mp = (5 * doy + 2) / 153;
		m = mp < 10 ? mp + 3 : mp - 9;
		y = yoe + era * 400 + (m <= 2);
		return y * 12 + m - 1;
	}
	return t;
}

/* Room for one more slot in s, up to max. 0 or -1. */
static int
grow(struct slots *s, unsigned long max)
{
	size_t cap = s->cap ? s->cap * 2 : 4;
	int64_t *period;
	struct held **h;

	if (s->n < s->cap)
		return 0;
	if (cap > max || cap < s->cap)
		cap = (size_t)max;
	if (cap > SIZE_MAX / sizeof(*h)) {
		errno = ENOMEM;
		return -1;
	}
	if ((period = realloc(s->period, cap * sizeof(*period))) == NULL)
		return -1;
	s->period = period;
	if ((h = realloc(s->h, cap * sizeof(*h))) == NULL)
		return -1;
	s->h = h;
	s->cap = cap;
	return 0;
}

/* Offer h to one rule of group g: it holds h if h is among what it keeps. */
static void
offer(struct retain *r, size_t g, size_t k, struct held *h)
{
	struct slots *s = &r->groups[g][k];
	const struct retain_rule *rule = &r->rules[k];
	int64_t p = period_of(rule->kind, h->time);
	size_t i = 0, min = 0;

	if (rule->kind != RETAIN_NEWEST)
		while (i < s->n && s->period[i] != p)
			i++;
	if (rule->kind != RETAIN_NEWEST && i < s->n) {
		if (!newer(h, s->h[i]))
			return;		/* its period already has a newer one */
	} else if (s->n < rule->n) {
		if (grow(s, rule->n) != 0) {
			r->error = errno;
			return;
		}
		i = s->n++;
		s->h[i] = NULL;
	} else {
		/* full: h displaces the oldest it is newer than */
		for (i = 1; i < s->n; i++)
			if (rule->kind == RETAIN_NEWEST ? newer(s->h[min], s->h[i]) :
			    s->period[i] < s->period[min])
				min = i;
		if (rule->kind == RETAIN_NEWEST ? !newer(h, s->h[min]) : p < s->period[min])
			return;
		i = min;
	}
	if (s->h[i])
		release(r, g, s->h[i], true);
	s->period[i] = p;
	s->h[i] = h;
	h->refs++;
}

int
retain_add(struct retain *r, size_t g, int64_t t, const char *name, const char *line)
{
	struct held *h;

	if (t > r->latest)
		return RETAIN_FUTURE;
	if (g >= r->ngroups) {
		struct slots **groups;

		if (g >= SIZE_MAX / sizeof(*groups) - 1 ||
		    (groups = realloc(r->groups, (g + 1) * sizeof(*groups))) == NULL)
			return -1;
		memset(groups + r->ngroups, 0, (g + 1 - r->ngroups) * sizeof(*groups));
		r->groups = groups;
		r->ngroups = g + 1;
	}
	if (r->groups[g] == NULL && (r->groups[g] = calloc(r->nrules, sizeof(struct slots))) == NULL)
		return -1;
	if ((h = calloc(1, sizeof(*h))) == NULL || (h->name = strdup(name)) == NULL ||
	    (h->line = strdup(line)) == NULL) {
		if (h)
			free(h->name);
		free(h);
		return -1;
	}
	h->time = t;
	h->refs = 1;		/* ours, until every rule has seen it */
	for (size_t k = 0; k < r->nrules; k++)
		offer(r, g, k, h);
	release(r, g, h, true);
	if (r->error) {
		errno = r->error;
		return -1;
	}
	return 0;
}

int
retain_add_unproven(struct retain *r, size_t g, int64_t t, const char *name, const char *line,
    bool damaged)
{
	struct held h = { t, (char *)name, (char *)line, 0 };

	if (t > r->latest)
		return RETAIN_FUTURE;
	if (t < r->cutoff)
		spool(r, g, &h, !damaged);
	if (r->error) {
		errno = r->error;
		return -1;
	}
	return 0;
}

/* The newest backup group g keeps, or NULL when it keeps none. */
static const struct held *
newest_kept(const struct retain *r, size_t g)
{
	const struct held *best = NULL;

	for (size_t k = 0; g < r->ngroups && r->groups[g] && k < r->nrules; k++)
		for (size_t j = 0; j < r->groups[g][k].n; j++)
			if (best == NULL || newer(r->groups[g][k].h[j], best))
				best = r->groups[g][k].h[j];
	return best;
}

struct kept {
	size_t g;
	const char *name;
};

static int
kept_cmp(const void *a, const void *b)
{
	const struct kept *x = a, *y = b;

	return x->g != y->g ? (x->g < y->g ? -1 : 1) : strcmp(x->name, y->name);
}

/* Room for need bytes in *buf. 0 or -1. */
static int
room(char **buf, size_t *cap, size_t need)
{
	char *b;

	if (need <= *cap)
		return 0;
	if ((b = realloc(*buf, need)) == NULL)
		return -1;
	*buf = b;
	*cap = need;
	return 0;
}

/* The next record of the spool, its name and its line in b[0] and b[1]
 * (grown as needed). 1, 0 at the end, -1 on an error. */
static int
next_record(FILE *f, struct record *rec, char *b[2], size_t cap[2])
{
	if (fread(rec, sizeof(*rec), 1, f) != 1)
		return ferror(f) ? -1 : 0;
	if (room(&b[0], &cap[0], rec->namelen + 1) != 0 ||
	    room(&b[1], &cap[1], rec->linelen + 1) != 0 ||
	    fread(b[0], 1, rec->namelen, f) != rec->namelen ||
	    fread(b[1], 1, rec->linelen, f) != rec->linelen)
		return -1;
	b[0][rec->namelen] = '\0';
	b[1][rec->linelen] = '\0';
	return 1;
}

/* Whether the record just read is selected: an unproven backup is only
 * when its group keeps a newer one (it may be in progress). */
static bool
selected(const struct retain *r, const struct record *rec, char *name)
{
	const struct held *best;
	struct held h = { rec->time, name, NULL, 0 };

	if (!rec->unproven)
		return true;
	best = newest_kept(r, rec->g);
	return best != NULL && newer(best, &h);
}

int
retain_print(struct retain *r, FILE *out, const char **twice)
{
	struct kept *kept = NULL, key;
	size_t nkept = 0, max = 0, cap[2] = { 0, 0 };
	struct record rec;
	char *buf[2] = { NULL, NULL };
	int st = 0, got;

	if (r->error) {
		errno = r->error;
		return -2;
	}
	if (r->spool == NULL)
		return 0;	/* nothing selected */
	for (size_t g = 0; g < r->ngroups; g++)
		for (size_t k = 0; r->groups[g] && k < r->nrules; k++)
			max += r->groups[g][k].n;
	if (max > 0 && (kept = calloc(max, sizeof(*kept))) == NULL)
		return -2;
	for (size_t g = 0; g < r->ngroups; g++)
		for (size_t k = 0; r->groups[g] && k < r->nrules; k++)
			for (size_t j = 0; j < r->groups[g][k].n; j++)
				kept[nkept++] = (struct kept){ g, r->groups[g][k].h[j]->name };
	if (nkept > 0)
		qsort(kept, nkept, sizeof(*kept), kept_cmp);
	if (fflush(r->spool) != 0 || fseek(r->spool, 0, SEEK_SET) != 0)
		st = -2;
	while (st == 0 && (got = next_record(r->spool, &rec, buf, cap)) != 0) {
		key = (struct kept){ rec.g, buf[0] };
		if (got < 0) {
			st = -2;
		} else if (nkept > 0 && bsearch(&key, kept, nkept, sizeof(*kept), kept_cmp)) {
			free(r->twice);
			r->twice = buf[0];
			buf[0] = NULL;
			cap[0] = 0;
			*twice = r->twice;
			st = -1;
		}
	}
	if (st == 0 && fseek(r->spool, 0, SEEK_SET) != 0)
		st = -2;
	while (st == 0 && !ferror(out) && (got = next_record(r->spool, &rec, buf, cap)) != 0) {
		if (got < 0)
			st = -2;
		else if (selected(r, &rec, buf[0]))
			fprintf(out, "%s\n", buf[1]);
	}
	free(buf[0]);
	free(buf[1]);
	free(kept);
	return st;
}
