/* The verifying gzip decoder, fed in pieces of every size. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <zlib.h>

#include "gz.h"
#include "tap.h"

struct buf {
	unsigned char *p;
	size_t n, cap;
};

static void
put(struct buf *b, const void *p, size_t n)
{
	if (n == 0)
		return;
	if (b->n + n > b->cap) {
		b->cap = (b->n + n) * 2 + 64;
		b->p = realloc(b->p, b->cap);
		if (b->p == NULL)
			abort();
	}
	memcpy(b->p + b->n, p, n);
	b->n += n;
}

static uint32_t rng = 12345;

static uint32_t
rnd(void)
{
	rng = rng * 1103515245u + 12345u;
	return rng >> 8;
}

/* Data that compresses somewhat, like a dump: words and numbers. */
static void
make_data(struct buf *b, size_t n)
{
	static const char *words[] = { "INSERT", "INTO", "public.users", "VALUES", "(", ")",
	    "alice", "bob", "2026-01-26", "\t", "\n", "NULL", "COPY", "\\N" };
	char num[16];

	b->n = 0;
	while (b->n < n) {
		const char *w = words[rnd() % 14];

		if (rnd() % 3 == 0) {
			snprintf(num, sizeof(num), "%u", rnd() % 100000);
			w = num;
		}
		put(b, w, strlen(w) < n - b->n ? strlen(w) : n - b->n);
	}
}

/* Raw deflate of data, with level and strategy. */
static void
deflate_raw(struct buf *out, const struct buf *in, int level)
{
	z_stream z;
	unsigned char chunk[4096];
	int r;

	memset(&z, 0, sizeof(z));
	deflateInit2(&z, level, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY);
	z.next_in = in->p;
	z.avail_in = (uInt)in->n;
	do {
		z.next_out = chunk;
		z.avail_out = sizeof(chunk);
		r = deflate(&z, Z_FINISH);
		put(out, chunk, sizeof(chunk) - z.avail_out);
	} while (r != Z_STREAM_END);
	deflateEnd(&z);
}

static void
le32(struct buf *b, uint32_t v)
{
	unsigned char t[4] = { v & 0xff, (v >> 8) & 0xff, (v >> 16) & 0xff, v >> 24 };

	put(b, t, 4);
}

/* A member with the given header flags around data. */
static void
member(struct buf *gz, const struct buf *data, unsigned flags, int level)
{
	unsigned char fixed[10] = { 0x1f, 0x8b, 8, (unsigned char)flags, 1, 2, 3, 4, 0, 3 };
	size_t start = gz->n;

	put(gz, fixed, 10);
	if (flags & 0x04) {
		unsigned char x[] = { 6, 0, 'A', 'P', 2, 0, 'h', 'i' };

		put(gz, x, sizeof(x));
	}
	if (flags & 0x08)
		put(gz, "dump.sql", 9);
	if (flags & 0x10)
		put(gz, "nightly backup", 15);
	if (flags & 0x02) {
		uint32_t c = (uint32_t)crc32(0, gz->p + start, (uInt)(gz->n - start));
		unsigned char h[2] = { c & 0xff, (c >> 8) & 0xff };

		put(gz, h, 2);
	}
	deflate_raw(gz, data, level);
	le32(gz, (uint32_t)crc32(0, data->p, (uInt)data->n));
	le32(gz, (uint32_t)data->n);
}

/*
 * Decode all of in, fed in pieces of at most inmax bytes (random sizes when
 * rand_sizes) into output room of at most outmax. Returns gz_finish()'s or
 * gz_decode()'s result; the output goes to out.
 */
static int
run(struct gz *g, const struct buf *in, size_t inmax, size_t outmax, int rand_sizes,
    struct buf *out)
{
	unsigned char *room = malloc(outmax);
	size_t off = 0;
	int r = 0;

