/*
 * libFuzzer target for pgcount --dump: the rows a hostile dump would load,
 * counted from its TOC comments, COPY data and INSERTs, with and without
 * the choosing options (the first byte picks them).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fuzz_pipe.h"
#include "counts.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct count_opts o = { .dump = true };
	struct counts c = { 0 };
	const char *why;
	int fd;

	if (size < 1 || size > 60000)
		return 0;
	o.summary = data[0] & 1;
	if ((data[0] & 2) && sqlsel_add(&o.sel, SEL_TABLE, "public.*", &why) != 0)
		abort();
	if ((data[0] & 4) && sqlsel_add(&o.sel, SEL_XSCHEMA, "x", &why) != 0)
		abort();
	data++;
	size--;
	fd = fuzz_pipe(data, size);
	if (counts_from_dump(&o, fd, "fuzz", &c) == 0)
		counts_sort(&c);
	counts_free(&c);
	sqlsel_free(&o.sel);
	close(fd);
	return 0;
}
