#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "awscfg.h"
#include "err.h"

static char *
dup_or_null(const char *s)
{
	return s && *s ? strdup(s) : NULL;
}

static const char *
env(const char *name)
{
	const char *v = getenv(name);

	return v && *v ? v : NULL;
}

/* ~/.aws/NAME unless the variable names another file. */
static void
file_path(char *buf, size_t len, const char *var, const char *name)
{
	const char *home = env("HOME");

	if (env(var))
		snprintf(buf, len, "%s", env(var));
	else
		snprintf(buf, len, "%s/.aws/%s", home ? home : "", name);
}

static char *
trim(char *s)
{
	char *e;

	while (isspace((unsigned char)*s))
		s++;
	e = s + strlen(s);
	while (e > s && isspace((unsigned char)e[-1]))
		*--e = '\0';
	return s;
}

/*
 * Look up key in section of an INI file as the AWS CLI writes them. A
 * nested key is "parent.key": the lines indented under "parent =".
 * Returns a malloc'd value, or NULL when absent (or the file is missing).
 */
static char *
ini_get(const char *path, const char *section, const char *key)
{
	FILE *f = fopen(path, "r");
	char line[4096], parent[128] = "";
	const char *dot = strchr(key, '.');
	bool in = false;
	char *found = NULL;

	if (f == NULL)
		return NULL;
	while (found == NULL && fgets(line, sizeof(line), f)) {
		bool indented = line[0] == ' ' || line[0] == '\t';
		char *l = trim(line), *eq, *k, *v;

		if (*l == '\0' || *l == '#' || *l == ';')
			continue;
		if (*l == '[') {
			char *end = strchr(l, ']');

			if (end)
				*end = '\0';
			in = strcmp(trim(l + 1), section) == 0;
			parent[0] = '\0';
			continue;
		}
		if (!in || (eq = strchr(l, '=')) == NULL)
			continue;
		*eq = '\0';
		k = trim(l);
		v = trim(eq + 1);
		if (!indented) {
			/* "s3 =" with nothing after it opens a nested block. */
			snprintf(parent, sizeof(parent), "%s", *v ? "" : k);
			if (dot == NULL && strcmp(k, key) == 0)
				found = strdup(v);
		} else if (dot && *parent && strlen(parent) == (size_t)(dot - key) &&
		    strncmp(parent, key, (size_t)(dot - key)) == 0 && strcmp(k, dot + 1) == 0) {
			found = strdup(v);
		}
	}
	fclose(f);
	if (found && *found == '\0') {
		free(found);
		found = NULL;
	}
	return found;
}

/* key from the profile: credentials file first for keys, then config. */
static char *
profile_get(const char *cred_path, const char *conf_path, const char *profile,
    const char *key, bool credentials_first)
{
	char section[256];
	char *v = NULL;

	if (strcmp(profile, "default") == 0)
		snprintf(section, sizeof(section), "default");
	else
		snprintf(section, sizeof(section), "profile %s", profile);
	if (credentials_first)
		v = ini_get(cred_path, profile, key);
	if (v == NULL)
		v = ini_get(conf_path, section, key);
	return v;
}

void
awscfg_redact_url(const char *url, bool hide_query, char *buf, size_t len)
{
	const char *auth = strstr(url, "://"), *end, *at = NULL, *q;

	auth = auth ? auth + 3 : url;
	end = auth + strcspn(auth, "/?#");
	for (const char *p = auth; p < end; p++)
		if (*p == '@')
			at = p;
	q = hide_query ? strchr(end, '?') : NULL;
	snprintf(buf, len, "%.*s%s%.*s%s", (int)(auth - url), url, at ? "(userinfo hidden)@" : "",
	    q ? (int)(q - (at ? at + 1 : auth)) : (int)strlen(at ? at + 1 : auth), at ? at + 1 : auth,
	    q ? "?(query hidden)" : "");
}

