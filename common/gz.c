/*
 * How this works. The decoder is a state machine over the compressed
 * stream. Headers, trailers and whatever follows a member are small and
 * irregular, so they are taken a byte at a time (take_bytes); the deflate
 * data, where the time goes, is handed in large pieces to the inflate
 * backend (inflate_step): ISA-L when it was found at build time, zlib
 * otherwise. Both run on raw deflate, so every gzip check is ours.
 *
 * ISA-L reads up to eight bytes ahead into its bit buffer. When a member's
 * deflate data ends, the whole bytes left in that buffer are the start of
 * the trailer: older releases leave them there (read_in_length / 8 of
 * them), newer ones hand them back by moving next_in backwards, possibly to
 * before the buffer of this call. Either way the decoder works out how many
 * bytes the data really took; what it took from earlier calls it copies
 * from the last eight bytes it gave ISA-L into pend[], and reads those
 * before the rest of the input, however the input was split.
 */
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <zlib.h>
#ifdef HAVE_ISAL
#include <isa-l/igzip_lib.h>
#endif

#include "gz.h"
#include "sniff.h"

#define FTEXT		0x01
#define FHCRC		0x02
#define FEXTRA		0x04
#define FNAME		0x08
#define FCOMMENT	0x10
#define FRESERVED	0xe0

#define SNIFF_MAX	512

enum state {
	S_MAGIC,	/* the two ID bytes of a member */
	S_FIXED,	/* the rest of the 10-byte fixed header */
	S_XLEN,
	S_EXTRA,
	S_NAME,
	S_COMMENT,
	S_HCRC,
	S_DATA,
	S_TRAILER,
	S_PADDING,	/* zero bytes after the last member */
	S_IGNORE,	/* accepted trailing garbage */
	S_FAILED,
};

struct gz {
	enum state state;
	bool ignore_garbage;
	bool out_full;		/* the backend may hold more output */
	struct gz_info info;

	/* the member being read */
	unsigned char hdr[10];
	unsigned hdr_len;
	unsigned char flags;
	unsigned xlen, xlen_got;
	uint32_t hcrc;		/* CRC-32 of the header bytes so far */
	unsigned char trl[8];
	unsigned trl_len;
	uint32_t crc;
	uint64_t member_out;
	uint64_t member_start;	/* offset of its first byte */

	unsigned char pend[8];	/* trailer bytes handed back by ISA-L */
	unsigned pend_len, pend_pos;
	unsigned char recent[8];	/* the last bytes given to ISA-L */
	unsigned recent_len;

	unsigned char first[SNIFF_MAX];	/* the start of the input, for hints */
	size_t first_len;

	char msg[256];
#ifdef HAVE_ISAL
	struct inflate_state isal;
#else
	z_stream z;
#endif
};

