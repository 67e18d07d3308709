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

/* Keep b as the newest of its kind when t and name come after it. */
static int
newest_of(struct health_backup *b, unsigned long n, int64_t t, int64_t size, const char *name)
{
	if (n == 1 || after(t, name, b))
		return set(b, t, size, name);
	return 0;
}

/* Take b as the newest proven backup of g (the one before goes to prev). */
static int
newest(struct health_group *g, int64_t t, int64_t size, const char *name, const char *line)
{
	char *copy = line ? strdup(line) : NULL;

	if (line && copy == NULL)
		return -1;
	free(g->newest_line);
	g->newest_line = copy;
	return set(&g->newest, t, size, name);
}

int
health_add(struct health_group *g, const struct health_limits *l, int64_t t, int64_t size,
    const char *name, enum proof_state state, const char *line)
{
	if (t > health_latest(l)) {
		if (g->future++ == 0 || after(t, name, &g->ahead))
			return set(&g->ahead, t, size, name);
		return 0;
	}
	if (state == PROOF_DAMAGED)
		return newest_of(&g->newest_damaged, ++g->damaged, t, size, name);
	if (state == PROOF_UNPROVEN)
		return newest_of(&g->newest_unproven, ++g->unproven, t, size, name);
	if (g->count++ == 0)
		return newest(g, t, size, name, line);
	if (after(t, name, &g->newest)) {
		struct health_backup was = g->prev;

		g->prev = g->newest;
		g->newest = was;
		return newest(g, t, size, name, line);
	}
	if (g->count == 2 || after(t, name, &g->prev))
		return set(&g->prev, t, size, name);
	return 0;
}

bool
health_damaged_newer(const struct health_group *g)
{
	return g->damaged > 0 && (g->count == 0 ||
	    after(g->newest_damaged.time, g->newest_damaged.name, &g->newest));
}

bool
health_unproven_newer(const struct health_group *g)
{
	return g->unproven > 0 && (g->count == 0 ||
	    after(g->newest_unproven.time, g->newest_unproven.name, &g->newest));
}

