/*
 * libFuzzer target for the restore path of pgfeed --emit: the choosing
 * options, --clean, --into, --truncate and --disable-triggers over a
 * hostile dump. The first byte picks the options. Whatever the input, the
 * output is read back with the SQL reader and must hold no meta-command
 * other than those pgfeed understands, and no NUL byte.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fuzz_pipe.h"
#include "restore.h"
#include "sqlmeta.h"
#include "sqlread.h"
#include "sqlsel.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const allowed[] = { "connect", "c", "restrict", "unrestrict", "set", "encoding", NULL };

/* Every meta-command of out is one pgfeed understands. */
static void
check_output(const char *out, size_t len)
{
	struct sqlr *r;
	struct sql_item it;
	int fd;

	if (memchr(out, '\0', len) != NULL)
		abort();
	fd = fuzz_pipe(out, len);
	if ((r = sqlr_new(fd, 0)) == NULL)
		abort();
	do {
		if (sqlr_next(r, &it) != 0)
			abort();
		if (it.kind == SQL_META) {
			struct sql_meta m;
			const char *why;

			if (sql_meta_parse(it.body, it.body_len, &m, &why) != 0)
				abort();
			for (size_t i = 0; i < m.n; i++) {
				const char *const *a;

				for (a = allowed; *a && !sql_meta_is(&m.cmd[i], *a); a++)
					;
				if (*a == NULL)
					abort();
			}
			sql_meta_free(&m);
		}
	} while (it.kind != SQL_END);
	sqlr_free(r);
	close(fd);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static volatile sig_atomic_t never;
	struct restore_opts o = { .emit = true };
	struct restore r = { .o = &o, .stop = true };
	const char *why;
	char *out = NULL;
	size_t outlen = 0;
	int fd;
	uint8_t f;

	if (size < 1 || size > 60000)
		return 0;
	f = data[0];
	data++;
	size--;
	o.clean = f & 1;
	o.truncate = f & 2;
	o.disable_triggers = f & 4;
	o.no_owner = f & 8;
	o.sel.no_acl = f & 64;
	if (f & 48) {
		if (sqlsel_add(&o.sel, SEL_TABLE, (f & 32) ? "public.t*" : "t", &why) != 0)
			abort();
	}
	if ((f & 48) == 16) {
		/* a name that must be quoted, 63 bytes long */
		if (sqlpat_parse("\"new\"\"name; DROP TABLE x; --0123456789012345678901234567890123\"",
		    &o.into, &why) != 0)
			abort();
		o.has_into = true;
	}
	o.sel.sections = SQLSEL_ALL;
	o.selective = (f & 48) != 0;
	fd = fuzz_pipe(data, size);
	if ((r.rd = sqlr_new(fd, 0)) == NULL || (r.out = open_memstream(&out, &outlen)) == NULL)
		abort();
	restore_run(&r, "fuzz", -1, &never);
	fclose(r.out);
	check_output(out, outlen);
	free(out);
	sqlr_free(r.rd);
	restore_free(&r);
	sqlsel_free(&o.sel);
	sqlpat_free(&o.into);
	close(fd);
	return 0;
}
