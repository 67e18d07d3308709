/* Proofs: where a backup's proofs are, what makes it proven, and which lines go with it. */
#include <stdlib.h>
#include <string.h>

#include "proofs.h"
#include "tap.h"

int
main(void)
{
	struct proofs *p = proofs_new();
	const char *why = NULL;
	char *u, *lines = NULL;
	size_t len = 0;

	u = proofs_url("s3://b/db/2026-01-26_03-00-00.sql.gz", ".counts");
	is_str(u, "s3://b/.proofs/db/2026-01-26_03-00-00.sql.gz.counts", "a backup's counts are under .proofs/");
	free(u);
	u = proofs_url("s3://b/db/", "");
	is_str(u, "s3://b/.proofs/db/", "a prefix's proofs are listed under .proofs/ and its key");
	free(u);
	ok(proofs_url("s3://b", ".counts") == NULL && proofs_url("/var/x.sql.gz", ".counts") == NULL &&
	    proofs_url("s3:///k", ".counts") == NULL, "no proof URL for a bucket alone, a path, no bucket");
	ok(proofs_is_proof("s3://b/.proofs/db/x.counts") && !proofs_is_proof("s3://b/db/.proofs/x") &&
	    !proofs_is_proof("s3://.proofs/x") && !proofs_is_proof("/.proofs/x"),
	    "a proof is a key that begins with .proofs/, in a bucket");

	is_int(proofs_add(p, "s3://b/db/x.sql.gz", "l", &why), -1, "a backup is not a proof");
	is_int(proofs_add(p, "s3://b/.proofs/db/x.sql.gz.txt", "l", &why), -1, "an unknown suffix is not a proof");
	is_int(proofs_add(p, "s3://b/.proofs/.counts", "l", &why), -1, "a suffix alone is not a proof");
	is_int(proofs_add(p, "s3://b/.proofs/db/a.sql.gz.counts", "A", &why), 0, "a .counts is");
	is_int(proofs_add(p, "s3://b/.proofs/db/b.sql.gz.counts", "B", &why), 0, "another");
	is_int(proofs_add(p, "s3://b/.proofs/db/b.sql.gz.damaged", "Bd", &why), 0, "a .damaged is");
	is_int(proofs_add(p, "s3://b/.proofs/db/c.sql.gz.damaged", "Cd", &why), 0, "a .damaged alone");
	is_int(proofs_add(p, "s3://b/.proofs/db/a.sql.gz.counts", "A again", &why), 0, "listed twice");
	proofs_ready(p);
	is_int(proofs_state(p, "s3://b/db/a.sql.gz"), PROOF_PROVEN, "counts and no .damaged: proven");
	is_int(proofs_state(p, "s3://b/db/b.sql.gz"), PROOF_DAMAGED, "counts and .damaged: damaged");
	is_int(proofs_state(p, "s3://b/db/c.sql.gz"), PROOF_DAMAGED, ".damaged alone: damaged");
	is_int(proofs_state(p, "s3://b/db/d.sql.gz"), PROOF_UNPROVEN, "no proof: unproven");
	is_int(proofs_state(p, "s3://other/db/a.sql.gz"), PROOF_UNPROVEN, "another bucket's proofs are not its");
	is_int(proofs_state(p, "s3://b/db/a.sql"), PROOF_UNPROVEN, "a prefix of a proven key is not proven");
	lines = strdup("b");
	len = 1;
	ok(proofs_lines(p, "s3://b/db/b.sql.gz", &lines, &len) == 0 && strcmp(lines, "b\nB\nBd") == 0 &&
	    len == strlen(lines), "the lines of a backup's proofs follow its own");
	free(lines);
	lines = strdup("a");
	len = 1;
	ok(proofs_lines(p, "s3://b/db/a.sql.gz", &lines, &len) == 0 && strcmp(lines, "a\nA") == 0,
	    "a proof listed twice is printed once");
	free(lines);
	is_int(proofs_state_of(p, false, "/var/x.sql.gz", &why), -1, "with proofs, a path is refused");
	is_int(proofs_state_of(p, false, "s3://b/.proofs/db/a.sql.gz.counts", &why), -2, "a proof is left out");
	is_int(proofs_state_of(NULL, true, "s3://b/.proofs/db/a.sql.gz.counts", &why), -1,
	    "with --no-proofs, a proof is refused");
	is_int(proofs_state_of(NULL, true, "/var/x.sql.gz", &why), PROOF_PROVEN, "with --no-proofs, all else is proven");
	proofs_free(p);
	return tap_done();
}
