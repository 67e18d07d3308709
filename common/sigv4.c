/*
 * How this works (the S3 API reference, "Signature Version 4"):
 *
 *   canonical request = METHOD \n path \n sorted query \n
 *                       "name:value\n" per signed header, sorted \n
 *                       signed header names joined by ';' \n payload hash
 *   string to sign    = "AWS4-HMAC-SHA256" \n amz_date \n
 *                       date/region/service/aws4_request \n hex(sha256(request))
 *   signing key       = HMAC chain over "AWS4"+secret, date, region, service,
 *                       "aws4_request"
 *   signature         = hex(HMAC(signing key, string to sign))
 *
 * A presigned URL moves the credential, date, expiry and signed headers
 * (only host) into the query, signs with UNSIGNED-PAYLOAD, and appends
 * X-Amz-Signature.
 */
#include <ctype.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/sha.h>

#include "sigv4.h"

struct str {
	char *p;
	size_t n, cap;
	bool oom;
};

static void
add(struct str *s, const char *p, size_t n)
{
	if (s->oom)
		return;
	if (s->n + n + 1 > s->cap) {
		size_t cap = (s->n + n + 1) * 2;
		char *q = realloc(s->p, cap);

		if (q == NULL) {
			s->oom = true;
			return;
		}
		s->p = q;
		s->cap = cap;
	}
	memcpy(s->p + s->n, p, n);
	s->n += n;
	s->p[s->n] = '\0';
}

static void
adds(struct str *s, const char *z)
{
	add(s, z, strlen(z));
}

static int
unhex(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = tolower(c);
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* Append p[0..n) percent-decoded and re-encoded the SigV4 way. */
static void
add_encoded(struct str *s, const char *p, size_t n, bool keep_slash)
{
	static const char hex[] = "0123456789ABCDEF";

	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)p[i];
		char esc[3];

		if (c == '%' && i + 2 < n && unhex(p[i + 1]) >= 0 && unhex(p[i + 2]) >= 0) {
			c = (unsigned char)(unhex(p[i + 1]) << 4 | unhex(p[i + 2]));
			i += 2;
		}
		if (isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~' ||
		    (keep_slash && c == '/')) {
			add(s, (const char *)&c, 1);
		} else {
			esc[0] = '%';
			esc[1] = hex[c >> 4];
			esc[2] = hex[c & 15];
			add(s, esc, 3);
		}
	}
}

static void
hexify(const unsigned char *b, size_t n, char *out)
{
	static const char hex[] = "0123456789abcdef";

	for (size_t i = 0; i < n; i++) {
		out[2 * i] = hex[b[i] >> 4];
		out[2 * i + 1] = hex[b[i] & 15];
	}
	out[2 * n] = '\0';
}

void
sigv4_sha256_hex(const void *data, size_t len, char hex[65])
{
	unsigned char md[SHA256_DIGEST_LENGTH];

	SHA256(data, len, md);
	hexify(md, sizeof(md), hex);
}

static void
hmac(const unsigned char *key, size_t klen, const char *msg, unsigned char out[32])
{
	unsigned int n = 32;

	HMAC(EVP_sha256(), key, (int)klen, (const unsigned char *)msg, strlen(msg), out, &n);
}

/* The signing key for date (YYYYMMDD), cached per date/region/service. */
static const unsigned char *
signing_key(struct sigv4 *s, const char *date)
{
	char scope[sizeof(s->key_scope)];
	unsigned char k[32];
	struct str secret = { 0 };

	snprintf(scope, sizeof(scope), "%s/%s/%s", date, s->region, s->service);
	if (strcmp(scope, s->key_scope) == 0)
		return s->key;
	adds(&secret, "AWS4");
	adds(&secret, s->secret_key);
	if (secret.oom)
		return NULL;
	hmac((unsigned char *)secret.p, secret.n, date, k);
	OPENSSL_cleanse(secret.p, secret.n);
	free(secret.p);
	hmac(k, 32, s->region, k);
	hmac(k, 32, s->service, k);
	hmac(k, 32, "aws4_request", s->key);
	OPENSSL_cleanse(k, sizeof(k));
	memcpy(s->key_scope, scope, sizeof(scope));
	return s->key;
}

