#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "awscfg.h"

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

int
awscfg_load(struct awscfg *c, const struct awscfg_opts *o, char *err, size_t errlen)
{
	char cred_path[1024], conf_path[1024];
	const char *profile = o->profile ? o->profile : env("AWS_PROFILE");
	char *style, *attempts;

	memset(c, 0, sizeof(*c));
	file_path(cred_path, sizeof(cred_path), "AWS_SHARED_CREDENTIALS_FILE", "credentials");
	file_path(conf_path, sizeof(conf_path), "AWS_CONFIG_FILE", "config");
	c->profile = strdup(profile ? profile : "default");
	c->no_sign = o->no_sign;
	c->read_timeout = o->read_timeout > 0 ? o->read_timeout : 60;

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
		awscfg_free(c);
		return -1;
	}

	if (o->region)
		c->region = strdup(o->region);
	else if (env("AWS_REGION"))
		c->region = strdup(env("AWS_REGION"));
	else if (env("AWS_DEFAULT_REGION"))
		c->region = strdup(env("AWS_DEFAULT_REGION"));
	else if ((c->region = profile_get(cred_path, conf_path, c->profile, "region", false)) == NULL)
		c->region = strdup("us-east-1");

	if (o->endpoint)
		c->endpoint = strdup(o->endpoint);
	else if (env("AWS_ENDPOINT_URL_S3"))
		c->endpoint = strdup(env("AWS_ENDPOINT_URL_S3"));
	else if (env("AWS_ENDPOINT_URL"))
		c->endpoint = strdup(env("AWS_ENDPOINT_URL"));
	else if ((c->endpoint = profile_get(cred_path, conf_path, c->profile, "s3.endpoint_url", false)) == NULL)
		c->endpoint = profile_get(cred_path, conf_path, c->profile, "endpoint_url", false);
	if (c->endpoint) {
		size_t n = strlen(c->endpoint);

		while (n > 0 && c->endpoint[n - 1] == '/')
			c->endpoint[--n] = '\0';
		if (strncmp(c->endpoint, "http://", 7) != 0 && strncmp(c->endpoint, "https://", 8) != 0) {
			snprintf(err, errlen, "endpoint %s: expected http:// or https://", c->endpoint);
			awscfg_free(c);
			return -1;
		}
	}

	if (env("AWS_CA_BUNDLE"))
		c->ca_bundle = strdup(env("AWS_CA_BUNDLE"));
	else
		c->ca_bundle = profile_get(cred_path, conf_path, c->profile, "ca_bundle", false);

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
