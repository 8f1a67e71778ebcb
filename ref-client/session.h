/*
 * session: one device's side of a share, above the relay API (client.h):
 * seal and create (initiator), bind and open (recipient), send, read,
 * wait for the other party, cancel, relinquish.  A struct state (state.h)
 * carries everything between commands; these functions update it in
 * memory and the caller saves it.  Payloads are sealed and opened with
 * lib/payload under the share's Secret; every Provisioning Information
 * document is checked with lib/msg before it is sent or handed out.
 *
 * "New" content is told apart from what this device already knows by the
 * SHA-256 of the payload's data (a fresh IV makes every sealing unique):
 * content is new only when it differs from every payload the device saw
 * or sent in the mailbox (errata E-RECEIVE-NEW), so that neither its own
 * messages nor the other party's earlier ones, served again by the relay,
 * are taken for the other party's next message.
 * Nothing here prints; errors come back in struct client_error.
 */
#ifndef TIGRESS_CLIENT_SESSION_H
#define TIGRESS_CLIENT_SESSION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "client.h"
#include "msg.h"
#include "state.h"

#define SESSION_DEFAULT_LIFETIME	86400	/* with --access, no --expires */
#define SESSION_BACKOFF_MAX_MS		30000	/* polling without long-poll */

/* Opened content: the Provisioning Information of the mailbox. */
struct session_msg {
	char	*pi;		/* NUL-terminated JSON; session_msg_clear() */
	size_t	 pi_len;
	int64_t	 expiration;	/* from the read answer */
	bool	 fresh;		/* differs from what this device knew */
	char	 format[TG_FORMAT_MAX + 1];	/* its "format" member */
};

struct session_share_opts {
	const char		*relay;		/* https://host[:port] */
	const char		*pi;		/* the document to share */
	size_t			 pi_len;
	struct msg_display	 display;
	const struct msg_notify	*notify;	/* NULL: none */
	char			 vertical;	/* a, h, c */
	unsigned		 rights;	/* MSG_RIGHT_*; 0: default */
	int64_t			 lifetime;	/* seconds; 0: default */
	int64_t			 now;		/* epoch seconds */
	size_t			 key_len;	/* 16 or 32 */
};

/*
 * Check that pi[0..len) is Provisioning Information (http-00 §7).  what
 * names the document in the message; cls is the error class of a fault:
 * CLIENT_ERR_INPUT for the user's own file, CLIENT_ERR_CRYPTO for what
 * came out of a payload (only a wrong or tampered share gets there).
 */
enum client_err session_check_pi(const char *pi, size_t len,
    const char *what, enum client_err cls, struct client_error *e);

/*
 * The API URL (shareurl_api_url()) of a share URL into out.  Errors:
 * CLIENT_ERR_INPUT, with a message that says what a share URL looks like
 * and never holds the URL (it may carry a Secret).
 */
enum client_err session_api_url(const char *url, char *out, size_t size,
    struct client_error *e);

/*
 * Initiator: draw a Secret and a claim, seal opts->pi, create the mailbox.
 * On success *st describes the share (role initiator); without a lifetime
 * in opts, its expiration is the relay's default lifetime where
 * /.well-known/tigress advertises it (one more GET, before the create),
 * else unknown (0).
 * Errors: USAGE
 * (option values the body rules refuse), INPUT, INTERNAL, and those of
 * client_create().
 */
enum client_err session_share(struct client_ctx *ctx,
    const struct session_share_opts *opts, struct state *st,
    struct client_error *e);

/*
 * The share URL of st into out (with the Secret as fragment, or without
 * it for --secret-separately); *len gets its length.  The caller wipes
 * out.  Errors: CLIENT_ERR_INTERNAL.
 */
enum client_err session_share_url(const struct state *st, bool with_secret,
    char *out, size_t size, size_t *len, struct client_error *e);

/* The Secret of st as standard base64 into out (45 bytes). */
void session_secret_text(const struct state *st, char *out, size_t size);

/*
 * Recipient, before any request: fill *st from a share URL (and
 * secret_text, base64, when the URL has no fragment) with a fresh claim.
 * Errors: CLIENT_ERR_INPUT (bad URL or Secret; the message never holds
 * the Secret), CLIENT_ERR_INTERNAL.
 */
enum client_err session_prepare_accept(const char *url,
    const char *secret_text, struct state *st, struct client_error *e);

/*
 * Recipient: read (binding the claim), open and check.  On success *out
 * holds the content and st its ETag and digests.  Errors: CLAIMED (another
 * device holds it), GONE, CRYPTO, INPUT (not Provisioning Information),
 * and those of client_read().
 */
enum client_err session_accept(struct client_ctx *ctx, struct state *st,
    const struct msg_notify *notify, struct session_msg *out,
    struct client_error *e);

/* Either party: read the current content (as session_accept()). */
enum client_err session_read(struct client_ctx *ctx, struct state *st,
    const struct msg_notify *notify, struct session_msg *out,
    struct client_error *e);

/*
 * Either party: wait up to timeout seconds for content this device does
 * not know yet, by long-poll where /.well-known/tigress offers it, else
 * by polling with exponential backoff.  Errors: CLIENT_ERR_TIMEOUT, and
 * those of session_read().
 */
enum client_err session_wait(struct client_ctx *ctx, struct state *st,
    long timeout, struct session_msg *out, struct client_error *e);

/*
 * Either party: seal pi and update the mailbox (needs the W right).
 * Errors: INPUT, INTERNAL, and those of client_update().
 */
enum client_err session_send(struct client_ctx *ctx, struct state *st,
    const char *pi, size_t pi_len, const struct msg_notify *notify,
    struct client_error *e);

/*
 * session_send() in two steps, so that the caller can save st between
 * them: session_seal() seals pi into a new update body *body (caller
 * frees) and already remembers its digest in st's seen list, so that a
 * wait of this device running alongside, which may get the message from
 * the relay as soon as it is there, knows it as its own (a digest of a
 * message that then fails to go out matches nothing: every sealing draws
 * a fresh IV).  session_send_sealed() updates the mailbox with it.
 * Errors: those of session_send().
 */
enum client_err session_seal(struct state *st, const char *pi,
    size_t pi_len, const struct msg_notify *notify, char **body,
    struct client_error *e);
enum client_err session_send_sealed(struct client_ctx *ctx,
    const struct state *st, const char *body, struct client_error *e);

/* Either party: delete the mailbox (http-00 §6.3). */
enum client_err session_cancel(struct client_ctx *ctx,
    const struct state *st, struct client_error *e);

/* Recipient: give the mailbox up for another recipient (§6.6). */
enum client_err session_relinquish(struct client_ctx *ctx,
    const struct state *st, struct client_error *e);

/* Wipe and free the content. */
void session_msg_clear(struct session_msg *m);

#endif