struct url {
	const char *scheme_host;	/* "https://host:port" */
	size_t scheme_host_len;
	const char *host;		/* "host:port" as written */
	size_t host_len;
	const char *path;		/* "/..." */
	size_t path_len;
	const char *query;		/* after '?', or "" */
	size_t query_len;
};

static int
parse_url(const char *url, struct url *u)
{
	const char *p = strstr(url, "://"), *slash, *q;

	if (p == NULL)
		return -1;
	u->host = p + 3;
	slash = u->host + strcspn(u->host, "/?#");
	u->host_len = (size_t)(slash - u->host);
	if (u->host_len == 0)
		return -1;
	u->scheme_host = url;
	u->scheme_host_len = (size_t)(slash - url);
	q = strchr(slash, '?');
	u->path = *slash == '/' ? slash : "/";
	u->path_len = *slash == '/' ? (size_t)((q ? q : slash + strlen(slash)) - slash) : 1;
	u->query = q ? q + 1 : "";
	u->query_len = strcspn(u->query, "#");
	return 0;
}

struct param {
	char *name, *value;	/* SigV4-encoded */
};

static int
param_cmp(const void *a, const void *b)
{
	const struct param *x = a, *y = b;
	int c = strcmp(x->name, y->name);

	return c ? c : strcmp(x->value, y->value);
}

struct params {
	struct param *p;
	size_t n, cap;
	bool oom;
};

/* Add one "name=value" (or "name") parameter of len bytes, SigV4-encoded. */
static void
add_param(struct params *ps, const char *p, size_t len)
{
	const char *eq = memchr(p, '=', len);
	struct str name = { 0 }, value = { 0 };

	if (len == 0)
		return;
	if (ps->n == ps->cap) {
		size_t cap = ps->cap ? ps->cap * 2 : 8;
		struct param *np = realloc(ps->p, cap * sizeof(*np));

		if (np == NULL) {
			ps->oom = true;
			return;
		}
		ps->p = np;
		ps->cap = cap;
	}
	add(&name, "", 0);
	add(&value, "", 0);
	add_encoded(&name, p, eq ? (size_t)(eq - p) : len, false);
	if (eq)
		add_encoded(&value, eq + 1, len - (size_t)(eq - p) - 1, false);
	if (name.oom || value.oom) {
		free(name.p);
		free(value.p);
		ps->oom = true;
		return;
	}
	ps->p[ps->n].name = name.p;
	ps->p[ps->n++].value = value.p;
}

/* The URL's query parameters and the extra ones, sorted, joined with '&'. */
static void
canonical_query(struct str *out, const char *q, size_t qlen, const char *const *extra,
    size_t nextra)
{
	struct params ps = { 0 };
	const char *end = q + qlen;

	while (q < end) {
		const char *amp = memchr(q, '&', (size_t)(end - q));

		if (amp == NULL)
			amp = end;
		add_param(&ps, q, (size_t)(amp - q));
		q = amp == end ? end : amp + 1;
	}
	for (size_t i = 0; i < nextra; i++)
		add_param(&ps, extra[i], strlen(extra[i]));
	if (ps.oom)
		out->oom = true;
	if (ps.n > 1)
		qsort(ps.p, ps.n, sizeof(*ps.p), param_cmp);
	for (size_t i = 0; i < ps.n; i++) {
		if (i > 0)
			add(out, "&", 1);
		adds(out, ps.p[i].name);
		add(out, "=", 1);
		adds(out, ps.p[i].value);
		free(ps.p[i].name);
		free(ps.p[i].value);
	}
	free(ps.p);
}

struct header {
	char name[64];
	const char *value;
	size_t value_len;
};

static int
header_cmp(const void *a, const void *b)
{
	return strcmp(((const struct header *)a)->name, ((const struct header *)b)->name);
}

