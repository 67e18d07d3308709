#include <stdlib.h>
#include <string.h>

#include "retain.h"

/* A backup some rule keeps, with the number of rules (and callers) that do. */
struct held {
	int64_t time;
	char *line;
	int refs;
};

/* What one rule keeps: up to n periods (or backups), each with its newest. */
struct slots {
	int64_t *period;
	struct held **h;
	size_t n;
};

struct retain {
	struct retain_rule *rules;
	struct slots *slots;
	size_t nrules;
	int64_t cutoff;
	void (*emit)(void *, const char *);
	void *arg;
};

struct retain *
retain_new(const struct retain_rule *rules, size_t n, int64_t cutoff,
    void (*emit)(void *arg, const char *line), void *arg)
{
	struct retain *r = calloc(1, sizeof(*r));

	if (r == NULL)
		return NULL;
	r->rules = calloc(n, sizeof(*r->rules));
	r->slots = calloc(n, sizeof(*r->slots));
	if (r->rules == NULL || r->slots == NULL)
		goto fail;
	for (size_t i = 0; i < n; i++) {
		r->rules[i] = rules[i];
		r->slots[i].period = calloc(rules[i].n, sizeof(int64_t));
		r->slots[i].h = calloc(rules[i].n, sizeof(struct held *));
		if (r->slots[i].period == NULL || r->slots[i].h == NULL) {
			r->nrules = i + 1;
			goto fail;
		}
	}
	r->nrules = n;
	r->cutoff = cutoff;
	r->emit = emit;
	r->arg = arg;
	return r;
fail:
	retain_free(r);
	return NULL;
}

static void
release(struct retain *r, struct held *h, int emit)
{
	if (--h->refs > 0)
		return;
	if (emit && h->time < r->cutoff)
		r->emit(r->arg, h->line);
	free(h->line);
	free(h);
}

void
retain_free(struct retain *r)
{
	if (r == NULL)
		return;
	for (size_t i = 0; i < r->nrules; i++) {
		for (size_t j = 0; j < r->slots[i].n; j++)
			release(r, r->slots[i].h[j], 0);
		free(r->slots[i].period);
		free(r->slots[i].h);
	}
	free(r->slots);
	free(r->rules);
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

/* Offer h to one rule: it holds h if h is among what the rule keeps. */
static void
offer(struct retain *r, size_t k, struct held *h)
{
	struct slots *s = &r->slots[k];
	const struct retain_rule *rule = &r->rules[k];
	int64_t p = period_of(rule->kind, h->time);
	size_t i = 0, min = 0;

	if (rule->kind != RETAIN_NEWEST)
		while (i < s->n && s->period[i] != p)
			i++;
	if (rule->kind != RETAIN_NEWEST && i < s->n) {
		if (h->time <= s->h[i]->time)
			return;		/* its period already has a newer one */
	} else if (s->n < rule->n) {
		i = s->n++;
		s->h[i] = NULL;
	} else {
		for (i = 1; i < s->n; i++)
			if (s->period[i] < s->period[min] ||
			    (s->period[i] == s->period[min] && s->h[i]->time < s->h[min]->time))
				min = i;
		if (p < s->period[min] || (p == s->period[min] && h->time <= s->h[min]->time))
			return;
		i = min;
	}
	if (s->h[i])
		release(r, s->h[i], 1);
	s->period[i] = p;
	s->h[i] = h;
	h->refs++;
}

int
retain_add(struct retain *r, int64_t t, const char *line)
{
	struct held *h = malloc(sizeof(*h));

	if (h == NULL || (h->line = strdup(line)) == NULL) {
		free(h);
		return -1;
	}
	h->time = t;
	h->refs = 1;		/* ours, until every rule has seen it */
	for (size_t k = 0; k < r->nrules; k++)
		offer(r, k, h);
	release(r, h, 1);
	return 0;
}
