/*
 * Judging the newest backup of a group against the limits, and reporting
 * in the three forms bkage prints: a Nagios plugin line with perfdata, the
 * Prometheus textfile format, and JSON.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "entry.h"
#include "health.h"
#include "units.h"

const char *const health_names[] = { "OK", "WARNING", "CRITICAL", "UNKNOWN" };

int64_t
health_latest(const struct health_limits *l)
{
	if (l->skew < 0)
		return l->now;
	return l->now > 0 && l->skew > INT64_MAX - l->now ? INT64_MAX : l->now + l->skew;
}

/* Whether a backup of time t named name comes after b. */
static bool
after(int64_t t, const char *name, const struct health_backup *b)
{
	return t != b->time ? t > b->time : strcmp(name, b->name) > 0;
}

static int
set(struct health_backup *b, int64_t t, int64_t size, const char *name)
{
	char *copy = strdup(name);

	if (copy == NULL)
		return -1;
	free(b->name);
	*b = (struct health_backup){ t, size, copy };
	return 0;
}

int
health_add(struct health_group *g, const struct health_limits *l, int64_t t, int64_t size,
    const char *name)
{
	if (t > health_latest(l)) {
		if (g->future++ == 0 || after(t, name, &g->ahead))
			return set(&g->ahead, t, size, name);
		return 0;
	}
	if (g->count++ == 0)
		return set(&g->newest, t, size, name);
	if (after(t, name, &g->newest)) {
		struct health_backup was = g->prev;

		g->prev = g->newest;
		g->newest = was;
		return set(&g->newest, t, size, name);
	}
	if (g->count == 2 || after(t, name, &g->prev))
		return set(&g->prev, t, size, name);
	return 0;
}

void
health_group_free(struct health_group *g)
{
	free(g->newest.name);
	free(g->prev.name);
	free(g->ahead.name);
	g->newest.name = g->prev.name = g->ahead.name = NULL;
}

/* 52428800 -> "52.4 MB", as the runbooks write sizes. */
static void
fmt_mb(char *buf, size_t len, int64_t n)
{
	static const char *u[] = { "B", "kB", "MB", "GB", "TB", "PB" };
	double v = (double)n;
	int i = 0;

	while (v >= 1000 && i < 5) {
		v /= 1000;
		i++;
	}
	snprintf(buf, len, i == 0 ? "%.0f %s" : "%.1f %s", v, u[i]);
}

/* A threshold as users write it: 26h rather than 1d02h. */
static void
fmt_limit(char *buf, size_t len, int64_t s)
{
	if (s % 86400 == 0 && s > 0)
		snprintf(buf, len, "%lldd", (long long)(s / 86400));
	else if (s % 3600 == 0 && s > 0)
		snprintf(buf, len, "%lldh", (long long)(s / 3600));
	else if (s % 60 == 0 && s > 0)
		snprintf(buf, len, "%lldm", (long long)(s / 60));
	else
		snprintf(buf, len, "%llds", (long long)s);
}

