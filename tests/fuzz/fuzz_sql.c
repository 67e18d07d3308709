/*
 * libFuzzer target for the SQL reader and the statement analysis: no crash,
 * the items' texts always add up to the input, and every meta-command line
 * parses without a crash.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fuzz_pipe.h"
#include "sqlmeta.h"
#include "sqlread.h"
#include "sqlstmt.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sqlr *r;
	struct sql_item it;
	struct sql_stmt st;
	size_t total = 0, bufsize;
	int fd;

	if (size < 1 || size > 60000)
		return 0;
	bufsize = 16 + data[0] % 64;	/* small buffers: every boundary */
	data++;
	size--;
	fd = fuzz_pipe(data, size);
	if ((r = sqlr_new(fd, bufsize)) == NULL)
		abort();
	do {
		if (sqlr_next(r, &it) != 0)
			abort();
		total += it.len;
		if (it.kind == SQL_STMT) {
			uint64_t rows;

			sql_stmt_parse(it.body, it.body_len, sqlr_std_strings(r), &st);
			if (st.kind == STMT_INSERT)
				sql_insert_rows(it.body, it.body_len, sqlr_std_strings(r), &rows);
		}
		if (it.kind == SQL_META) {
			struct sql_meta m;
			const char *why;

			sql_meta_parse(it.body, it.body_len, &m, &why);
			/* names point into the line; arguments are strings */
			for (size_t i = 0; i < m.n; i++) {
				if (m.cmd[i].name < it.body ||
				    m.cmd[i].name + m.cmd[i].name_len > it.body + it.body_len ||
				    m.cmd[i].nargs > SQL_META_ARGS)
					abort();
				for (size_t j = 0; j < m.cmd[i].nargs; j++)
					if (m.cmd[i].arg[j] == NULL)
						abort();
			}
			sql_meta_free(&m);
		}
		if (it.kind == SQL_BAD && (it.why == NULL || *it.why == '\0'))
			abort();
		if (it.kind == SQL_TOC && (it.toc == NULL || it.toc->name == NULL))
			abort();
	} while (it.kind != SQL_END);
	if (total != size)
		abort();
	sqlr_truncated(r);
	sqlr_free(r);
	close(fd);
	return 0;
}
