/* libFuzzer target for the size and duration parsers: no crash, no overflow. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "units.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char s[64], out[32];
	uint64_t bytes;
	int64_t secs;
	const char *why;

	if (size >= sizeof(s))
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	if (units_parse_size(s, &bytes, &why) == 0)
		units_fmt_size(out, sizeof(out), bytes);
	if (units_parse_duration(s, &secs, &why) == 0) {
		if (secs < 0)
			abort();
		units_fmt_duration(out, sizeof(out), secs);
	}
	return 0;
}
