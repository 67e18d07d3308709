/*
 * The proofs of backups: the objects under s3://B/.proofs/, kept as a
 * sorted array of their URLs and lines, looked up by the URLs that
 * proofs_url() makes of a backup's.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "proofs.h"

#define DIR ".proofs/"

/*
 * What lives beside a backup's proof: its counts, a damage note, and what a
 * restore needs to recreate the database as it was (roles, settings).
 */
const char *const proofs_suffixes[] = { ".counts", ".damaged", ".roles.sql", ".database.sql",
    NULL };

struct proof {
	char *url, *line;
};

struct proofs {
	struct proof *v;
	size_t n, cap;
};

/* The key of an s3:// URL (after the bucket's '/'), or NULL. */
static const char *
key_of(const char *url)
{
	const char *slash;

	if (strncmp(url, "s3://", 5) != 0 || (slash = strchr(url + 5, '/')) == NULL ||
	    slash == url + 5)
		return NULL;
	return slash + 1;
}

char *
proofs_url(const char *url, const char *suffix)
{
	const char *key = key_of(url);
	size_t head, klen, slen = strlen(suffix);
	char *s;

	if (key == NULL || *key == '\0') {
		errno = EINVAL;
		return NULL;
	}
	head = (size_t)(key - url);
	klen = strlen(key);
	if ((s = malloc(head + sizeof(DIR) - 1 + klen + slen + 1)) == NULL)
		return NULL;
	memcpy(s, url, head);
	memcpy(s + head, DIR, sizeof(DIR) - 1);
	memcpy(s + head + sizeof(DIR) - 1, key, klen);
	memcpy(s + head + sizeof(DIR) - 1 + klen, suffix, slen + 1);
	return s;
}

bool
proofs_is_proof(const char *url)
{
	const char *key = key_of(url);

	return key != NULL && strncmp(key, DIR, sizeof(DIR) - 1) == 0;
}

struct proofs *
proofs_new(void)
{
	return calloc(1, sizeof(struct proofs));
}

void
proofs_free(struct proofs *p)
{
	if (p == NULL)
		return;
	for (size_t i = 0; i < p->n; i++) {
		free(p->v[i].url);
		free(p->v[i].line);
	}
	free(p->v);
	free(p);
}

int
proofs_add(struct proofs *p, const char *url, const char *line, const char **why)
{
	const char *key = key_of(url), *rest;
	size_t len = strlen(url);
	bool known = false;

	if (key == NULL || strncmp(key, DIR, sizeof(DIR) - 1) != 0) {
		*why = "not a proof: not under s3://BUCKET/" DIR;
		return -1;
	}
	rest = key + sizeof(DIR) - 1;
	for (const char *const *s = proofs_suffixes; *s && !known; s++) {
		size_t slen = strlen(*s);

		known = strlen(rest) > slen && strcmp(url + len - slen, *s) == 0;
	}
	if (!known) {
		*why = "not a proof: not a backup's key followed by .counts, .damaged, "
		    ".roles.sql or .database.sql";
		return -1;
	}
	if (p->n == p->cap) {
		size_t cap = p->cap ? p->cap * 2 : 64;
		struct proof *v;

		if (cap > SIZE_MAX / sizeof(*v) || (v = realloc(p->v, cap * sizeof(*v))) == NULL)
			return -2;
		p->v = v;
		p->cap = cap;
	}
	p->v[p->n].url = strdup(url);
	p->v[p->n].line = strdup(line);
	if (p->v[p->n].url == NULL || p->v[p->n].line == NULL) {
		free(p->v[p->n].url);
		free(p->v[p->n].line);
		return -2;
	}
	p->n++;
	return 0;
}

static int
proof_cmp(const void *a, const void *b)
{
	return strcmp(((const struct proof *)a)->url, ((const struct proof *)b)->url);
}

void
proofs_ready(struct proofs *p)
{
	size_t o = 0;

	if (p->n > 0)
		qsort(p->v, p->n, sizeof(*p->v), proof_cmp);
	/* One object listed twice is one proof. */
	for (size_t i = 0; i < p->n; i++) {
		if (o > 0 && strcmp(p->v[o - 1].url, p->v[i].url) == 0) {
			free(p->v[i].url);
			free(p->v[i].line);
			continue;
		}
		p->v[o++] = p->v[i];
	}
	p->n = o;
}

/* The proof of url with suffix, or NULL. *err is set when out of memory. */
static const struct proof *
find(const struct proofs *p, const char *url, const char *suffix, bool *err)
{
	struct proof key = { proofs_url(url, suffix), NULL };
	const struct proof *found;

	if (key.url == NULL) {
		*err = errno == ENOMEM;
		return NULL;
	}
	found = p->n ? bsearch(&key, p->v, p->n, sizeof(*p->v), proof_cmp) : NULL;
	free(key.url);
	return found;
}

int
proofs_state(const struct proofs *p, const char *url)
{
	bool err = false;

	if (find(p, url, ".damaged", &err) != NULL)
		return PROOF_DAMAGED;
	if (!err && find(p, url, ".counts", &err) != NULL)
		return PROOF_PROVEN;
	return err ? -1 : PROOF_UNPROVEN;
}

int
proofs_state_of(const struct proofs *p, bool no_proofs, const char *url, const char **why)
{
	int st;

	if (p && strncmp(url, "s3://", 5) != 0) {
		*why = "not an s3:// URL, and --proofs needs s3ls listing lines of the backups";
		return -1;
	}
	if (proofs_is_proof(url) && no_proofs) {
		*why = "a proof, not a backup: with proofs, give --proofs FILE, not --no-proofs";
		return -1;
	}
	if (proofs_is_proof(url))
		return -2;	/* never a backup (DESIGN.md, "Backup layout") */
	if (p == NULL)
		return PROOF_PROVEN;
	if ((st = proofs_state(p, url)) < 0)
		*why = "out of memory";
	return st;
}

int
proofs_lines(const struct proofs *p, const char *url, char **buf, size_t *len)
{
	for (const char *const *s = proofs_suffixes; *s; s++) {
		bool err = false;
		const struct proof *f = find(p, url, *s, &err);
		size_t n;
		char *b;

		if (err)
			return -1;
		if (f == NULL)
			continue;
		n = strlen(f->line);
		if ((b = realloc(*buf, *len + n + 2)) == NULL)
			return -1;
		b[*len] = '\n';
		memcpy(b + *len + 1, f->line, n + 1);
		*buf = b;
		*len += n + 1;
	}
	return 0;
}
