/*
 * SigV4 known answers: every case in tests/data/sigv4 (see its README for
 * where they come from), byte for byte: canonical request, string to sign,
 * and the Authorization header or presigned URL.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sigv4.h"
#include "tap.h"

#define DIR_DEFAULT "tests/data/sigv4"
#define EMPTY_SHA256 "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

static char *
slurp(const char *dir, const char *name)
{
	char path[512];
	FILE *f;
	char *buf;
	long n;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if ((f = fopen(path, "rb")) == NULL)
		return NULL;
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	buf = calloc(1, (size_t)n + 1);
	if (buf && fread(buf, 1, (size_t)n, f) != (size_t)n) {
		free(buf);
		buf = NULL;
	}
	fclose(f);
	return buf;
}

struct input {
	char *method, *url, *region, *service, *access_key, *secret_key;
	char *session_token, *amz_date, *expires, *payload;
	const char *headers[16];
	size_t nheaders;
};

/* Parse "key value" lines in place. */
static void
parse_input(char *text, struct input *in)
{
	for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n")) {
		char *sp = strchr(line, ' ');
		char *v;

		if (sp == NULL)
			continue;
		*sp = '\0';
		v = sp + 1;
		if (strcmp(line, "method") == 0) in->method = v;
		else if (strcmp(line, "url") == 0) in->url = v;
		else if (strcmp(line, "region") == 0) in->region = v;
		else if (strcmp(line, "service") == 0) in->service = v;
		else if (strcmp(line, "access_key") == 0) in->access_key = v;
		else if (strcmp(line, "secret_key") == 0) in->secret_key = v;
		else if (strcmp(line, "session_token") == 0) in->session_token = v;
		else if (strcmp(line, "amz_date") == 0) in->amz_date = v;
		else if (strcmp(line, "expires") == 0) in->expires = v;
		else if (strcmp(line, "payload_sha256") == 0) in->payload = v;
		else if (strcmp(line, "header") == 0 && in->nheaders < 16)
			in->headers[in->nheaders++] = v;
	}
}

static void
check_case(const char *dir, const char *name)
{
	char path[512];
	char *text, *want_cr, *want_sts, *want_auth, *want_url;
	struct input in = { 0 };
	struct sigv4 s = { 0 };
	struct sigv4_out out;
	int r;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	text = slurp(path, "input");
	want_cr = slurp(path, "canonical-request");
	want_sts = slurp(path, "string-to-sign");
	want_auth = slurp(path, "authorization");
	want_url = slurp(path, "presigned-url");
	if (!ok(text && want_cr && want_sts && (want_auth || want_url), "%s: vector files present", name))
		return;
	parse_input(text, &in);
	/* authorization and presigned-url end with a newline. */
	for (char *w = want_auth ? want_auth : want_url; *w; w++)
		if (*w == '\n')
			*w = '\0';
	/* A vector whose input disagrees with its own canonical request is a
	 * broken vector: it fails, it is never skipped. */
	if (!in.expires && in.payload) {
		char line[128];

		snprintf(line, sizeof(line), "\nx-amz-content-sha256:%s\n", in.payload);
		if (!ok(strstr(want_cr, line) != NULL, "%s: the canonical request signs the "
		    "input's payload_sha256 %s", name, in.payload))
			goto done;
	}
	s.access_key = in.access_key;
	s.secret_key = in.secret_key;
	s.session_token = in.session_token;
	s.region = in.region;
	s.service = in.service;
	if (in.expires)
		r = sigv4_presign(&s, in.method, in.url, in.amz_date, atol(in.expires), &out);
	else
		r = sigv4_sign(&s, in.method, in.url, in.headers, in.nheaders, in.payload,
		    in.amz_date, &out);
	ok(r == 0, "%s: signs", name);
	if (r == 0) {
		is_str(out.canonical_request, want_cr, "%s: canonical request", name);
		is_str(out.string_to_sign, want_sts, "%s: string to sign", name);
		if (want_auth)
			is_str(out.authorization, want_auth, "%s: authorization header", name);
		else
			is_str(out.url, want_url, "%s: presigned url", name);
		sigv4_out_free(&out);
	}
	/* The vector tells the payloads apart: signed with any other payload
	 * hash (the empty body's, say), the same request gets another signature. */
	if (r == 0 && want_auth && in.payload) {
		const char *other = strcmp(in.payload, EMPTY_SHA256) == 0 ? "UNSIGNED-PAYLOAD" :
		    EMPTY_SHA256;

		if (sigv4_sign(&s, in.method, in.url, in.headers, in.nheaders, other,
		    in.amz_date, &out) == 0) {
			ok(strcmp(out.authorization, want_auth) != 0, "%s: signed with payload %s "
			    "instead, the signature differs", name, other);
			sigv4_out_free(&out);
		} else {
			ok(0, "%s: signs with payload %s", name, other);
		}
	}
done:
	free(text);
	free(want_cr);
	free(want_sts);
	free(want_auth);
	free(want_url);
}

static int
by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int
main(int argc, char *argv[])
{
	const char *dir = argc > 1 ? argv[1] : DIR_DEFAULT;
	DIR *d = opendir(dir);
	struct dirent *e;
	char *names[64];
	size_t n = 0;

	if (!ok(d != NULL, "vector directory %s opens", dir))
		return tap_done();
	while ((e = readdir(d)) != NULL && n < 64) {
		char probe[512];
		FILE *f;

		snprintf(probe, sizeof(probe), "%s/%s/input", dir, e->d_name);
		if ((f = fopen(probe, "r")) != NULL) {
			fclose(f);
			names[n++] = strdup(e->d_name);
		}
	}
	closedir(d);
	qsort(names, n, sizeof(names[0]), by_name);
	ok(n >= 16, "all %zu vectors found", n);
	for (size_t i = 0; i < n; i++) {
		check_case(dir, names[i]);
		free(names[i]);
	}
	{
		/* The signing key is derived once per day, region and service. */
		struct sigv4 s = { .access_key = "AKIAIOSFODNN7EXAMPLE",
		    .secret_key = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
		    .region = "us-east-1", .service = "s3" };
		struct sigv4_out o;

		sigv4_sign(&s, "GET", "https://b.s3.amazonaws.com/k", NULL, 0, "UNSIGNED-PAYLOAD",
		    "20260126T030015Z", &o);
		sigv4_out_free(&o);
		is_str(s.key_scope, "20260126/us-east-1/s3", "the signing key is cached for its scope");
		ok(sigv4_presign(&s, "GET", "https://b.s3.amazonaws.com/k", "20260126T030015Z",
		    SIGV4_MAX_EXPIRES + 1, &o) == -1, "presigning for more than 7 days is refused");
		ok(sigv4_sign(&s, "GET", "not a url", NULL, 0, "UNSIGNED-PAYLOAD",
		    "20260126T030015Z", &o) == -1, "a malformed URL is refused");
	}
	return tap_done();
}