	out->n = 0;
	while (r == 0 && off < in->n) {
		size_t want = rand_sizes ? 1 + rnd() % inmax : inmax;
		size_t inlen = want < in->n - off ? want : in->n - off;
		const unsigned char *p = in->p + off;

		while (r == 0 && (inlen > 0 || gz_has_output(g))) {
			size_t cap = rand_sizes ? 1 + rnd() % outmax : outmax;
			unsigned char *o = room;

			r = gz_decode(g, &p, &inlen, &o, &cap);
			put(out, room, (size_t)(o - room));
		}
		off = (size_t)(p - in->p);
	}
	free(room);
	return r != 0 ? r : gz_finish(g);
}

static int
same(const struct buf *a, const struct buf *b)
{
	return a->n == b->n && (a->n == 0 || memcmp(a->p, b->p, a->n) == 0);
}

static void
round_trip(const char *what, const struct buf *gz, const struct buf *want,
    unsigned members)
{
	static const size_t sizes[][2] = {
		{ 1, 1 }, { 1, 65536 }, { 65536, 1 }, { 7, 13 }, { 4096, 4096 },
		{ 1 << 20, 1 << 20 }, { 3, 100000 },
	};
	struct buf out = { 0 };

	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		for (int rs = 0; rs < 2; rs++) {
			struct gz *g = gz_new(false);
			int r = run(g, gz, sizes[i][0], sizes[i][1], rs, &out);

			ok(r == 0 && same(&out, want) && gz_info(g)->members == members &&
			    gz_info(g)->in_bytes == gz->n && gz_info(g)->out_bytes == want->n,
			    "%s: round trip, input in %s%zu-byte pieces, output room %zu (%s)",
			    what, rs ? "up to " : "", sizes[i][0], sizes[i][1],
			    r ? gz_error(g) : "ok");
			gz_free(g);
		}
	}
	free(out.p);
}

/* Decode whole and return the error message ("" when it succeeds). */
static const char *
decode_error(const struct buf *in, int ignore_garbage, struct gz **gp)
{
	struct buf out = { 0 };
	struct gz *g = gz_new(ignore_garbage);
	int r = run(g, in, in->n ? in->n : 1, 65536, 0, &out);

	free(out.p);
	*gp = g;
	return r == 0 ? "" : gz_error(g);
}

static void
error_is(const char *what, const struct buf *in, const char *want)
{
	struct gz *g;
	const char *msg = decode_error(in, 0, &g);

	ok(strncmp(msg, want, strlen(want)) == 0, "%s: \"%s\" (got \"%s\")", what, want, msg);
	gz_free(g);
}

