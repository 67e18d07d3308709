/*
 * The health of a set of backups: the newest one's age and size against
 * limits, with the Nagios plugin convention for statuses, and the forms
 * bkage reports it in.
 */
#ifndef BKPIPE_HEALTH_H
#define BKPIPE_HEALTH_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "proofs.h"

enum { HEALTH_OK, HEALTH_WARNING, HEALTH_CRITICAL, HEALTH_UNKNOWN };

extern const char *const health_names[];	/* "OK", "WARNING", ... */

struct health_backup {
	int64_t time, size;
	char *name;
};

struct health_group {
	char *key;			/* the --group-by value; "" without */
	unsigned long count;		/* backups not in the future (proven, with proofs) */
	struct health_backup newest, prev;	/* prev: the one before the newest */
	char *newest_line;		/* the line of the newest, when health_add() had one */
	unsigned long damaged, unproven;	/* with proofs: not in the future */
	struct health_backup newest_damaged, newest_unproven;
	unsigned long future;		/* backups beyond the skew allowed */
	struct health_backup ahead;	/* the furthest of those */
	int status;			/* set by health_judge() */
	char problems[2048];		/* ", older than 26h, ...", or "" */
};

struct health_limits {
	int64_t now;
	int64_t critical;		/* age */
	int64_t warning;		/* age; -1: none */
	int64_t skew;			/* how far in the future is fine */
	uint64_t min_size;
	double max_shrink;		/* percent; -1: none */
	unsigned long min_count;
	bool proofs;			/* judge proven backups only (proofs.h) */
};

/* The latest time that is not in the future: now + skew, or INT64_MAX. */
int64_t health_latest(const struct health_limits *l);

/*
 * Count a backup into g, in its state (PROOF_PROVEN without proofs). Of
 * those up to health_latest(), g holds the newest two proven, by time and
 * then by name (so ties go the same way whatever the order), and the
 * newest damaged and unproven; one later than that is never the newest:
 * it is counted apart, in g->future. The line, when not NULL, is kept
 * for the newest proven (g->newest_line). 0, or -1 when out of memory.
 */
int health_add(struct health_group *g, const struct health_limits *l, int64_t time,
    int64_t size, const char *name, enum proof_state state, const char *line);

/* Whether a damaged (or an unproven) backup of g is newer than its newest proven. */
bool health_damaged_newer(const struct health_group *g);
bool health_unproven_newer(const struct health_group *g);

/* Free what health_add() took into g (not g->key). */
void health_group_free(struct health_group *g);

/* Judge g (status and problems); returns the status. */
int health_judge(struct health_group *g, const struct health_limits *l);

/* "BKAGE OK - newest ... | age=11520s;;93600 size=...B count=30", and a
 * line per group when grouped. */
void health_nagios(FILE *out, const struct health_group *g, size_t n, bool grouped,
    const struct health_limits *l, int worst);

/* Gauges for node_exporter's textfile collector: timestamps, not ages;
 * with proofs, the counts of proven and damaged backups too. */
void health_prometheus(FILE *out, const struct health_group *g, size_t n, bool grouped,
    bool proofs);

void health_json(FILE *out, const struct health_group *g, size_t n, int worst,
    const struct health_limits *l);

#endif