/* Add "name:value" with the value trimmed and inner spaces collapsed. */
static void
add_header_line(struct str *s, const struct header *h)
{
	const char *v = h->value, *end = v + h->value_len;
	bool space = false;

	adds(s, h->name);
	add(s, ":", 1);
	while (v < end && isspace((unsigned char)*v))
		v++;
	while (end > v && isspace((unsigned char)end[-1]))
		end--;
	for (; v < end; v++) {
		if (isspace((unsigned char)*v)) {
			space = true;
			continue;
		}
		if (space)
			add(s, " ", 1);
		space = false;
		add(s, v, 1);
	}
	add(s, "\n", 1);
}

/* Build the canonical request and string to sign, and sign them. */
static int
sign(struct sigv4 *s, const char *method, const struct url *u, const char *const *qextra,
    size_t nq, const char *const *headers, size_t nh, const char *payload,
    const char *amz_date, struct sigv4_out *out, char signature[65], char **signed_names)
{
	struct str cr = { 0 }, sts = { 0 }, names = { 0 };
	struct header *hs = calloc(nh + 4, sizeof(*hs));
	size_t n = 0;
	char date[9], hash[65];
	const unsigned char *key;
	unsigned char sig[32];

	if (hs == NULL || strlen(amz_date) != 16)
		goto fail;
	memcpy(date, amz_date, 8);
	date[8] = '\0';
	/* Host, the caller's headers, and the x-amz-* ones signed requests carry. */
	strcpy(hs[n].name, "host");
	hs[n].value = u->host;
	hs[n++].value_len = u->host_len;
	for (size_t i = 0; i < nh; i++) {
		const char *colon = strchr(headers[i], ':');
		size_t len = colon ? (size_t)(colon - headers[i]) : 0;

		if (colon == NULL || len == 0 || len >= sizeof(hs[n].name))
			goto fail;
		for (size_t j = 0; j < len; j++)
			hs[n].name[j] = (char)tolower((unsigned char)headers[i][j]);
		hs[n].value = colon + 1;
		hs[n++].value_len = strlen(colon + 1);
	}
	if (nq == 0) {
		strcpy(hs[n].name, "x-amz-content-sha256");
		hs[n].value = payload;
		hs[n++].value_len = strlen(payload);
		strcpy(hs[n].name, "x-amz-date");
		hs[n].value = amz_date;
		hs[n++].value_len = strlen(amz_date);
		if (s->session_token && *s->session_token) {
			strcpy(hs[n].name, "x-amz-security-token");
			hs[n].value = s->session_token;
			hs[n++].value_len = strlen(s->session_token);
		}
	}
	qsort(hs, n, sizeof(*hs), header_cmp);

	adds(&cr, method);
	add(&cr, "\n", 1);
	add_encoded(&cr, u->path, u->path_len, true);
	add(&cr, "\n", 1);
	canonical_query(&cr, u->query, u->query_len, qextra, nq);
	add(&cr, "\n", 1);
	for (size_t i = 0; i < n; i++) {
		add_header_line(&cr, &hs[i]);
		if (i > 0)
			add(&names, ";", 1);
		adds(&names, hs[i].name);
	}
	add(&cr, "\n", 1);
	adds(&cr, names.p);
	add(&cr, "\n", 1);
	adds(&cr, payload);
	if (cr.oom || names.oom)
		goto fail;

	sigv4_sha256_hex(cr.p, cr.n, hash);
	adds(&sts, "AWS4-HMAC-SHA256\n");
	adds(&sts, amz_date);
	add(&sts, "\n", 1);
	adds(&sts, date);
	add(&sts, "/", 1);
	adds(&sts, s->region);
	add(&sts, "/", 1);
	adds(&sts, s->service);
	adds(&sts, "/aws4_request\n");
	adds(&sts, hash);
	if (sts.oom || (key = signing_key(s, date)) == NULL)
		goto fail;
	hmac(key, 32, sts.p, sig);
	hexify(sig, sizeof(sig), signature);
	out->canonical_request = cr.p;
	out->string_to_sign = sts.p;
	*signed_names = names.p;
	free(hs);
	return 0;
fail:
	free(hs);
	free(cr.p);
	free(sts.p);
	free(names.p);
	return -1;
}

