/*
 * A gzip (RFC 1952) decoder that proves its input intact.
 *
 * The decoder is fed input in pieces of any size and writes decompressed
 * bytes into the caller's buffer. It checks everything the format lets it
 * check: the magic, method 8, no reserved flag bits, the header CRC when
 * FHCRC is set, the deflate data, and each member's CRC-32 and ISIZE. It
 * accepts any number of members, and after the last one, zero bytes
 * (tape or block padding) with a note; anything else there is trailing
 * garbage, an error unless the caller accepts it.
 *
 * Decompressed bytes come out before their member's trailer is checked:
 * withholding the end of the output until gz_finish() succeeds is the
 * caller's job (see hold.h).
 */
#ifndef BKPIPE_GZ_H
#define BKPIPE_GZ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct gz;

struct gz_info {
	uint64_t in_bytes;	/* compressed bytes consumed */
	uint64_t out_bytes;	/* decompressed bytes produced */
	unsigned members;	/* members whose trailer verified */
	uint32_t crc;		/* CRC-32 of all the output */
	uint64_t padding;	/* zero bytes after the last member */
	uint64_t garbage;	/* ignored trailing bytes (ignore_garbage) */
	const char *backend;	/* "isa-l" or "zlib" */
};

struct gz *gz_new(bool ignore_garbage);
void gz_free(struct gz *g);

/*
 * Decode from *in (*inlen bytes) into *out (*outlen bytes of room),
 * advancing all four. Returns 0 when it stopped because the input was used
 * up or the output is full, -1 when the data is corrupt (gz_error() says
 * how). A call with *inlen 0 still drains pending output.
 */
int gz_decode(struct gz *g, const unsigned char **in, size_t *inlen,
    unsigned char **out, size_t *outlen);

/* True while the decoder holds decompressed output it has not given out. */
bool gz_has_output(const struct gz *g);

/* The input has ended. 0 when it ended after a verified member, else -1. */
int gz_finish(struct gz *g);

/* After -1: "corrupted at byte 1234 (member 2): crc32 mismatch (...)". */
const char *gz_error(const struct gz *g);

const struct gz_info *gz_info(const struct gz *g);

#endif
