#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "err.h"
#include "progress.h"
#include "units.h"

#define TTY_INTERVAL_NS (250 * 1000000ULL)
#define LOG_INTERVAL_NS (5 * 1000000000ULL)

struct progress {
	FILE *out;
	char *label;
	int64_t total;
	bool enabled, tty;
	uint64_t start_ns, next_ns;
	uint64_t done;
	int width;		/* of the last line drawn on a terminal */
	char detail[160];	/* what is being done, shown after the rate */
};

static uint64_t
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

struct progress *
progress_new(FILE *out, const char *label, int64_t total, bool force)
{
	return progress_new_at(out, label, total, force, now_ns());
}

struct progress *
progress_new_at(FILE *out, const char *label, int64_t total, bool force,
    uint64_t start_ns)
{
	struct progress *p = calloc(1, sizeof(*p));

	if (p == NULL)
		return NULL;
	p->out = out;
	p->label = strdup(label ? label : "");
	p->total = total;
	p->tty = isatty(fileno(out));
	p->enabled = p->label != NULL && (p->tty || force);
	p->start_ns = start_ns;
	p->next_ns = p->start_ns + TTY_INTERVAL_NS;
	return p;
}

void
progress_free(struct progress *p)
{
	if (p == NULL)
		return;
	free(p->label);
	free(p);
}

static void
draw(struct progress *p, uint64_t now)
{
	char done[32], total[32], rate[32], eta[32], line[256];
	double secs = (double)(now - p->start_ns) / 1e9;
	double bps = secs > 0 ? (double)p->done / secs : 0;
	int n;

	units_fmt_size(done, sizeof(done), p->done);
	units_fmt_size(rate, sizeof(rate), (uint64_t)bps);
	if (p->total >= 0) {
		int pct = p->total ? (int)(p->done * 100 / (uint64_t)p->total) : 100;

		units_fmt_size(total, sizeof(total), (uint64_t)p->total);
		if (bps > 0 && (uint64_t)p->total > p->done)
			units_fmt_duration(eta, sizeof(eta),
			    (int64_t)((double)((uint64_t)p->total - p->done) / bps + 0.5));
		else
			strcpy(eta, "0s");
		n = snprintf(line, sizeof(line), "%s: %s %s / %s (%d%%), %s/s, eta %s",
		    prog, p->label, done, total, pct, rate, eta);
	} else {
		n = snprintf(line, sizeof(line), "%s: %s %s, %s/s",
		    prog, p->label, done, rate);
	}
	if (n >= 0 && n < (int)sizeof(line) && p->detail[0])
		n += snprintf(line + n, sizeof(line) - (size_t)n, ", %s", p->detail);
	if (n < 0)
		return;
	if (n >= (int)sizeof(line))
		n = (int)sizeof(line) - 1;
	if (p->tty) {
		/* Pad over the previous, possibly longer, line. */
		fprintf(p->out, "\r%s%*s", line, p->width > n ? p->width - n : 0, "");
		if (n > p->width)
			p->width = n;
	} else {
		fprintf(p->out, "%s\n", line);
	}
	fflush(p->out);
}

void
progress_update_at(struct progress *p, uint64_t done, uint64_t now)
{
	if (p == NULL || !p->enabled)
		return;
	p->done = done;
	if (now < p->next_ns)
		return;
	p->next_ns = now + (p->tty ? TTY_INTERVAL_NS : LOG_INTERVAL_NS);
	draw(p, now);
}

void
progress_update(struct progress *p, uint64_t done)
{
	if (p == NULL || !p->enabled)
		return;
	progress_update_at(p, done, now_ns());
}

void
progress_end_at(struct progress *p, uint64_t now)
{
	if (p == NULL || !p->enabled)
		return;
	if (p->tty) {
		if (p->width > 0)
			fprintf(p->out, "\r%*s\r", p->width, "");
		fflush(p->out);
		return;
	}
	draw(p, now);
}

void
progress_end(struct progress *p)
{
	if (p == NULL || !p->enabled)
		return;
	progress_end_at(p, now_ns());
}

bool
progress_enabled(const struct progress *p)
{
	return p != NULL && p->enabled;
}

void
progress_detail(struct progress *p, const char *detail)
{
	if (p != NULL && p->enabled)
		snprintf(p->detail, sizeof(p->detail), "%s", detail ? detail : "");
}
