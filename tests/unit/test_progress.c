/* The progress meter: when it draws and what it says. */
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "progress.h"
#include "tap.h"

#define S 1000000000ULL

static char *
capture(FILE *f)
{
	static char text[4096];
	size_t n;

	fflush(f);
	rewind(f);
	n = fread(text, 1, sizeof(text) - 1, f);
	text[n] = '\0';
	return text;
}

int
main(void)
{
	FILE *f = tmpfile();
	struct progress *p;
	char *t;

	err_init("prog");
	p = progress_new_at(f, "db.sql.gz", -1, false, 0);
	progress_update_at(p, 100, 10 * S);
	progress_end_at(p, 11 * S);
	is_str(capture(f), "", "not a terminal and not forced: silent");
	progress_free(p);

	f = freopen(NULL, "w+", f);
	p = progress_new_at(f, "db.sql.gz", 200 << 20, true, 0);
	progress_update_at(p, 1 << 20, S / 10);
	is_str(capture(f), "", "nothing before the first interval");
	progress_update_at(p, 100 << 20, 10 * S);
	t = capture(f);
	is_str(t, "prog: db.sql.gz 100 MiB / 200 MiB (50%), 10.0 MiB/s, eta 10s\n",
	    "forced into a file: a line with size, percentage, rate and eta");
	progress_update_at(p, 101 << 20, 11 * S);
	is_str(capture(f), t, "in a file, no second line within five seconds");
	progress_end_at(p, 20 * S);
	t = capture(f);
	ok(strstr(t, "200 MiB (100%)") == NULL && strstr(t, "101 MiB / 200 MiB (50%)") != NULL,
	    "the end prints a last line with what was done");
	progress_free(p);

	f = freopen(NULL, "w+", f);
	p = progress_new_at(f, "stdin", -1, true, 0);
	progress_update_at(p, 3 << 20, 2 * S);
	is_str(capture(f), "prog: stdin 3.00 MiB, 1.50 MiB/s\n",
	    "an unknown total shows bytes and rate only");
	progress_free(p);
	fclose(f);
	return tap_done();
}