int
sigv4_sign(struct sigv4 *s, const char *method, const char *url,
    const char *const *headers, size_t n, const char *payload_sha256,
    const char *amz_date, struct sigv4_out *out)
{
	struct url u;
	struct str auth = { 0 };
	char signature[65], *names;

	memset(out, 0, sizeof(*out));
	if (parse_url(url, &u) != 0 ||
	    sign(s, method, &u, NULL, 0, headers, n, payload_sha256, amz_date, out,
	    signature, &names) != 0)
		return -1;
	adds(&auth, "AWS4-HMAC-SHA256 Credential=");
	adds(&auth, s->access_key);
	add(&auth, "/", 1);
	add(&auth, amz_date, 8);
	add(&auth, "/", 1);
	adds(&auth, s->region);
	add(&auth, "/", 1);
	adds(&auth, s->service);
	adds(&auth, "/aws4_request, SignedHeaders=");
	adds(&auth, names);
	adds(&auth, ", Signature=");
	adds(&auth, signature);
	free(names);
	if (auth.oom) {
		sigv4_out_free(out);
		return -1;
	}
	out->authorization = auth.p;
	return 0;
}

int
sigv4_presign(struct sigv4 *s, const char *method, const char *url,
    const char *amz_date, long expires, struct sigv4_out *out)
{
	struct url u;
	struct str cred = { 0 }, date = { 0 }, exp = { 0 }, tok = { 0 }, q = { 0 }, full = { 0 };
	const char *extra[6];
	char signature[65], *names, num[32];
	size_t n = 0;
	int r = -1;

	memset(out, 0, sizeof(*out));
	if (expires < 1 || expires > SIGV4_MAX_EXPIRES || parse_url(url, &u) != 0 ||
	    strlen(amz_date) != 16)
		return -1;
	adds(&cred, "X-Amz-Credential=");
	adds(&cred, s->access_key);
	add(&cred, "/", 1);
	add(&cred, amz_date, 8);
	add(&cred, "/", 1);
	adds(&cred, s->region);
	add(&cred, "/", 1);
	adds(&cred, s->service);
	adds(&cred, "/aws4_request");
	adds(&date, "X-Amz-Date=");
	adds(&date, amz_date);
	snprintf(num, sizeof(num), "X-Amz-Expires=%ld", expires);
	adds(&exp, num);
	extra[n++] = "X-Amz-Algorithm=AWS4-HMAC-SHA256";
	extra[n++] = cred.p;
	extra[n++] = date.p;
	extra[n++] = exp.p;
	extra[n++] = "X-Amz-SignedHeaders=host";
	if (s->session_token && *s->session_token) {
		adds(&tok, "X-Amz-Security-Token=");
		adds(&tok, s->session_token);
		extra[n++] = tok.p;
	}
	if (cred.oom || date.oom || exp.oom || tok.oom ||
	    sign(s, method, &u, extra, n, NULL, 0, "UNSIGNED-PAYLOAD", amz_date, out,
	    signature, &names) != 0)
		goto done;
	free(names);
	/* The URL carries the same sorted, encoded query the signature covers. */
	canonical_query(&q, u.query, u.query_len, extra, n);
	add(&full, u.scheme_host, u.scheme_host_len);
	add_encoded(&full, u.path, u.path_len, true);
	add(&full, "?", 1);
	adds(&full, q.p);
	adds(&full, "&X-Amz-Signature=");
	adds(&full, signature);
	if (q.oom || full.oom) {
		sigv4_out_free(out);
		free(full.p);
		goto done;
	}
	out->url = full.p;
	r = 0;
done:
	free(cred.p);
	free(date.p);
	free(exp.p);
	free(tok.p);
	free(q.p);
	return r;
}

void
sigv4_out_free(struct sigv4_out *out)
{
	free(out->canonical_request);
	free(out->string_to_sign);
	free(out->authorization);
	free(out->url);
	memset(out, 0, sizeof(*out));
}
