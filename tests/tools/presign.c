/*
 * presign URL EXPIRES AMZ_DATE: print bkpipe's presigned URL for an
 * s3://bucket/key at a given time, configured from the environment as the
 * tools are, so the bats suites can compare it with `aws s3 presign`.
 */
#include <stdio.h>
#include <stdlib.h>

#include "awscfg.h"
#include "err.h"
#include "s3.h"
#include "units.h"

int
main(int argc, char *argv[])
{
	struct awscfg cfg;
	struct awscfg_opts o = { 0 };
	struct s3 *s;
	char err[1024], *bucket, *key, *url, iso[32];
	int64_t now;

	err_init(argv[0]);
	if (argc != 4)
		die(EXIT_USAGE, "usage: presign s3://bucket/key EXPIRES YYYYMMDDTHHMMSSZ");
	/* 20261125T134537Z -> 2026-11-25T13:45:37Z */
	snprintf(iso, sizeof(iso), "%.4s-%.2s-%.2sT%.2s:%.2s:%.2sZ", argv[3], argv[3] + 4,
	    argv[3] + 6, argv[3] + 9, argv[3] + 11, argv[3] + 13);
	if (units_parse_time(iso, &now) != 0)
		die(EXIT_USAGE, "%s: not a time", argv[3]);
	if (awscfg_load(&cfg, &o, err, sizeof(err)) != 0)
		die(EXIT_USAGE, "%s", err);
	if (s3_parse_url(argv[1], &bucket, &key, err, sizeof(err)) != 0)
		die(EXIT_USAGE, "%s: %s", argv[1], err);
	if ((s = s3_new(&cfg, 0)) == NULL || (url = s3_presign(s, bucket, key, atol(argv[2]), now)) == NULL)
		die(EXIT_DATA, "cannot presign");
	puts(url);
	free(url);
	free(bucket);
	free(key);
	s3_free(s);
	awscfg_free(&cfg);
	return 0;
}
