/*
 * libFuzzer target for the AWS shared credentials and config file parser.
 *
 * awscfg reads only from paths (AWS_SHARED_CREDENTIALS_FILE, AWS_CONFIG_FILE),
 * so each input is written to two files in a private directory under /tmp:
 * the bytes before the first NUL are the credentials file, the bytes after it
 * the config file; an input without a NUL is both files. The first byte picks
 * the profile asked for. A load that succeeds must leave a configuration the
 * S3 client can use; one that fails must leave a terminated message.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "awscfg.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char dir[64], cred_path[96], conf_path[96];

static void
cleanup(void)
{
	unlink(cred_path);
	unlink(conf_path);
	rmdir(dir);
}

static void
put(const char *path, const uint8_t *p, size_t n)
{
	FILE *f = fopen(path, "wb");

	if (f == NULL || (n > 0 && fwrite(p, 1, n, f) != n) || fclose(f) != 0) {
		perror(path);
		abort();
	}
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	static const char *const unset[] = {
		"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN",
		"AWS_PROFILE", "AWS_REGION", "AWS_DEFAULT_REGION", "AWS_ENDPOINT_URL",
		"AWS_ENDPOINT_URL_S3", "AWS_CA_BUNDLE", "AWS_MAX_ATTEMPTS",
		"AWS_ROLE_ARN", "AWS_WEB_IDENTITY_TOKEN_FILE",
		"AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "AWS_CONTAINER_CREDENTIALS_FULL_URI",
	};
	size_t i;

	(void)argc;
	(void)argv;
	snprintf(dir, sizeof(dir), "/tmp/fuzz_awscfg.XXXXXX");
	if (mkdtemp(dir) == NULL) {
		perror("mkdtemp");
		abort();
	}
	snprintf(cred_path, sizeof(cred_path), "%s/credentials", dir);
	snprintf(conf_path, sizeof(conf_path), "%s/config", dir);
	atexit(cleanup);
	for (i = 0; i < sizeof(unset) / sizeof(unset[0]); i++)
		unsetenv(unset[i]);
	/* Whatever the parser learns to do, the fuzzer never reaches a network. */
	setenv("AWS_EC2_METADATA_DISABLED", "true", 1);
	setenv("AWS_SHARED_CREDENTIALS_FILE", cred_path, 1);
	setenv("AWS_CONFIG_FILE", conf_path, 1);
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char long_name[400];
	const char *profiles[] = { NULL, "default", "p", "two words", "s3", long_name };
	struct awscfg_opts o;
	struct awscfg c;
	char err[512];
	const uint8_t *nul;
	size_t n;

	if (size == 0 || size > 64 * 1024)
		return 0;
	if (long_name[0] == '\0')
		memset(long_name, 'x', sizeof(long_name) - 1);
	memset(&o, 0, sizeof(o));
	o.profile = profiles[data[0] % (sizeof(profiles) / sizeof(profiles[0]))];
	o.no_sign = (data[0] & 0x80) != 0;
	data++;
	size--;

	nul = memchr(data, '\0', size);
	if (nul) {
		n = (size_t)(nul - data);
		put(cred_path, data, n);
		put(conf_path, nul + 1, size - n - 1);
	} else {
		put(cred_path, data, size);
		put(conf_path, data, size);
	}

	memset(err, 0x55, sizeof(err));
	if (awscfg_load(&c, &o, err, sizeof(err)) != 0) {
		if (memchr(err, '\0', sizeof(err)) == NULL)
			abort();
		return 0;
	}
	if (c.region == NULL || *c.region == '\0' || c.profile == NULL)
		abort();
	if (c.max_attempts < 1 || c.max_attempts > 100 || c.read_timeout < 1)
		abort();
	if (!c.no_sign && (c.access_key == NULL || c.secret_key == NULL))
		abort();
	if (c.endpoint) {
		size_t e = strlen(c.endpoint);

		if (strncmp(c.endpoint, "http://", 7) != 0 && strncmp(c.endpoint, "https://", 8) != 0)
			abort();
		if (e > 0 && c.endpoint[e - 1] == '/')
			abort();
	}
	(void)awscfg_path_style(&c);
	awscfg_free(&c);
	return 0;
}
