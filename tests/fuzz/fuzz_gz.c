/*
 * libFuzzer target for the gzip decoder. The first byte picks the size of
 * the input pieces and of the output room, so every split is explored.
 * Invariants: no crash or sanitizer report; on success the output length is
 * the sum of the verified members' lengths.
 */
#include <stdint.h>
#include <stdlib.h>

#include "gz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static unsigned char room[4096];
	size_t piece, cap, off = 1, total = 0;
	struct gz *g;
	int r = 0;

	if (size < 1)
		return 0;
	piece = 1 + (data[0] & 0x0f) * 37;
	cap = 1 + (data[0] >> 4) * 255;
	g = gz_new(data[0] & 1);
	if (g == NULL)
		return 0;
	while (r == 0 && off < size) {
		const unsigned char *in = data + off;
		size_t inlen = size - off < piece ? size - off : piece;

		while (r == 0 && (inlen > 0 || gz_has_output(g))) {
			unsigned char *out = room;
			size_t outlen = cap;

			r = gz_decode(g, &in, &inlen, &out, &outlen);
			total += (size_t)(out - room);
		}
		off = (size_t)(in - data);
	}
	if (r == 0 && gz_finish(g) == 0 && total != gz_info(g)->out_bytes)
		abort();
	gz_free(g);
	return 0;
}