static int
fail(struct gz *g, uint64_t at, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Record a corruption at compressed offset at, in the current member. */
static int
fail(struct gz *g, uint64_t at, const char *fmt, ...)
{
	va_list ap;
	int n;

	n = snprintf(g->msg, sizeof(g->msg), "corrupted at byte %llu (member %u): ",
	    (unsigned long long)at, g->info.members + 1);
	va_start(ap, fmt);
	if (n > 0 && (size_t)n < sizeof(g->msg))
		vsnprintf(g->msg + n, sizeof(g->msg) - (size_t)n, fmt, ap);
	va_end(ap);
	g->state = S_FAILED;
	return -1;
}

static int
not_gzip(struct gz *g)
{
	enum sniff_kind k = sniff(g->first, g->first_len);
	const char *hint = "";

	switch (k) {
	case SNIFF_TEXT:
		hint = " (it looks like plain text, which needs no decompression; "
		    "-f passes it through)";
		break;
	case SNIFF_PGDMP:
		hint = " (it is a pg_dump custom-format archive: restore it with pg_restore)";
		break;
	case SNIFF_ZSTD: hint = " (it is zstd data: use zstd -dc)"; break;
	case SNIFF_XZ: hint = " (it is xz data: use xz -dc)"; break;
	case SNIFF_BZIP2: hint = " (it is bzip2 data: use bzip2 -dc)"; break;
	case SNIFF_ZIP: hint = " (it is a zip archive: use unzip -p)"; break;
	case SNIFF_TAR: hint = " (it is a tar archive: use tar -xO)"; break;
	default: break;
	}
	snprintf(g->msg, sizeof(g->msg), "not in gzip format%s", hint);
	g->state = S_FAILED;
	return -1;
}

/* --- the inflate backends ------------------------------------------- */

#ifdef HAVE_ISAL

static const char backend_name[] = "isa-l";

static int
inflate_init(struct gz *g)
{
	(void)g;
	return 0;
}

static void
inflate_reset(struct gz *g)
{
	isal_inflate_init(&g->isal);
	g->isal.crc_flag = ISAL_GZIP_NO_HDR;
	g->recent_len = 0;
}

static void
inflate_end(struct gz *g)
{
	(void)g;
}

static const char *
isal_reason(int r)
{
	switch (r) {
	case ISAL_INVALID_BLOCK: return "invalid block";
	case ISAL_INVALID_SYMBOL: return "invalid code";
	case ISAL_INVALID_LOOKBACK: return "invalid distance too far back";
	default: return "undecodable";
	}
}

/* Keep the last bytes given to ISA-L: at the end of a member it may hand
 * back bytes that came with an earlier call. */
static void
remember(struct gz *g, const unsigned char *p, size_t n)
{
	const size_t cap = sizeof(g->recent);
	size_t keep;

	if (n >= cap) {
		memcpy(g->recent, p + n - cap, cap);
		g->recent_len = cap;
		return;
	}
	keep = g->recent_len + n > cap ? cap - n : g->recent_len;
	memmove(g->recent, g->recent + g->recent_len - keep, keep);
	memcpy(g->recent + keep, p, n);
	g->recent_len = (unsigned)(keep + n);
}

/* One backend call. Sets *done when the member's deflate data ended. */
static int
inflate_step(struct gz *g, const unsigned char **in, size_t *inlen,
    unsigned char **out, size_t *outlen, bool *done)
{
	struct inflate_state *s = &g->isal;
	uint32_t ain = *inlen > UINT32_MAX ? UINT32_MAX : (uint32_t)*inlen;
	uint32_t aout = *outlen > UINT32_MAX ? UINT32_MAX : (uint32_t)*outlen;
	size_t made;
	int64_t net;
	int r;

	s->next_in = (uint8_t *)*in;
	s->avail_in = ain;
	s->next_out = *out;
	s->avail_out = aout;
	r = isal_inflate(s);
	made = aout - s->avail_out;
	*out += made;
	*outlen -= made;
	g->member_out += made;
	g->crc = s->crc;
	*done = r >= 0 && s->block_state == ISAL_BLOCK_FINISH;
	/* Bytes this call took for good: at the end, less those handed back. */
	net = (int64_t)ain - (int64_t)s->avail_in;
	if (*done)
		net -= s->read_in_length / 8;
	if (net >= 0) {
		remember(g, *in, (size_t)net);
		*in += net;
		*inlen -= (size_t)net;
		g->info.in_bytes += (uint64_t)net;
	} else {
		/* Handed back bytes that came with earlier calls. */
		unsigned k = (unsigned)-net;

		if (k > g->recent_len)
			return fail(g, g->info.in_bytes, "invalid deflate data (lost %u bytes)", k);
		memcpy(g->pend, g->recent + g->recent_len - k, k);
		g->pend_len = k;
		g->pend_pos = 0;
		g->info.in_bytes -= k;
	}
	if (r < 0)	/* where the bad code is, not how far ISA-L read ahead */
		return fail(g, g->info.in_bytes - (s->read_in_length > 0 ?
		    (uint64_t)s->read_in_length / 8 : 0), "invalid deflate data (%s)",
		    isal_reason(r));
	return 0;
}

#else

static const char backend_name[] = "zlib";

static int
inflate_init(struct gz *g)
{
	return inflateInit2(&g->z, -15) == Z_OK ? 0 : -1;
}

static void
inflate_reset(struct gz *g)
{
	inflateReset(&g->z);
}

static void
inflate_end(struct gz *g)
{
	inflateEnd(&g->z);
}

static int
inflate_step(struct gz *g, const unsigned char **in, size_t *inlen,
    unsigned char **out, size_t *outlen, bool *done)
{
	z_stream *z = &g->z;
	uInt ain = *inlen > UINT_MAX ? UINT_MAX : (uInt)*inlen;
	uInt aout = *outlen > UINT_MAX ? UINT_MAX : (uInt)*outlen;
	unsigned char *start = *out;
	size_t used, made;
	int r;

	z->next_in = (Bytef *)*in;
	z->avail_in = ain;
	z->next_out = *out;
	z->avail_out = aout;
	r = inflate(z, Z_NO_FLUSH);
	used = ain - z->avail_in;
	made = aout - z->avail_out;
	*in += used;
	*inlen -= used;
	*out += made;
	*outlen -= made;
	g->info.in_bytes += used;
	g->member_out += made;
	g->crc = (uint32_t)crc32(g->crc, start, (uInt)made);
	if (r == Z_DATA_ERROR)
		return fail(g, g->info.in_bytes, "invalid deflate data (%s)",
		    z->msg ? z->msg : "undecodable");
	if (r == Z_MEM_ERROR || r == Z_STREAM_ERROR || r == Z_NEED_DICT)
		return fail(g, g->info.in_bytes, "invalid deflate data (inflate error %d)", r);
	*done = r == Z_STREAM_END;
	return 0;
}

#endif

/* --- the state machine ---------------------------------------------- */

struct gz *
gz_new(bool ignore_garbage)
{
	struct gz *g = calloc(1, sizeof(*g));

	if (g == NULL)
		return NULL;
	if (inflate_init(g) != 0) {
		free(g);
		return NULL;
	}
	g->ignore_garbage = ignore_garbage;
	g->state = S_MAGIC;
	g->info.crc = (uint32_t)crc32(0, Z_NULL, 0);
	g->info.backend = backend_name;
	return g;
}

void
gz_free(struct gz *g)
{
	if (g == NULL)
		return;
	inflate_end(g);
	free(g);
}

static void
member_begin(struct gz *g, uint64_t at)
{
	g->state = S_MAGIC;
	g->hdr_len = 0;
	g->trl_len = 0;
	g->member_start = at;
}

static void
data_begin(struct gz *g)
{
	inflate_reset(g);
	g->crc = (uint32_t)crc32(0, Z_NULL, 0);
	g->member_out = 0;
	g->state = S_DATA;
}

/* After the fixed header, or a finished optional field: the next field. */
static void
header_next(struct gz *g)
{
	g->xlen_got = 0;
	if (g->state < S_XLEN && (g->flags & FEXTRA))
		g->state = S_XLEN;
	else if (g->state < S_NAME && (g->flags & FNAME))
		g->state = S_NAME;
	else if (g->state < S_COMMENT && (g->flags & FCOMMENT))
		g->state = S_COMMENT;
	else if (g->state < S_HCRC && (g->flags & FHCRC))
		g->state = S_HCRC;
	else
		data_begin(g);
}

static int
trailer_check(struct gz *g, uint64_t at)
{
	const unsigned char *t = g->trl;
	uint32_t crc = (uint32_t)t[0] | (uint32_t)t[1] << 8 | (uint32_t)t[2] << 16 |
	    (uint32_t)t[3] << 24;
	uint32_t isize = (uint32_t)t[4] | (uint32_t)t[5] << 8 | (uint32_t)t[6] << 16 |
	    (uint32_t)t[7] << 24;

	if (crc != g->crc)
		return fail(g, at - 8, "crc32 mismatch (stored %08x, computed %08x)",
		    (unsigned)crc, (unsigned)g->crc);
	if (isize != (uint32_t)g->member_out)
		return fail(g, at - 4, "length mismatch (stored %lu, computed %lu mod 2^32)",
		    (unsigned long)isize, (unsigned long)(uint32_t)g->member_out);
	g->info.crc = (uint32_t)crc32_combine(g->info.crc, g->crc, (z_off_t)g->member_out);
	g->info.out_bytes += g->member_out;
	g->info.members++;
	member_begin(g, at);
	return 0;
}

/* Garbage at offset at, after the last good member. */
static int
garbage(struct gz *g, uint64_t at)
{
	if (g->ignore_garbage) {
		g->state = S_IGNORE;
		g->info.garbage = g->info.in_bytes - at;
		return 0;
	}
	snprintf(g->msg, sizeof(g->msg),
	    "corrupted at byte %llu: trailing garbage after member %u "
	    "(--ignore-trailing-garbage accepts it)",
	    (unsigned long long)at, g->info.members);
	g->state = S_FAILED;
	return -1;
}

/* Take one byte outside the deflate data, at offset at. */
static int
take_byte(struct gz *g, unsigned char c, uint64_t at)
{
	if (g->state >= S_MAGIC && g->state <= S_COMMENT)
		g->hcrc = (uint32_t)crc32(g->state == S_MAGIC && g->hdr_len == 0 ?
		    crc32(0, Z_NULL, 0) : g->hcrc, &c, 1);

	switch (g->state) {
	case S_MAGIC:
		if (g->hdr_len == 0 && g->info.members > 0 && c == 0) {
			g->state = S_PADDING;
			g->info.padding = 1;
			return 0;
		}
		if (c != (g->hdr_len == 0 ? 0x1f : 0x8b)) {
			if (g->info.members == 0)
				return not_gzip(g);
			return garbage(g, g->member_start);
		}
		g->hdr[g->hdr_len++] = c;
		if (g->hdr_len == 2)
			g->state = S_FIXED;
		return 0;
	case S_FIXED:
		g->hdr[g->hdr_len++] = c;
		if (g->hdr_len == 3 && c != 8)
			return fail(g, at, "unknown compression method %u (only 8, deflate, exists)", c);
		if (g->hdr_len == 4) {
			if (c & FRESERVED)
				return fail(g, at, "reserved flag bits set (flags %#04x)", c);
			g->flags = c;
		}
		if (g->hdr_len == 10)
			header_next(g);
		return 0;
	case S_XLEN:
		g->xlen = g->xlen_got++ == 0 ? c : g->xlen | (unsigned)c << 8;
		if (g->xlen_got == 2) {
			g->xlen_got = 0;
			if (g->xlen == 0)
				header_next(g);
			else
				g->state = S_EXTRA;
		}
		return 0;
	case S_EXTRA:
		if (++g->xlen_got == g->xlen)
			header_next(g);
		return 0;
	case S_NAME:
	case S_COMMENT:
		if (c == 0)
			header_next(g);
		return 0;
	case S_HCRC:
		g->xlen = g->xlen_got++ == 0 ? c : g->xlen | (unsigned)c << 8;
		if (g->xlen_got == 2) {
			g->xlen_got = 0;
			if (g->xlen != (g->hcrc & 0xffff))
				return fail(g, at - 1, "header crc mismatch (stored %04x, computed %04x)",
				    g->xlen, (unsigned)(g->hcrc & 0xffff));
			data_begin(g);
		}
		return 0;
	case S_TRAILER:
		g->trl[g->trl_len++] = c;
		return g->trl_len == 8 ? trailer_check(g, at + 1) : 0;
	case S_PADDING:
		if (c != 0) {
			uint64_t start = g->member_start;

			g->info.padding = 0;
			return garbage(g, start);
		}
		g->info.padding++;
		return 0;
	case S_IGNORE:
		g->info.garbage++;
		return 0;
	case S_DATA:
	case S_FAILED:
		break;
	}
	return -1;
}

/* Take bytes until the deflate data starts or they run out. */
static size_t
take_bytes(struct gz *g, const unsigned char *p, size_t n)
{
	size_t i;

	if (g->state == S_IGNORE) {
		g->info.garbage += n;
		g->info.in_bytes += n;
		return n;
	}
	for (i = 0; i < n && g->state != S_DATA; i++) {
		g->info.in_bytes++;
		if (take_byte(g, p[i], g->info.in_bytes - 1) != 0)
			return i + 1;
	}
	return i;
}

int
gz_decode(struct gz *g, const unsigned char **in, size_t *inlen,
    unsigned char **out, size_t *outlen)
{
	if (g->state == S_FAILED)
		return -1;
	if (g->first_len < SNIFF_MAX && g->info.in_bytes == g->first_len) {
		size_t n = *inlen < SNIFF_MAX - g->first_len ? *inlen : SNIFF_MAX - g->first_len;

		memcpy(g->first + g->first_len, *in, n);
		g->first_len += n;
	}
	for (;;) {
		if (g->pend_pos < g->pend_len) {
			size_t n = take_bytes(g, g->pend + g->pend_pos, g->pend_len - g->pend_pos);

			g->pend_pos += (unsigned)n;
		} else if (g->state == S_DATA) {
			bool done = false;
			size_t had_in = *inlen, had_out = *outlen;

			if (*outlen == 0) {
				g->out_full = true;
				return 0;
			}
			if (inflate_step(g, in, inlen, out, outlen, &done) != 0)
				return -1;
			g->out_full = *outlen == 0;
			if (done) {
				g->state = S_TRAILER;
				g->trl_len = 0;
				g->out_full = false;
			} else if (*inlen == had_in && *outlen == had_out) {
				if (*inlen != 0)
					return fail(g, g->info.in_bytes, "invalid deflate data (no progress)");
				return 0;
			}
		} else if (*inlen == 0) {
			return 0;
		} else {
			size_t n = take_bytes(g, *in, *inlen);

			*in += n;
			*inlen -= n;
		}
		if (g->state == S_FAILED)
			return -1;
	}
}

bool
gz_has_output(const struct gz *g)
{
	return g->state == S_DATA && g->out_full;
}

int
gz_finish(struct gz *g)
{
	const char *where;

	switch (g->state) {
	case S_FAILED:
		return -1;
	case S_PADDING:
	case S_IGNORE:
		return 0;
	case S_MAGIC:
		if (g->info.in_bytes == 0) {
			snprintf(g->msg, sizeof(g->msg), "empty input");
			g->state = S_FAILED;
			return -1;
		}
		if (g->hdr_len == 0)
			return 0;	/* ended after a verified member */
		if (g->info.members > 0)
			return garbage(g, g->member_start);
		where = "in the header";
		break;
	case S_DATA:
		where = "in the deflate data";
		break;
	case S_TRAILER:
		where = "in the trailer";
		break;
	default:
		where = "in the header";
		break;
	}
	return fail(g, g->info.in_bytes, "unexpected end of input %s", where);
}

const char *
gz_error(const struct gz *g)
{
	return g->msg;
}

const struct gz_info *
gz_info(const struct gz *g)
{
	return &g->info;
}
