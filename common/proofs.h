/*
 * What proves a backup (DESIGN.md, "Backup layout"). A backup is an object
 * s3://B/K; its proofs are objects s3://B/.proofs/K followed by a suffix:
 *
 *     .counts    its row counts (pgcount), written by backup.sh once proven
 *     .damaged   a note that a test restore or a restore found it damaged
 *
 * so that a listing of a backup prefix never picks up a proof. A backup is
 * proven when its .counts exists and no .damaged does; damaged when its
 * .damaged exists; unproven otherwise (being written, or its proof failed).
 *
 * The proofs are read first, whole, from listing lines (s3ls of the
 * .proofs/ prefix); memory is the size of those lines.
 */
#ifndef BKPIPE_PROOFS_H
#define BKPIPE_PROOFS_H

#include <stdbool.h>
#include <stddef.h>

enum proof_state { PROOF_PROVEN, PROOF_UNPROVEN, PROOF_DAMAGED };

/* The suffixes a proof's key may end in, NULL-terminated. */
extern const char *const proofs_suffixes[];

/*
 * The URL of a proof of the backup at url (s3://B/K, decoded): s3://B/.proofs/K
 * followed by suffix, malloc'd. NULL when url is not an s3:// URL with a key,
 * or out of memory (errno ENOMEM). The one place the layout is spelled out.
 */
char *proofs_url(const char *url, const char *suffix);

/* Whether url (decoded) is an s3:// URL whose key begins with .proofs/. */
bool proofs_is_proof(const char *url);

struct proofs;

struct proofs *proofs_new(void);
void proofs_free(struct proofs *p);

/*
 * Take one proof object: its URL (decoded) and its line as read. 0; -1
 * with *why when url is not a proof (not under s3://BUCKET/.proofs/, or
 * without a known suffix after a key); -2 out of memory.
 */
int proofs_add(struct proofs *p, const char *url, const char *line, const char **why);

/* After the last proofs_add(): makes the lookups below ready. */
void proofs_ready(struct proofs *p);

/* The state of the backup at url (decoded): an enum proof_state, or -1
 * when out of memory. */
int proofs_state(const struct proofs *p, const char *url);

/*
 * What the entry url (decoded) of a listing of backups is, for a reader
 * given proofs p (NULL: none), or told there are none (no_proofs): an enum
 * proof_state (PROOF_PROVEN without p); -2 for a proof, which is never a
 * backup and is left out; -1 with *why for one it cannot take (not an s3://
 * URL with p, a proof with no_proofs), or when out of memory (*why says so).
 */
int proofs_state_of(const struct proofs *p, bool no_proofs, const char *url, const char **why);

/*
 * The lines of the proofs of the backup at url, each after a newline,
 * appended to the string *buf of *len bytes (malloc'd, grown as needed).
 * 0, or -1 out of memory.
 */
int proofs_lines(const struct proofs *p, const char *url, char **buf, size_t *len);

#endif