int
main(void)
{
	struct buf data = { 0 }, gz = { 0 }, all = { 0 }, t = { 0 }, empty = { 0 };
	static const size_t lens[] = { 0, 1, 2, 3, 65535, 65536, 65537, 300000 };
	char what[128];

	/* Round trips: every length, every header flag, several levels. */
	for (size_t i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
		make_data(&data, lens[i]);
		gz.n = 0;
		member(&gz, &data, 0, 6);
		snprintf(what, sizeof(what), "%zu bytes", lens[i]);
		round_trip(what, &gz, &data, 1);
	}
	make_data(&data, 100000);
	for (unsigned flags = 0; flags < 0x20; flags++) {
		gz.n = 0;
		member(&gz, &data, flags, flags % 10);
		snprintf(what, sizeof(what), "flags %#04x", flags);
		round_trip(what, &gz, &data, 1);
	}

	/* Several members, one empty, stored and compressed. */
	gz.n = 0;
	all.n = 0;
	for (int m = 0; m < 4; m++) {
		make_data(&data, m == 2 ? 0 : 20000 + 5000 * (size_t)m);
		member(&gz, &data, m == 1 ? 0x08 : 0, m == 3 ? 0 : 9);
		put(&all, data.p, data.n);
	}
	round_trip("4 members, one empty, one stored", &gz, &all, 4);
	{
		struct gz *g;

		decode_error(&gz, 0, &g);
		is_int(gz_info(g)->crc, crc32(0, all.p, (uInt)all.n),
		    "the summary crc32 is that of the whole output");
		gz_free(g);
	}

	/* Errors, each with its offset and member. */
	error_is("empty input", &empty, "empty input");
	t.n = 0;
	put(&t, "-- PostgreSQL database dump\n", 28);
	error_is("plain SQL", &t, "not in gzip format (it looks like plain text");
	t.n = 0;
	put(&t, "PGDMP\x01\x0e\x00", 8);
	error_is("custom archive", &t, "not in gzip format (it is a pg_dump custom-format archive");
	t.n = 0;
	put(&t, "\x28\xb5\x2f\xfd\x00", 5);
	error_is("zstd", &t, "not in gzip format (it is zstd data");

	make_data(&data, 5000);
	gz.n = 0;
	member(&gz, &data, 0, 6);
	t.n = 0;
	put(&t, gz.p, gz.n);
	t.p[t.n - 8] ^= 1;
	snprintf(what, sizeof(what), "corrupted at byte %zu (member 1): crc32 mismatch", t.n - 8);
	error_is("stored crc changed", &t, what);
	t.p[t.n - 8] ^= 1;
	t.p[t.n - 3] ^= 1;
	snprintf(what, sizeof(what), "corrupted at byte %zu (member 1): length mismatch", t.n - 4);
	error_is("stored length changed", &t, what);
	t.p[t.n - 3] ^= 1;
	t.p[2] = 7;
	error_is("method 7", &t, "corrupted at byte 2 (member 1): unknown compression method 7");
	t.p[2] = 8;
	t.p[3] = 0x20;
	error_is("reserved flag", &t, "corrupted at byte 3 (member 1): reserved flag bits set");
	t.n = 0;
	member(&t, &data, 0x02, 6);
	t.p[10] ^= 0xff;
	error_is("header crc", &t, "corrupted at byte 10 (member 1): header crc mismatch");
	t.n = 0;
	put(&t, gz.p, gz.n);
	put(&t, gz.p, gz.n);
	t.p[gz.n + 20] ^= 0x55;
	snprintf(what, sizeof(what), "corrupted at byte");
	error_is("second member damaged", &t, what);
	{
		struct gz *g;
		const char *msg = decode_error(&t, 0, &g);

		ok(strstr(msg, "(member 2)") != NULL, "damage in member 2 names member 2 (%s)", msg);
		gz_free(g);
	}

	/* Truncation at every byte: the right place, never success. */
	{
		int all_ok = 1;

		for (size_t n = 1; n < gz.n; n++) {
			struct buf cut = { gz.p, n, n };
			struct gz *g;
			const char *msg = decode_error(&cut, 0, &g);
			const char *where = n < 10 ? "in the header" :
			    n < gz.n - 8 ? (strstr(msg, "invalid deflate") ? "invalid deflate" :
			    "in the deflate data") : "in the trailer";

			if (strstr(msg, where) == NULL) {
				all_ok = 0;
				printf("# cut at %zu: %s\n", n, msg);
			}
			gz_free(g);
		}
		ok(all_ok, "truncated at each of %zu bytes: reported as unexpected end where it is", gz.n);
	}

	/* After the last member: zero padding, garbage. */
	t.n = 0;
	put(&t, gz.p, gz.n);
	put(&t, "\0\0\0\0\0\0\0\0", 8);
	{
		struct gz *g;
		const char *msg = decode_error(&t, 0, &g);

		ok(*msg == '\0' && gz_info(g)->padding == 8, "8 zero bytes of padding are accepted (%s)", msg);
		gz_free(g);
	}
	put(&t, "x", 1);
	snprintf(what, sizeof(what), "corrupted at byte %zu: trailing garbage after member 1", gz.n);
	error_is("zeros then junk", &t, what);
	t.n = 0;
	put(&t, gz.p, gz.n);
	put(&t, "junk", 4);
	error_is("junk after the member", &t, what);
	{
		struct gz *g;
		const char *msg = decode_error(&t, 1, &g);

		ok(*msg == '\0' && gz_info(g)->garbage == 4, "junk is accepted when asked (%s)", msg);
		gz_free(g);
	}
	t.n = 0;
	put(&t, gz.p, gz.n);
	put(&t, "\x1f", 1);
	error_is("a lone 0x1f after the member", &t, what);

	free(data.p);
	free(gz.p);
	free(all.p);
	free(t.p);
	return tap_done();
}