/* Add a problem to g's list, "a, b, c". */
static void
problem(struct health_group *g, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void
problem(struct health_group *g, const char *fmt, ...)
{
	size_t n = strlen(g->problems);
	va_list ap;

	if (n > 0 && n + 2 < sizeof(g->problems)) {
		strcpy(g->problems + n, ", ");
		n += 2;
	}
	va_start(ap, fmt);
	vsnprintf(g->problems + n, sizeof(g->problems) - n, fmt, ap);
	va_end(ap);
}

int
health_judge(struct health_group *g, const struct health_limits *l)
{
	int64_t age = l->now - g->newest.time;
	char lim[32];
	int st = HEALTH_OK;

	g->problems[0] = '\0';
	if (g->count == 0) {
		problem(g, "no backups found");
		st = HEALTH_CRITICAL;
		goto future;
	}
	if (age > l->critical) {
		fmt_limit(lim, sizeof(lim), l->critical);
		problem(g, "older than %s", lim);
		st = HEALTH_CRITICAL;
	} else if (l->warning >= 0 && age > l->warning) {
		fmt_limit(lim, sizeof(lim), l->warning);
		problem(g, "older than %s", lim);
		st = st > HEALTH_WARNING ? st : HEALTH_WARNING;
	}
	if ((uint64_t)g->newest.size < l->min_size) {
		problem(g, "smaller than %llu bytes", (unsigned long long)l->min_size);
		st = HEALTH_CRITICAL;
	}
	if (l->max_shrink >= 0 && g->count > 1 &&
	    (double)g->newest.size < (double)g->prev.size * (1 - l->max_shrink / 100)) {
		problem(g, "%.0f%% smaller than the one before",
		    100 - 100.0 * (double)g->newest.size / (double)g->prev.size);
		st = st > HEALTH_WARNING ? st : HEALTH_WARNING;
	}
	if (g->count < l->min_count) {
		problem(g, "fewer than %lu backups", l->min_count);
		st = st > HEALTH_WARNING ? st : HEALTH_WARNING;
	}
future:
	if (g->future > 0) {
		/* Never taken for the newest (a clock or a name is wrong, and
		 * it could hide a stale backup), but said. */
		fmt_limit(lim, sizeof(lim), l->skew);
		problem(g, "%lu in the future beyond the %s of clock skew allowed", g->future, lim);
		st = st > HEALTH_WARNING ? st : HEALTH_WARNING;
	}
	return g->status = st;
}

static void
summary(const struct health_group *g, int64_t now, char *buf, size_t len)
{
	char age[32], size[32], name[1024];
	int64_t a = now - g->newest.time;
	size_t n;

	if (g->count == 0) {
		n = (size_t)snprintf(buf, len, "%s", g->problems);
	} else {
		units_fmt_duration(age, sizeof(age), a < 0 ? -a : a);
		fmt_mb(size, sizeof(size), g->newest.size);
		entry_shown(g->newest.name, name, sizeof(name));
		n = (size_t)snprintf(buf, len, "newest %s is %s %s, %s, %lu backup%s%s%s", name, age,
		    a < 0 ? "in the future" : "old", size, g->count, g->count == 1 ? "" : "s",
		    *g->problems ? ", " : "", g->problems);
	}
	if (g->future > 0 && n < len) {
		units_fmt_duration(age, sizeof(age), g->ahead.time - now);
		entry_shown(g->ahead.name, name, sizeof(name));
		snprintf(buf + n, len - n, " (%s is %s in the future)", name, age);
	}
}

/* A Prometheus label value or JSON string, escaped. */
static void
quoted(FILE *out, const char *s, bool json)
{
	fputc('"', out);
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			fprintf(out, "\\%c", *s);
		else if (*s == '\n')
			fputs("\\n", out);
		else if (json && (unsigned char)*s < 0x20)
			fprintf(out, "\\u%04x", *s);
		else
			fputc(*s, out);
	}
	fputc('"', out);
}

void
health_prometheus(FILE *out, const struct health_group *gs, size_t n, bool grouped)
{
	static const char *const m[][2] = {
		{ "bkpipe_backup_last_timestamp_seconds", "Time of the newest backup, in seconds since the epoch." },
		{ "bkpipe_backup_last_size_bytes", "Size of the newest backup, in bytes." },
		{ "bkpipe_backups_found", "Number of backups found." },
		{ "bkpipe_backup_status", "Health of the newest backup: 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN." },
	};

	for (int k = 0; k < 4; k++) {
		fprintf(out, "# HELP %s %s\n# TYPE %s gauge\n", m[k][0], m[k][1], m[k][0]);
		for (size_t i = 0; i < n; i++) {
			const struct health_group *g = &gs[i];

			if (k < 2 && g->count == 0)
				continue;
			fputs(m[k][0], out);
			if (grouped) {
				fputs("{group=", out);
				quoted(out, g->key, false);
				fputc('}', out);
			}
			fprintf(out, " %lld\n", (long long)(k == 0 ? g->newest.time :
			    k == 1 ? g->newest.size : k == 2 ? (int64_t)g->count : g->status));
		}
	}
}

