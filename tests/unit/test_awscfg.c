/* AWS configuration, read as the AWS CLI reads it. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "awscfg.h"
#include "tap.h"

static char dir[] = "/tmp/bkpipe-awscfg-XXXXXX";
static char cred[256], conf[256];

static void
write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	fputs(text, f);
	fclose(f);
}

static void
clean_env(void)
{
	static const char *vars[] = { "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY",
	    "AWS_SESSION_TOKEN", "AWS_PROFILE", "AWS_REGION", "AWS_DEFAULT_REGION",
	    "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_S3", "AWS_CA_BUNDLE", "AWS_MAX_ATTEMPTS" };

	for (size_t i = 0; i < sizeof(vars) / sizeof(vars[0]); i++)
		unsetenv(vars[i]);
	setenv("AWS_SHARED_CREDENTIALS_FILE", cred, 1);
	setenv("AWS_CONFIG_FILE", conf, 1);
}

int
main(void)
{
	struct awscfg c;
	struct awscfg_opts o = { 0 };
	char err[1024];

	if (mkdtemp(dir) == NULL)
		return 1;
	snprintf(cred, sizeof(cred), "%s/credentials", dir);
	snprintf(conf, sizeof(conf), "%s/config", dir);
	write_file(cred,
	    "[default]\naws_access_key_id = DEFKEY\naws_secret_access_key = defsecret\n\n"
	    "# a comment\n[backup]\naws_access_key_id=BKEY\naws_secret_access_key=bsecret\n"
	    "aws_session_token = btoken\n");
	write_file(conf,
	    "[default]\nregion = eu-west-1\n\n"
	    "[profile backup]\nregion = auto\nendpoint_url = https://acct.r2.example.com/\n"
	    "max_attempts = 7\n"
	    "[profile minio]\naws_access_key_id = MKEY\naws_secret_access_key = msecret\n"
	    "s3 =\n  addressing_style = virtual\n  endpoint_url = http://127.0.0.1:9000\n"
	    "region = us-west-2\n");

	clean_env();
	ok(awscfg_load(&c, &o, err, sizeof(err)) == 0, "the default profile loads");
	is_str(c.access_key, "DEFKEY", "its key from the credentials file");
	is_str(c.region, "eu-west-1", "its region from the config file");
	ok(c.endpoint == NULL && !awscfg_path_style(&c), "AWS itself, virtual-hosted style");
	is_int(c.max_attempts, 5, "5 attempts by default");
	awscfg_free(&c);

	setenv("AWS_ACCESS_KEY_ID", "ENVKEY", 1);
	setenv("AWS_SECRET_ACCESS_KEY", "envsecret", 1);
	setenv("AWS_PROFILE", "backup", 1);
	ok(awscfg_load(&c, &o, err, sizeof(err)) == 0, "environment keys with AWS_PROFILE");
	is_str(c.access_key, "ENVKEY", "the environment's keys win over AWS_PROFILE's");
	is_str(c.region, "auto", "the profile still gives the region");
	is_str(c.endpoint, "https://acct.r2.example.com", "and the endpoint, without its last /");
	ok(awscfg_path_style(&c), "region auto and an endpoint mean path style");
	is_int(c.max_attempts, 7, "max_attempts from the profile");
	awscfg_free(&c);

	o.profile = "backup";
	ok(awscfg_load(&c, &o, err, sizeof(err)) == 0, "--profile backup");
	is_str(c.access_key, "BKEY", "--profile's keys win over the environment's");
	is_str(c.session_token, "btoken", "with its session token");
	awscfg_free(&c);

	clean_env();
	o.profile = "minio";
	setenv("AWS_REGION", "ap-south-1", 1);
	ok(awscfg_load(&c, &o, err, sizeof(err)) == 0, "--profile minio");
	is_str(c.access_key, "MKEY", "keys from the config file's profile section");
	is_str(c.endpoint, "http://127.0.0.1:9000", "the nested s3 endpoint_url");
	ok(!awscfg_path_style(&c), "the nested addressing_style virtual");
	is_str(c.region, "ap-south-1", "AWS_REGION wins over the profile's region");
	awscfg_free(&c);

	setenv("AWS_ENDPOINT_URL", "http://general:1", 1);
	setenv("AWS_ENDPOINT_URL_S3", "http://s3only:2", 1);
	o.profile = NULL;
	ok(awscfg_load(&c, &o, err, sizeof(err)) == 0 && strcmp(c.endpoint, "http://s3only:2") == 0,
	    "AWS_ENDPOINT_URL_S3 wins over AWS_ENDPOINT_URL");
	awscfg_free(&c);
	o.endpoint = "https://cli:3";
	ok(awscfg_load(&c, &o, err, sizeof(err)) == 0 && strcmp(c.endpoint, "https://cli:3") == 0,
	    "--endpoint-url wins over both");
	awscfg_free(&c);
	o.endpoint = "ftp://x";
	ok(awscfg_load(&c, &o, err, sizeof(err)) == -1 && strstr(err, "http://"),
	    "an endpoint that is not http(s) is refused");
	o.endpoint = NULL;

	clean_env();
	o.profile = "nosuch";
	ok(awscfg_load(&c, &o, err, sizeof(err)) == -1, "a profile without keys fails");
	ok(strstr(err, "profile \"nosuch\"") && strstr(err, cred) && strstr(err, conf),
	    "naming the profile and both files searched");
	o.no_sign = true;
	ok(awscfg_load(&c, &o, err, sizeof(err)) == 0, "--no-sign-request needs no keys");
	awscfg_free(&c);
	o.no_sign = false;
	o.profile = NULL;
	setenv("AWS_MAX_ATTEMPTS", "zero", 1);
	ok(awscfg_load(&c, &o, err, sizeof(err)) == -1 && strstr(err, "AWS_MAX_ATTEMPTS"),
	    "a bad AWS_MAX_ATTEMPTS is refused");

	unlink(cred);
	unlink(conf);
	rmdir(dir);
	return tap_done();
}
