/*
 * AWS configuration, read as the AWS CLI reads it.
 *
 * Credentials: with --profile, that profile only; otherwise
 * AWS_ACCESS_KEY_ID + AWS_SECRET_ACCESS_KEY (+ AWS_SESSION_TOKEN), then the
 * profile named by AWS_PROFILE (or "default") in the shared credentials
 * file (AWS_SHARED_CREDENTIALS_FILE, ~/.aws/credentials), then in the
 * config file (AWS_CONFIG_FILE, ~/.aws/config, sections "[profile NAME]"
 * and "[default]").
 * Region: AWS_REGION, AWS_DEFAULT_REGION, the profile's region, us-east-1.
 * Endpoint: --endpoint-url, AWS_ENDPOINT_URL_S3, AWS_ENDPOINT_URL, the
 * profile's "s3 =" nested endpoint_url, its endpoint_url, else AWS.
 * Addressing: the profile's "s3 =" nested addressing_style; "auto" means
 * path style for a custom endpoint or region "auto" (Cloudflare R2), and
 * virtual-hosted style on AWS.
 * Also AWS_CA_BUNDLE (or ca_bundle) and AWS_MAX_ATTEMPTS (or max_attempts).
 * Checked as they are read: an endpoint is http(s)://HOST[:PORT][/PATH]
 * (HOST a name or an address, nothing that could send a request
 * elsewhere); a region is letters, digits, '-' and '_'; a CA bundle is a
 * file that can be read.
 */
#ifndef BKPIPE_AWSCFG_H
#define BKPIPE_AWSCFG_H

#include <stdbool.h>
#include <stddef.h>

enum awscfg_style { AWSCFG_AUTO, AWSCFG_PATH, AWSCFG_VIRTUAL };

struct awscfg {
	char *access_key, *secret_key, *session_token;
	char *region;
	char *endpoint;		/* NULL: AWS itself */
	char endpoint_from[160];	/* where it came from, for -v and hints */
	char *no_creds;		/* with creds_later: why none were found, or NULL */
	char *ca_bundle;
	char *profile;		/* the profile read, for messages */
	enum awscfg_style style;
	bool no_sign;
	int max_attempts;
	int connect_timeout;	/* seconds to connect, TLS included, before a retry */
	int read_timeout;	/* seconds without a byte before a transfer is retried */
};

/*
 * The defaults: a store that accepts no connection, or answers nothing,
 * is reported after the retries (AWS_MAX_ATTEMPTS, 5) in about a minute.
 */
#define AWSCFG_CONNECT_TIMEOUT 5
#define AWSCFG_READ_TIMEOUT 10

struct awscfg_opts {
	const char *profile;	/* --profile, or NULL */
	const char *endpoint;	/* --endpoint-url, or NULL */
	const char *region;	/* --region, or NULL */
	bool no_sign;		/* --no-sign-request */
	bool creds_later;	/* no credentials is an error only when a request is signed */
	const char *connect_timeout;	/* --connect-timeout SECONDS, or NULL */
	const char *read_timeout;	/* --read-timeout SECONDS, or NULL */
};

/* The options every S3 tool takes, for its getopt_long table. */
enum {
	AWSCFG_OPT_PROFILE = 0x1000,
	AWSCFG_OPT_ENDPOINT,
	AWSCFG_OPT_REGION,
	AWSCFG_OPT_NO_SIGN,
	AWSCFG_OPT_CONNECT_TIMEOUT,
	AWSCFG_OPT_READ_TIMEOUT,
};
#define AWSCFG_LONGOPTS \
	{ "profile", required_argument, NULL, AWSCFG_OPT_PROFILE }, \
	{ "endpoint-url", required_argument, NULL, AWSCFG_OPT_ENDPOINT }, \
	{ "region", required_argument, NULL, AWSCFG_OPT_REGION }, \
	{ "no-sign-request", no_argument, NULL, AWSCFG_OPT_NO_SIGN }, \
	{ "connect-timeout", required_argument, NULL, AWSCFG_OPT_CONNECT_TIMEOUT }, \
	{ "read-timeout", required_argument, NULL, AWSCFG_OPT_READ_TIMEOUT }

/* Their lines for --help, in the same words everywhere. */
#define AWSCFG_HELP \
"      --profile NAME       use this profile of ~/.aws/credentials and config", \
"      --endpoint-url URL   an S3-compatible endpoint (MinIO, Ceph, R2)", \
"      --region REGION      the bucket's region", \
"      --no-sign-request    anonymous requests", \
"      --connect-timeout S  seconds to connect before a retry (5)", \
"      --read-timeout S     seconds without a byte before a retry (10)"

/* Take one of those options into o; false when c is not one of them. */
bool awscfg_option(struct awscfg_opts *o, int c, const char *arg);

/*
 * Fill c. 0 on success; -1 with a message in err (naming the places that
 * were searched, for missing credentials): a configuration error.
 */
int awscfg_load(struct awscfg *c, const struct awscfg_opts *o, char *err, size_t errlen);
void awscfg_free(struct awscfg *c);

/*
 * A URL as messages may show it: without userinfo ("user:password@"), and
 * without its query when hide_query (a presigned URL's signature).
 */
void awscfg_redact_url(const char *url, bool hide_query, char *buf, size_t len);

/* A region as it may go into a host name: 1 to 63 letters, digits, '-', '_'. */
bool awscfg_region_ok(const char *region);

/* Path style or not, once the endpoint and region are known. */
bool awscfg_path_style(const struct awscfg *c);

#endif
