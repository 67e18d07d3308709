/*
 * libFuzzer target for the ListObjectsV2 reply parser: no crash, no leak,
 * and every entry it hands out has a key, and objects a size and a time.
 */
#include <stdint.h>
#include <stdlib.h>

#include "s3.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int
check(void *arg, const struct s3_entry *e)
{
	(void)arg;
	if (e->key == NULL || (!e->is_prefix && (e->size < 0 || e->last_modified == NULL)))
		abort();
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char why[256], *next = NULL;

	s3_list_page((const char *)data, size, check, NULL, &next, why, sizeof(why));
	free(next);
	return 0;
}
