/*
 * state: the file that lets a later `tigress` command continue a share:
 * which mailbox (its API URL), the Secret, this device's claim and role,
 * the last ETag, and the digests of the payloads this device saw or sent
 * in the mailbox (errata E-RECEIVE-NEW: how it tells a new message from a
 * replayed one).  It
 * is JSON, written atomically (temporary file, fsync, rename) with mode
 * 0600 in a 0700 directory, and refused when others may read it.  The
 * Secret is key material: wipe a struct state with state_wipe().
 */
#ifndef TIGRESS_CLIENT_STATE_H
#define TIGRESS_CLIENT_STATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tglimits.h"
#include "uuid.h"

#define STATE_FILE_MAX		16384	/* bytes of a state file */
#define STATE_PATH_MAX		1024
#define STATE_ETAG_MAX		64
#define STATE_DIGEST_SIZE	65	/* SHA-256 in hex and the NUL */
#define STATE_SEEN_MAX		64	/* digests kept; the oldest go first */
#define STATE_VERSION		1

enum state_err {
	STATE_OK = 0,
	STATE_ERR_NOMEM,
	STATE_ERR_IO,		/* cannot read, write or rename */
	STATE_ERR_EXISTS,	/* creating, but the file is there */
	STATE_ERR_MISSING,	/* no such file */
	STATE_ERR_MODE,		/* group or others may read it */
	STATE_ERR_FORMAT,	/* not a state file of this version */
	STATE_ERR_TOO_LARGE,
	STATE_ERR_PATH,		/* path too long, or no directory known */
	STATE_ERR_COUNT
};

enum state_role {
	STATE_INITIATOR = 1,
	STATE_RECIPIENT,
};

struct state {
	enum state_role	 role;
	char		 mailbox_url[TG_URL_MAX + 1];	/* API URL */
	char		 vertical;			/* a, h, c */
	uint8_t		 secret[TG_KEY_MAX];
	size_t		 secret_len;			/* 16 or 32 */
	char		 claim[UUID_STR_SIZE];
	char		 etag[STATE_ETAG_MAX];		/* "" unknown */
	char		 seen[STATE_SEEN_MAX][STATE_DIGEST_SIZE]; /* oldest 1st */
	size_t		 nseen;
	int64_t		 expiration;			/* 0 unknown */
	char		 profile[8];			/* "" default */
	char		 ca_file[STATE_PATH_MAX];	/* "" none */
	bool		 insecure;
};

/* A short sentence for err (static). */
const char *state_strerror(enum state_err err);

/* "initiator" / "recipient" (static); "" when out of range. */
const char *state_role_name(enum state_role role);

/*
 * The directory of the default state files into out: env_dir when set
 * and non-empty, else HOME/.tigress.  Callers pass
 * getenv("TIGRESS_STATE_DIR") and getenv("HOME").  Errors: STATE_ERR_PATH.
 */
enum state_err state_dir(const char *env_dir, const char *home, char *out,
    size_t size);

/*
 * The default path of a mailbox's state file for role into out:
 * DIR/<id>.<role>.json, where DIR is env_dir when set and non-empty, else
 * HOME/.tigress; the role in the name lets both parties of a share run
 * on one machine.  Callers pass getenv("TIGRESS_STATE_DIR") and
 * getenv("HOME").  Errors: STATE_ERR_PATH.
 */
enum state_err state_default_path(const char *mailbox_id,
    enum state_role role, const char *env_dir, const char *home, char *out,
    size_t size);

/*
 * Write *st to path with mode 0600, atomically.  create_new: fail with
 * STATE_ERR_EXISTS rather than replace a file.  The directory is created
 * (0700) when missing.  Errors: STATE_ERR_EXISTS, _IO, _NOMEM, _PATH,
 * _FORMAT (no 16- or 32-byte Secret).
 */
enum state_err state_save(const struct state *st, const char *path,
    bool create_new);

/*
 * Make the directory of path when missing (one level, 0700, as
 * state_save() does) and check that a new file can be created in it (a
 * temporary file beside path, removed at once).  For share: before it
 * creates a mailbox, which would be left on the relay if its state file
 * could not be written.  Errors: STATE_ERR_IO (errno says why),
 * STATE_ERR_PATH.
 */
enum state_err state_dir_ready(const char *path);

/*
 * Read path into *st (fully overwritten).  Errors: STATE_ERR_MISSING,
 * _MODE (readable by group or others), _TOO_LARGE, _FORMAT, _IO, _NOMEM.
 */
enum state_err state_load(const char *path, struct state *st);

/*
 * Remove the file (the share is over), overwriting its bytes with zeros
 * first, so that the Secret does not linger in the file system's free
 * blocks (as far as an in-place overwrite reaches: not on copy-on-write
 * file systems or flash translation layers).  A missing file is not an
 * error.  Errors: STATE_ERR_IO.
 */
enum state_err state_remove(const char *path);

/*
 * What state_list() found in one file: its path and the state it holds,
 * or why it cannot be used (err != STATE_OK; st is then NULL).
 */
typedef void state_visit_fn(void *arg, const char *path,
    const struct state *st, enum state_err err);

/*
 * Call visit for every file named *.json in dir, in name order; returns
 * the number of files in *count.  Errors: STATE_ERR_MISSING (no such
 * directory), STATE_ERR_IO, STATE_ERR_NOMEM, STATE_ERR_PATH.
 */
enum state_err state_list(const char *dir, state_visit_fn *visit,
    void *arg, size_t *count);

/*
 * Whether digest (the SHA-256 of a payload's data, lower-case hex) is one
 * of the payloads this device saw or sent in the mailbox.
 */
bool state_seen(const struct state *st, const char *digest);

/*
 * Add digest to what this device saw or sent; one it knows already is not
 * added again.  When STATE_SEEN_MAX are kept the oldest is forgotten.  A
 * string that is no digest is ignored.
 */
void state_remember(struct state *st, const char *digest);

/*
 * Merge into st what from (the same share's state as another run of this
 * device saved it) saw or sent: every digest of from's seen list that st
 * lacks is remembered (state_remember()).  Nothing when from is another
 * share (mailbox URL, role or claim differ).
 */
void state_merge_seen(struct state *st, const struct state *from);

/* Wipe everything in *st, the Secret first. */
void state_wipe(struct state *st);

#endif