/* http(s)://[USERINFO@]HOST[:PORT][/PATH]: 0, or -1 with why. */
static int
endpoint_check(const char *ep, char *why, size_t len)
{
	const char *host = strstr(ep, "://"), *end, *at = NULL, *h, *p;

	if (strncmp(ep, "http://", 7) != 0 && strncmp(ep, "https://", 8) != 0) {
		snprintf(why, len, "expected http:// or https://");
		return -1;
	}
	host += 3;
	end = host + strcspn(host, "/");
	for (p = host; p < end; p++)
		if (*p == '@')
			at = p;
	for (p = host; at && p < at; p++)
		if ((unsigned char)*p <= 0x20 || *p == 0x7f || strchr("?#[]\\", *p)) {
			snprintf(why, len, "a character in the userinfo that a URL cannot hold");
			return -1;
		}
	h = at ? at + 1 : host;
	if (*h == '[') {
		p = h + 1 + strspn(h + 1, "0123456789abcdefABCDEF:.");
		if (*p != ']' || p == h + 1) {
			snprintf(why, len, "a bad IPv6 address");
			return -1;
		}
		p++;
	} else {
		p = h + strspn(h, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-");
		if (p == h) {
			snprintf(why, len, "no host");
			return -1;
		}
	}
	if (*p == ':') {
		size_t n = strspn(p + 1, "0123456789");

		if (n < 1 || n > 5 || atol(p + 1) > 65535) {
			snprintf(why, len, "a bad port");
			return -1;
		}
		p += 1 + n;
	}
	if (p != end) {
		snprintf(why, len, "a host name holds only letters, digits, '.' and '-'");
		return -1;
	}
	for (; *p; p++)
		if ((unsigned char)*p <= 0x20 || *p == 0x7f || *p == '?' || *p == '#' || *p == '\\') {
			snprintf(why, len, "a path with a query, a fragment, a blank or a control byte");
			return -1;
		}
	return 0;
}

/* Why the file at path cannot be read, or NULL. */
static const char *
unreadable(const char *path)
{
	FILE *f = fopen(path, "r");
	const char *why = NULL;

	if (f == NULL)
		return strerror(errno);
	if (getc(f) == EOF)
		why = ferror(f) ? strerror(errno) : "an empty file";
	fclose(f);
	return why;
}

bool
awscfg_region_ok(const char *r)
{
	size_t n = strspn(r, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_");

	return n > 0 && n < 64 && r[n] == '\0';
}

/*
 * The endpoint, in the AWS CLI's order: --endpoint-url, AWS_ENDPOINT_URL_S3,
 * AWS_ENDPOINT_URL, the profile's s3 endpoint_url, its endpoint_url. An
 * environment variable wins over the profile named by --profile: said on
 * stderr, since a copy to another store would go to the first one.
 */
static char *
endpoint(struct awscfg *c, const struct awscfg_opts *o, const char *cred_path,
    const char *conf_path)
{
	static const char *const vars[] = { "AWS_ENDPOINT_URL_S3", "AWS_ENDPOINT_URL" };
	char *prof = profile_get(cred_path, conf_path, c->profile, "s3.endpoint_url", false);
	const char *key = "s3.endpoint_url";
	char *r = NULL;

	if (prof == NULL)
		prof = profile_get(cred_path, conf_path, c->profile, key = "endpoint_url", false);
	if (o->endpoint) {
		snprintf(c->endpoint_from, sizeof(c->endpoint_from), "--endpoint-url");
		r = strdup(o->endpoint);
	}
	for (size_t i = 0; r == NULL && *c->endpoint_from == '\0' && i < 2; i++) {
		if (env(vars[i]) == NULL)
			continue;
		snprintf(c->endpoint_from, sizeof(c->endpoint_from), "%s", vars[i]);
		r = strdup(env(vars[i]));
		if (o->profile && prof && strcmp(prof, env(vars[i])) != 0) {
			char a[256], b[256];

			awscfg_redact_url(env(vars[i]), true, a, sizeof(a));
			awscfg_redact_url(prof, true, b, sizeof(b));
			warn("warning: %s (%s) overrides profile %s's %s (%s), as in the AWS CLI; "
			    "unset %s to use the profile's", vars[i], a, c->profile, key, b, vars[i]);
		}
	}
	if (r == NULL && *c->endpoint_from == '\0' && prof) {
		snprintf(c->endpoint_from, sizeof(c->endpoint_from), "profile %.64s's %s", c->profile,
		    key);
		r = prof;
		prof = NULL;
	}
	free(prof);
	return r;
}

/* A timeout option: whole seconds from 1 to 3600; def when not given. */
static int
timeout(const char *arg, const char *name, int def, int *out, char *err, size_t errlen)
{
	char *end;
	long v;

	*out = def;
	if (arg == NULL)
		return 0;
	v = strtol(arg, &end, 10);
	if (*arg < '0' || *arg > '9' || *end || v < 1 || v > 3600) {
		snprintf(err, errlen, "%s %s: expected seconds from 1 to 3600", name, arg);
		return -1;
	}
	*out = (int)v;
	return 0;
}

int
awscfg_load(struct awscfg *c, const struct awscfg_opts *o, char *err, size_t errlen)
{
	char cred_path[1024], conf_path[1024];
	const char *profile = o->profile ? o->profile : env("AWS_PROFILE");
	char *style, *attempts;
	const char *bad;

	memset(c, 0, sizeof(*c));
	file_path(cred_path, sizeof(cred_path), "AWS_SHARED_CREDENTIALS_FILE", "credentials");
	file_path(conf_path, sizeof(conf_path), "AWS_CONFIG_FILE", "config");
	c->profile = strdup(profile ? profile : "default");
	c->no_sign = o->no_sign;
	if (timeout(o->connect_timeout, "--connect-timeout", AWSCFG_CONNECT_TIMEOUT,
	    &c->connect_timeout, err, errlen) != 0 ||
	    timeout(o->read_timeout, "--read-timeout", AWSCFG_READ_TIMEOUT, &c->read_timeout,
	    err, errlen) != 0) {
		awscfg_free(c);
		return -1;
	}

	if (o->profile == NULL && env("AWS_ACCESS_KEY_ID") && env("AWS_SECRET_ACCESS_KEY")) {
		c->access_key = strdup(env("AWS_ACCESS_KEY_ID"));
		c->secret_key = strdup(env("AWS_SECRET_ACCESS_KEY"));
		c->session_token = dup_or_null(env("AWS_SESSION_TOKEN"));
	} else {
		c->access_key = profile_get(cred_path, conf_path, c->profile, "aws_access_key_id", true);
		c->secret_key = profile_get(cred_path, conf_path, c->profile, "aws_secret_access_key", true);
		c->session_token = profile_get(cred_path, conf_path, c->profile, "aws_session_token", true);
	}
	if (!c->no_sign && (c->access_key == NULL || c->secret_key == NULL)) {
		snprintf(err, errlen, "no credentials found: searched %s"
		    "profile \"%s\" in %s and in %s (hint: set AWS_ACCESS_KEY_ID and "
		    "AWS_SECRET_ACCESS_KEY, or --profile; --no-sign-request for a public bucket)",
		    o->profile ? "" : "AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, ",
		    c->profile, cred_path, conf_path);
		free(c->access_key);
		free(c->secret_key);
		c->access_key = c->secret_key = NULL;
		if (!o->creds_later || (c->no_creds = strdup(err)) == NULL) {
			awscfg_free(c);
			return -1;
		}
		*err = '\0';
	}

	if (o->region)
		c->region = strdup(o->region);
	else if (env("AWS_REGION"))
		c->region = strdup(env("AWS_REGION"));
	else if (env("AWS_DEFAULT_REGION"))
		c->region = strdup(env("AWS_DEFAULT_REGION"));
	else if ((c->region = profile_get(cred_path, conf_path, c->profile, "region", false)) == NULL)
		c->region = strdup("us-east-1");

	if ((c->endpoint = endpoint(c, o, cred_path, conf_path)) == NULL && *c->endpoint_from) {
		snprintf(err, errlen, "out of memory");
		awscfg_free(c);
		return -1;
	}
	if (!awscfg_region_ok(c->region)) {
		snprintf(err, errlen, "region \"%.64s\": expected letters, digits, '-' and '_' "
		    "(like eu-west-1)", c->region);
		awscfg_free(c);
		return -1;
	}
	if (c->endpoint) {
		size_t n = strlen(c->endpoint);
		char why[128], shown[512];

		while (n > 0 && c->endpoint[n - 1] == '/')
			c->endpoint[--n] = '\0';
		if (endpoint_check(c->endpoint, why, sizeof(why)) != 0) {
			awscfg_redact_url(c->endpoint, true, shown, sizeof(shown));
			snprintf(err, errlen, "endpoint %s: %s", shown, why);
			awscfg_free(c);
			return -1;
		}
	}

	if (env("AWS_CA_BUNDLE"))
		c->ca_bundle = strdup(env("AWS_CA_BUNDLE"));
	else
		c->ca_bundle = profile_get(cred_path, conf_path, c->profile, "ca_bundle", false);
	if (c->ca_bundle && (bad = unreadable(c->ca_bundle)) != NULL) {
		snprintf(err, errlen, "CA bundle %s (AWS_CA_BUNDLE or ca_bundle): %s", c->ca_bundle, bad);
		awscfg_free(c);
		return -1;
	}

	style = profile_get(cred_path, conf_path, c->profile, "s3.addressing_style", false);
	c->style = style == NULL || strcmp(style, "auto") == 0 ? AWSCFG_AUTO :
	    strcmp(style, "path") == 0 ? AWSCFG_PATH : AWSCFG_VIRTUAL;
	free(style);

	attempts = env("AWS_MAX_ATTEMPTS") ? strdup(env("AWS_MAX_ATTEMPTS")) :
	    profile_get(cred_path, conf_path, c->profile, "max_attempts", false);
	c->max_attempts = 5;
	if (attempts) {
		char *end;
		long n;

		errno = 0;
		n = strtol(attempts, &end, 10);
		if (errno || *end || n < 1 || n > 100) {
			snprintf(err, errlen, "AWS_MAX_ATTEMPTS %s: expected a number from 1 to 100",
			    attempts);
			free(attempts);
			awscfg_free(c);
			return -1;
		}
		c->max_attempts = (int)n;
		free(attempts);
	}
	return 0;
}

void
awscfg_free(struct awscfg *c)
{
	if (c->secret_key)
		memset(c->secret_key, 0, strlen(c->secret_key));
	free(c->access_key);
	free(c->secret_key);
	free(c->session_token);
	free(c->region);
	free(c->endpoint);
	free(c->no_creds);
	free(c->ca_bundle);
	free(c->profile);
	memset(c, 0, sizeof(*c));
}

bool
awscfg_option(struct awscfg_opts *o, int c, const char *arg)
{
	switch (c) {
	case AWSCFG_OPT_PROFILE: o->profile = arg; return true;
	case AWSCFG_OPT_ENDPOINT: o->endpoint = arg; return true;
	case AWSCFG_OPT_REGION: o->region = arg; return true;
	case AWSCFG_OPT_NO_SIGN: o->no_sign = true; return true;
	case AWSCFG_OPT_CONNECT_TIMEOUT: o->connect_timeout = arg; return true;
	case AWSCFG_OPT_READ_TIMEOUT: o->read_timeout = arg; return true;
	default: return false;
	}
}

bool
awscfg_path_style(const struct awscfg *c)
{
	if (c->style != AWSCFG_AUTO)
		return c->style == AWSCFG_PATH;
	return c->endpoint != NULL || strcmp(c->region, "auto") == 0;
}