void
health_group_free(struct health_group *g)
{
	free(g->newest.name);
	free(g->prev.name);
	free(g->ahead.name);
	free(g->newest_damaged.name);
	free(g->newest_unproven.name);
	free(g->newest_line);
	g->newest_line = NULL;
	g->newest.name = g->prev.name = g->ahead.name = NULL;
	g->newest_damaged.name = g->newest_unproven.name = NULL;
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
	if (g->count > 0 && health_damaged_newer(g)) {
		/* The newest backup made was found damaged: whatever the
		 * older ones say, the last backup failed. */
		char name[1024];

		entry_shown(g->newest_damaged.name, name, sizeof(name));
		problem(g, "%s, newer, was found damaged", name);
		st = HEALTH_CRITICAL;
	}
	if (g->count == 0 && l->proofs && g->damaged + g->unproven > 0) {
		problem(g, "no proven backup among %lu listed: %lu damaged, %lu unproven",
		    g->damaged + g->unproven, g->damaged, g->unproven);
		st = HEALTH_CRITICAL;
		goto future;
	}
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
		char mb[32];

		/* In the unit of the size shown, whichever unit --min-size was given in. */
		fmt_mb(mb, sizeof(mb), (int64_t)l->min_size);
		problem(g, "smaller than %llu bytes (%s)", (unsigned long long)l->min_size, mb);
		st = HEALTH_CRITICAL;
	}
	if (l->max_shrink >= 0 && g->count > 1 &&
	    (double)g->newest.size < (double)g->prev.size * (1 - l->max_shrink / 100)) {
		problem(g, "%.0f%% smaller than the one before",
		    100 - 100.0 * (double)g->newest.size / (double)g->prev.size);
		st = st > HEALTH_WARNING ? st : HEALTH_WARNING;
	}
	if (g->count < l->min_count) {
		problem(g, "fewer than %lu %sbackups", l->min_count, l->proofs ? "proven " : "");
		st = st > HEALTH_WARNING ? st : HEALTH_WARNING;
	}
	if (health_unproven_newer(g)) {
		/* Not judged (it may be in progress), but said. */
		char name[1024];

		entry_shown(g->newest_unproven.name, name, sizeof(name));
		problem(g, "%s, newer, is unproven (in progress?)", name);
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
summary(const struct health_group *g, const struct health_limits *l, char *buf, size_t len)
{
	char age[32], size[32], name[1024], others[96] = "";
	int64_t a = l->now - g->newest.time;
	size_t n;

	if (g->count == 0) {
		n = (size_t)snprintf(buf, len, "%s", g->problems);
	} else {
		units_fmt_duration(age, sizeof(age), a < 0 ? -a : a);
		fmt_mb(size, sizeof(size), g->newest.size);
		entry_shown(g->newest.name, name, sizeof(name));
		if (l->proofs)
			snprintf(others, sizeof(others), " (%lu damaged, %lu unproven)", g->damaged,
			    g->unproven);
		n = (size_t)snprintf(buf, len, "newest %s%s is %s %s, %s, %lu %sbackup%s%s%s%s",
		    l->proofs ? "proven " : "", name, age, a < 0 ? "in the future" : "old", size,
		    g->count, l->proofs ? "proven " : "", g->count == 1 ? "" : "s", others,
		    *g->problems ? ", " : "", g->problems);
	}
	if (g->future > 0 && n < len) {
		units_fmt_duration(age, sizeof(age), g->ahead.time - l->now);
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

/* Metric k of health_prometheus() for g. */
static int64_t
metric(const struct health_group *g, int k)
{
	switch (k) {
	case 0: return g->newest.time;
	case 1: return g->newest.size;
	case 2: return (int64_t)(g->count + g->damaged + g->unproven);
	case 3: return (int64_t)g->count;
	case 4: return (int64_t)g->damaged;
	case 5: return health_damaged_newer(g);
	default: return g->status;
	}
}

void
health_prometheus(FILE *out, const struct health_group *gs, size_t n, bool grouped, bool proofs)
{
	static const char *const m[][2] = {
		{ "bkpipe_backup_last_timestamp_seconds", "Time of the newest backup, in seconds since the epoch." },
		{ "bkpipe_backup_last_size_bytes", "Size of the newest backup, in bytes." },
		{ "bkpipe_backups_found", "Number of backups found." },
		{ "bkpipe_backups_proven", "Number of backups proven: counted, and not found damaged." },
		{ "bkpipe_backups_damaged", "Number of backups found damaged." },
		{ "bkpipe_backup_newest_damaged", "1 when a backup newer than the newest proven one was found damaged." },
		{ "bkpipe_backup_status", "Health of the newest backup: 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN." },
	};
	static const char *const mp[2][2] = {
		{ "bkpipe_backup_last_timestamp_seconds", "Time of the newest proven backup, in seconds since the epoch." },
		{ "bkpipe_backup_last_size_bytes", "Size of the newest proven backup, in bytes." },
	};

	for (int k = 0; k < 7; k++) {
		const char *name = m[k][0], *help = k < 2 && proofs ? mp[k][1] : m[k][1];

		if (!proofs && k >= 3 && k <= 5)
			continue;
		fprintf(out, "# HELP %s %s\n# TYPE %s gauge\n", name, help, name);
		for (size_t i = 0; i < n; i++) {
			const struct health_group *g = &gs[i];

			if (k < 2 && g->count == 0)
				continue;
			fputs(name, out);
			if (grouped) {
				fputs("{group=", out);
				quoted(out, g->key, false);
				fputc('}', out);
			}
			fprintf(out, " %lld\n", (long long)metric(g, k));
		}
	}
}

/* ,"key":{"name":...,"time":...,"size":...} */
static void
json_backup(FILE *out, const char *key, const struct health_backup *b)
{
	char t[32];

	units_fmt_time(t, sizeof(t), b->time);
	fprintf(out, ",\"%s\":{\"name\":", key);
	quoted(out, b->name, true);
	fprintf(out, ",\"time\":\"%s\",\"size\":%lld}", t, (long long)b->size);
}

void
health_json(FILE *out, const struct health_group *gs, size_t n, int worst,
    const struct health_limits *l)
{
	char t[32];

	units_fmt_time(t, sizeof(t), l->now);
	fprintf(out, "{\"status\":\"%s\",\"code\":%d,\"now\":\"%s\",\"groups\":[",
	    health_names[worst], worst, t);
	for (size_t i = 0; i < n; i++) {
		const struct health_group *g = &gs[i];

		fprintf(out, "%s{\"group\":", i ? "," : "");
		quoted(out, g->key, true);
		fprintf(out, ",\"status\":\"%s\",\"count\":%lu", health_names[g->status], g->count);
		if (l->proofs)
			fprintf(out, ",\"proven\":%lu,\"damaged\":%lu,\"unproven\":%lu", g->count,
			    g->damaged, g->unproven);
		if (g->count > 0) {
			units_fmt_time(t, sizeof(t), g->newest.time);
			fprintf(out, ",\"newest\":{\"name\":");
			quoted(out, g->newest.name, true);
			fprintf(out, ",\"time\":\"%s\",\"age_seconds\":%lld,\"size\":%lld}", t,
			    (long long)(l->now - g->newest.time), (long long)g->newest.size);
		}
		if (g->count > 1)
			json_backup(out, "previous", &g->prev);
		if (health_damaged_newer(g))
			json_backup(out, "newer_damaged", &g->newest_damaged);
		if (health_unproven_newer(g))
			json_backup(out, "newer_unproven", &g->newest_unproven);
		fprintf(out, ",\"future\":%lu", g->future);
		if (g->future > 0)
			json_backup(out, "ahead", &g->ahead);
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
	char line[4096];
	size_t i;

	if (!grouped) {
		summary(&gs[0], l, line, sizeof(line));
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
		if (l->proofs) {
			perf_label(out, g, grouped, "damaged");
			fprintf(out, "%lu", g->damaged);
			perf_label(out, g, grouped, "unproven");
			fprintf(out, "%lu", g->unproven);
		}
	}
	fputc('\n', out);
	for (i = 0; grouped && i < n; i++) {
		summary(&gs[i], l, line, sizeof(line));
		char key[512];

		entry_shown(gs[i].key, key, sizeof(key));
		fprintf(out, "%s: %s - %s\n", key, health_names[gs[i].status], line);
	}
}