void
health_json(FILE *out, const struct health_group *gs, size_t n, int worst, int64_t now)
{
	char t[32];

	units_fmt_time(t, sizeof(t), now);
	fprintf(out, "{\"status\":\"%s\",\"code\":%d,\"now\":\"%s\",\"groups\":[",
	    health_names[worst], worst, t);
	for (size_t i = 0; i < n; i++) {
		const struct health_group *g = &gs[i];

		fprintf(out, "%s{\"group\":", i ? "," : "");
		quoted(out, g->key, true);
		fprintf(out, ",\"status\":\"%s\",\"count\":%lu", health_names[g->status], g->count);
		if (g->count > 0) {
			units_fmt_time(t, sizeof(t), g->newest.time);
			fprintf(out, ",\"newest\":{\"name\":");
			quoted(out, g->newest.name, true);
			fprintf(out, ",\"time\":\"%s\",\"age_seconds\":%lld,\"size\":%lld}", t,
			    (long long)(now - g->newest.time), (long long)g->newest.size);
		}
		if (g->count > 1) {
			units_fmt_time(t, sizeof(t), g->prev.time);
			fprintf(out, ",\"previous\":{\"name\":");
			quoted(out, g->prev.name, true);
			fprintf(out, ",\"time\":\"%s\",\"size\":%lld}", t, (long long)g->prev.size);
		}
		fprintf(out, ",\"future\":%lu", g->future);
		if (g->future > 0) {
			units_fmt_time(t, sizeof(t), g->ahead.time);
			fprintf(out, ",\"ahead\":{\"name\":");
			quoted(out, g->ahead.name, true);
			fprintf(out, ",\"time\":\"%s\",\"size\":%lld}", t, (long long)g->ahead.size);
		}
		fprintf(out, ",\"problems\":");
		quoted(out, g->problems, true);
		fputc('}', out);
	}
	fprintf(out, "]}\n");
}

/* " label=" in the plugin guidelines' syntax: quoted only when it must be. */
static void
perf_label(FILE *out, const struct health_group *g, bool grouped, const char *what)
{
	char label[320];

	snprintf(label, sizeof(label), "%s%s%s", grouped ? g->key : "", grouped ? "_" : "", what);
	if (strspn(label, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-") ==
	    strlen(label)) {
		fprintf(out, " %s=", label);
		return;
	}
	fputs(" '", out);
	for (const char *p = label; *p; p++) {
		if (*p == '\'')
			fputc('\'', out);	/* '' is a quote inside a quoted label */
		if (*p != '=' && (unsigned char)*p >= 0x20)
			fputc(*p, out);
	}
	fputs("'=", out);
}

void
health_nagios(FILE *out, const struct health_group *gs, size_t n, bool grouped,
    const struct health_limits *l, int worst)
{
	char line[2048];
	size_t i;

	if (!grouped) {
		summary(&gs[0], l->now, line, sizeof(line));
		fprintf(out, "BKAGE %s - %s |", health_names[worst], line);
	} else {
		unsigned c[4] = { 0 };

		for (i = 0; i < n; i++)
			c[gs[i].status]++;
		fprintf(out, "BKAGE %s - %zu group%s: %u ok, %u warning, %u critical |",
		    health_names[worst], n, n == 1 ? "" : "s", c[HEALTH_OK], c[HEALTH_WARNING],
		    c[HEALTH_CRITICAL]);
	}
	for (i = 0; i < n; i++) {
		const struct health_group *g = &gs[i];

		if (g->count > 0) {
			perf_label(out, g, grouped, "age");
			fprintf(out, "%llds;", (long long)(l->now - g->newest.time));
			if (l->warning >= 0)
				fprintf(out, "%lld", (long long)l->warning);
			fprintf(out, ";%lld", (long long)l->critical);
			perf_label(out, g, grouped, "size");
			fprintf(out, "%lldB", (long long)g->newest.size);
		}
		perf_label(out, g, grouped, "count");
		fprintf(out, "%lu", g->count);
	}
	fputc('\n', out);
	for (i = 0; grouped && i < n; i++) {
		summary(&gs[i], l->now, line, sizeof(line));
		char key[512];

		entry_shown(gs[i].key, key, sizeof(key));
		fprintf(out, "%s: %s - %s\n", key, health_names[gs[i].status], line);
	}
}
