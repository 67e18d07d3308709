/*
 * libFuzzer target for the SQL reader and the statement analysis: no crash,
 * and the items' texts always add up to the input.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

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
	int fd[2];

	if (size < 1 || size > 60000)
		return 0;
	bufsize = 16 + data[0] % 64;	/* small buffers: every boundary */
	data++;
	size--;
	if (pipe(fd) != 0)
		abort();
	if (write(fd[1], data, size) != (ssize_t)size)
		abort();
	close(fd[1]);
	if ((r = sqlr_new(fd[0], bufsize)) == NULL)
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
			const char *name;

			sql_meta_name(it.body, it.body_len, &name);
		}
		if (it.kind == SQL_TOC && (it.toc == NULL || it.toc->name == NULL))
			abort();
	} while (it.kind != SQL_END);
	if (total != size)
		abort();
	sqlr_truncated(r);
	sqlr_free(r);
	close(fd[0]);
	return 0;
}
