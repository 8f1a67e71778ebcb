/*
 * session: the flows of http-00 §3.2 and §4.3 for one device.  Keys are
 * copied only into struct state and wiped with it; plaintexts are wiped
 * before they are freed.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "b64.h"
#include "payload.h"
#include "session.h"
#include "shareurl.h"
#include "uuid.h"

void
session_msg_clear(struct session_msg *m)
{
	if (m->pi != NULL) {
		OPENSSL_cleanse(m->pi, m->pi_len);
		free(m->pi);
	}
	memset(m, 0, sizeof(*m));
}

/* SHA-256 of the payload's data in hex: how content is recognised. */
static bool
digest_of(const struct payload_ref *p, char out[STATE_DIGEST_SIZE])
{
	static const char	 hex[] = "0123456789abcdef";
	unsigned char		 md[EVP_MAX_MD_SIZE];
	unsigned int		 n = 0;

	if (EVP_Digest(p->data, p->data_len, md, &n, EVP_sha256(), NULL) != 1
	    || n != 32)
		return false;
	for (unsigned i = 0; i < n; i++) {
		out[2 * i] = hex[md[i] >> 4];
		out[2 * i + 1] = hex[md[i] & 0xf];
	}
	out[2 * n] = '\0';
	return true;
}

enum client_err
session_check_pi(const char *pi, size_t len, const char *what,
    enum client_err cls, struct client_error *e)
{
	struct msg	m;
	enum tgerr	err;

	if ((err = msg_parse(MSG_PROVISIONING_INFO, pi, len, &m)) == TGERR_OK) {
		msg_free(&m);
		return CLIENT_OK;
	}
	if (err == TGERR_NOMEM)
		return client_fail(e, CLIENT_ERR_INTERNAL, "out of memory");
	if (err == TGERR_JSON_SYNTAX && m.line > 0)
		return client_fail(e, cls, "%s is not JSON: line %d, column "
		    "%d: %s", what, m.line, m.column, m.syntax);
	if (err == TGERR_JSON_SYNTAX)
		return client_fail(e, cls, "%s is JSON but not an object: "
		    "Provisioning Information is {\"format\": ..., "
		    "\"content\": {...}}", what);
	return client_fail(e, cls, "%s is not valid Provisioning "
	    "Information: %s%s%s", what, tgerr_strerror(err),
	    m.field[0] != '\0' ? " at " : "", m.field);
}

/* A share URL that does not parse: what was expected, and the fault. */
static enum client_err
bad_share_url(enum tgerr err, struct client_error *e)
{
	static const char form[] = "https://HOST[:PORT]/v1/m/MAILBOX-ID"
	    "[?v=a|h|c]#SECRET";

	if (err == TGERR_URL_SYNTAX)
		return client_fail(e, CLIENT_ERR_INPUT, "not a share URL "
		    "(expected %s)", form);
	return client_fail(e, CLIENT_ERR_INPUT, "not a share URL: %s "
	    "(expected %s)", tgerr_strerror(err), form);
}

enum client_err
session_api_url(const char *url, char *out, size_t size,
    struct client_error *e)
{
	struct shareurl	u;
	enum tgerr	err;

	err = shareurl_parse(url, strlen(url), &u);
	if (err == TGERR_OK)
		err = shareurl_api_url(&u, out, size);
	shareurl_wipe(&u);
	return err == TGERR_OK ? CLIENT_OK : bad_share_url(err, e);
}

/*
 * Seal pi under the state's Secret.  On success *obj is the payload
 * object (json_decref), *ref points into it, digest is its digest.
 */
static enum client_err
seal(const struct state *st, const char *pi, size_t len, json_t **obj,
    struct payload_ref *ref, char digest[STATE_DIGEST_SIZE],
    struct client_error *e)
{
	enum payload_aead	 aead;
	const char		*field;
	enum tgerr		 err;

	*obj = NULL;
	if (!payload_aead_for_keylen(st->secret_len, &aead))
		return client_fail(e, CLIENT_ERR_INTERNAL, "no Secret");
	err = payload_seal(aead, st->secret, st->secret_len,
	    (const uint8_t *)pi, len, NULL, obj);
	if (err == TGERR_TOO_LARGE)
		return client_fail(e, CLIENT_ERR_INPUT, "the Provisioning "
		    "Information is over %d bytes", TG_PLAINTEXT_MAX);
	if (err != TGERR_OK || payload_check(*obj, ref, &field) != TGERR_OK ||
	    !digest_of(ref, digest)) {
		json_decref(*obj);
		*obj = NULL;
		return client_fail(e, CLIENT_ERR_INTERNAL, "sealing failed: %s",
		    tgerr_strerror(err));
	}
	return CLIENT_OK;
}

/* The CLI option behind a field of the create request. */
static const char *
option_of(const char *field)
{
	if (strncmp(field, "displayInformation.title", 24) == 0)
		return "--title";
	if (strncmp(field, "displayInformation.description", 30) == 0)
		return "--description";
	if (strncmp(field, "displayInformation.imageURL", 27) == 0)
		return "--image";
	if (strncmp(field, "notificationToken", 17) == 0)
		return "--notify-type/--notify-token";
	if (strncmp(field, "mailboxConfiguration", 20) == 0)
		return "--expires/--access";
	return "the request";
}

/* Build the create_request and check it as a relay would. */
static enum client_err
create_body(const struct session_share_opts *o, const struct payload_ref *p,
    char **body, struct client_error *e)
{
	struct msg_config	 cfg = { false, false, 0, 0 };
	struct msg		 m;
	enum tgerr		 err;

	if (o->rights != 0 || o->lifetime > 0) {
		cfg.present = true;
		cfg.rights_present = true;
		cfg.rights = o->rights != 0 ? o->rights : MSG_RIGHTS_DEFAULT;
		cfg.expiration = o->now + (o->lifetime > 0 ? o->lifetime :
		    SESSION_DEFAULT_LIFETIME);
	}
	*body = msg_build_create_request(p, &o->display, o->notify, &cfg);
	if (*body == NULL)
		return client_fail(e, CLIENT_ERR_INTERNAL, "out of memory");
	if ((err = msg_parse(MSG_CREATE_REQUEST, *body, strlen(*body), &m)) ==
	    TGERR_OK) {
		msg_free(&m);
		return CLIENT_OK;
	}
	free(*body);
	*body = NULL;
	return client_fail(e, CLIENT_ERR_USAGE, "invalid %s: %s",
	    option_of(m.field), tgerr_strerror(err));
}

/* The fields of a share the relay gave no part in. */
static enum client_err
new_share_state(const struct session_share_opts *o, struct state *st,
    struct client_error *e)
{
	memset(st, 0, sizeof(*st));
	st->role = STATE_INITIATOR;
	st->vertical = o->vertical;
	st->secret_len = o->key_len;
	if (o->key_len != 16 && o->key_len != 32)
		return client_fail(e, CLIENT_ERR_USAGE, "the key must be 128 "
		    "or 256 bits");
	if (RAND_bytes(st->secret, (int)st->secret_len) != 1 ||
	    uuid_new_v4(st->claim) != TGERR_OK)
		return client_fail(e, CLIENT_ERR_INTERNAL,
		    "the random number generator failed");
	if (o->rights != 0 || o->lifetime > 0)
		st->expiration = o->now + (o->lifetime > 0 ? o->lifetime :
		    SESSION_DEFAULT_LIFETIME);
	return CLIENT_OK;
}

/* The urlLink of a create answer as the state's mailbox URL. */
static enum client_err
take_url_link(const struct msg *m, struct state *st, struct client_error *e)
{
	struct shareurl	u;
	enum tgerr	err;

	err = shareurl_parse(m->url_link, strlen(m->url_link), &u);
	if (err == TGERR_OK)
		err = shareurl_api_url(&u, st->mailbox_url,
		    sizeof(st->mailbox_url));
	shareurl_wipe(&u);
	if (err != TGERR_OK)
		return client_fail(e, CLIENT_ERR_REFUSED, "the relay sent an "
		    "unusable urlLink: %s", tgerr_strerror(err));
	return CLIENT_OK;
}

/*
 * A share made without a lifetime gets the relay's default one (errata
 * E-EXPIRATION), which the create answer does not tell.  Where the relay
 * advertises it (/.well-known/tigress "defaultLifetime", spec/extensions.md
 * X-WELL-KNOWN) the state records the expiration.  It is asked before the
 * create, so that once the mailbox exists only the state save remains
 * (a slow or killed run leaves no mailbox without a state).  Not learning
 * it is no failure: the expiration stays unknown (0 here).
 */
static int64_t
relay_default_lifetime(struct client_ctx *ctx,
    const struct session_share_opts *o)
{
	struct client_relay_info info;

	if (client_well_known(ctx, o->relay, &info, NULL) == CLIENT_OK &&
	    info.default_lifetime > 0)
		return info.default_lifetime;
	return 0;
}

enum client_err
session_share(struct client_ctx *ctx, const struct session_share_opts *o,
    struct state *st, struct client_error *e)
{
	struct payload_ref	 ref;
	struct msg		 answer;
	json_t			*obj = NULL;
	char			*body = NULL;
	char			 digest[STATE_DIGEST_SIZE];
	int64_t			 t0_ms = ctx->now_ms(ctx->arg), dflt = 0;
	int64_t			 took_ms;
	enum client_err		 err;

	memset(&answer, 0, sizeof(answer));
	if ((err = session_check_pi(o->pi, o->pi_len, "the input",
	    CLIENT_ERR_INPUT, e)) ||
	    (err = new_share_state(o, st, e)) ||
	    (err = seal(st, o->pi, o->pi_len, &obj, &ref, digest, e)) ||
	    (err = create_body(o, &ref, &body, e)))
		goto fail;
	if (st->expiration == 0)
		dflt = relay_default_lifetime(ctx, o);
	if ((err = client_create(ctx, o->relay, st->claim, body, &answer, e)) ||
	    (err = take_url_link(&answer, st, e)))
		goto fail;
	/* Counted from the last moment the relay can have made the mailbox,
	 * so that `status --prune` never drops a share the relay holds. */
	took_ms = ctx->now_ms(ctx->arg) - t0_ms;
	if (dflt > 0)
		st->expiration = o->now + (took_ms + 999) / 1000 + dflt;
	state_remember(st, digest);
	msg_free(&answer);
	json_decref(obj);
	free(body);
	return CLIENT_OK;
fail:
	msg_free(&answer);
	json_decref(obj);
	free(body);
	state_wipe(st);
	return err;
}

enum client_err
session_share_url(const struct state *st, bool with_secret, char *out,
    size_t size, size_t *len, struct client_error *e)
{
	struct shareurl	u;
	enum tgerr	err;

	err = shareurl_parse(st->mailbox_url, strlen(st->mailbox_url), &u);
	if (err == TGERR_OK) {
		u.vertical = st->vertical;
		if (with_secret) {
			memcpy(u.secret, st->secret, st->secret_len);
			u.secret_len = st->secret_len;
		}
		err = shareurl_build(&u, out, size, len);
	}
	shareurl_wipe(&u);
	if (err != TGERR_OK)
		return client_fail(e, CLIENT_ERR_INTERNAL, "cannot build the "
		    "share URL: %s", tgerr_strerror(err));
	return CLIENT_OK;
}

void
session_secret_text(const struct state *st, char *out, size_t size)
{
	char buf[B64_ENCODED_LEN(TG_KEY_MAX) + 1];

	out[0] = '\0';
	if (st->secret_len > TG_KEY_MAX || size < sizeof(buf))
		return;
	b64_encode(st->secret, st->secret_len, buf);
	memcpy(out, buf, sizeof(buf));
	OPENSSL_cleanse(buf, sizeof(buf));
}

/* Parse url, or url + "#" + secret_text when the URL has no fragment. */
static enum tgerr
parse_with_secret(const char *url, const char *secret_text,
    struct shareurl *u)
{
	char		 joined[TG_URL_MAX + 2];
	size_t		 n = strlen(url), s;
	enum tgerr	 err;

	if (secret_text == NULL || strchr(url, '#') != NULL)
		return shareurl_parse(url, n, u);
	s = strlen(secret_text);
	if (n + 1 + s >= sizeof(joined))
		return TGERR_TOO_LARGE;
	memcpy(joined, url, n);
	joined[n] = '#';
	memcpy(joined + n + 1, secret_text, s + 1);
	err = shareurl_parse(joined, n + 1 + s, u);
	OPENSSL_cleanse(joined, sizeof(joined));
	return err;
}

enum client_err
session_prepare_accept(const char *url, const char *secret_text,
    struct state *st, struct client_error *e)
{
	struct shareurl	u;
	enum tgerr	err;

	memset(st, 0, sizeof(*st));
	if ((err = parse_with_secret(url, secret_text, &u)) != TGERR_OK)
		return bad_share_url(err, e);
	if (u.secret_len == 0) {
		shareurl_wipe(&u);
		return client_fail(e, CLIENT_ERR_INPUT, "the share URL has no "
		    "Secret (the part after #): give the whole link, or the "
		    "Secret with --secret-file");
	}
	st->role = STATE_RECIPIENT;
	st->vertical = u.vertical;
	memcpy(st->secret, u.secret, u.secret_len);
	st->secret_len = u.secret_len;
	err = shareurl_api_url(&u, st->mailbox_url, sizeof(st->mailbox_url));
	shareurl_wipe(&u);
	if (err != TGERR_OK || uuid_new_v4(st->claim) != TGERR_OK) {
		state_wipe(st);
		return client_fail(e, CLIENT_ERR_INTERNAL, "cannot prepare "
		    "the request: %s", tgerr_strerror(err));
	}
	return CLIENT_OK;
}

/* Decrypt and check the payload of a read answer into *out. */
static enum client_err
open_content(const struct state *st, const struct msg *m,
    struct session_msg *out, struct client_error *e)
{
	const json_t	*obj = json_object_get(m->root, "payload");
	struct msg	 pi;
	uint8_t		*pt = NULL;
	size_t		 n = 0;
	const char	*field;
	enum tgerr	 err;

	err = payload_open(obj, st->secret, st->secret_len, &pt, &n, &field);
	if (err == TGERR_NOMEM)
		return client_fail(e, CLIENT_ERR_INTERNAL, "out of memory");
	if (err != TGERR_OK)
		return client_fail(e, CLIENT_ERR_CRYPTO, "the Secret does not "
		    "open this payload (wrong link or tampered data)");
	out->pi = (char *)pt;
	out->pi_len = n;
	out->expiration = m->expiration;
	if (memchr(pt, '\0', n) != NULL)
		return client_fail(e, CLIENT_ERR_CRYPTO, "the shared payload "
		    "is not valid Provisioning Information: NUL byte");
	if ((err = msg_parse(MSG_PROVISIONING_INFO, out->pi, n, &pi)) ==
	    TGERR_OK) {
		snprintf(out->format, sizeof(out->format), "%s", pi.format);
		msg_free(&pi);
		return CLIENT_OK;
	}
	return session_check_pi(out->pi, n, "the shared payload",
	    CLIENT_ERR_CRYPTO, e);
}

/*
 * Take a 200 read answer: open it, and remember it.  It is fresh only
 * when this device neither saw nor sent it before (errata E-RECEIVE-NEW):
 * a relay serving an earlier message again gets nothing new taken.
 */
static enum client_err
take_read(struct state *st, struct client_read *r, struct session_msg *out,
    struct client_error *e)
{
	char		digest[STATE_DIGEST_SIZE];
	enum client_err	err;

	if (!digest_of(&r->msg.payload, digest))
		return client_fail(e, CLIENT_ERR_INTERNAL, "digest failed");
	if ((err = open_content(st, &r->msg, out, e)) != CLIENT_OK) {
		session_msg_clear(out);
		return err;
	}
	out->fresh = !state_seen(st, digest);
	state_remember(st, digest);
	memcpy(st->etag, r->etag, sizeof(st->etag));
	st->expiration = r->msg.expiration;
	return CLIENT_OK;
}

/* A 401 to a device that was bound: say so in plain words. */
static enum client_err
not_bound(enum client_err err, struct client_error *e)
{
	if (err == CLIENT_ERR_REFUSED && e != NULL && e->status == 401)
		client_fail(e, err, "this device is no longer part of the "
		    "share, or its access rights do not allow this (the relay "
		    "answered 401)");
	return err;
}

/* A read with the state's claim; binding tells how to read a 401. */
static enum client_err
read_once(struct client_ctx *ctx, struct state *st,
    const struct msg_notify *notify, bool binding, struct session_msg *out,
    struct client_error *e)
{
	struct client_read	 r;
	char			*body = NULL;
	enum client_err		 err;

	memset(out, 0, sizeof(*out));
	if (notify != NULL && notify->present &&
	    (body = msg_build_read_request(notify)) == NULL)
		return client_fail(e, CLIENT_ERR_INTERNAL, "out of memory");
	err = client_read(ctx, st->mailbox_url, st->claim, body, NULL, 0,
	    binding, &r, e);
	free(body);
	if (err != CLIENT_OK)
		return not_bound(err, e);
	err = take_read(st, &r, out, e);
	msg_free(&r.msg);
	return err;
}

enum client_err
session_accept(struct client_ctx *ctx, struct state *st,
    const struct msg_notify *notify, struct session_msg *out,
    struct client_error *e)
{
	return read_once(ctx, st, notify, st->role == STATE_RECIPIENT, out, e);
}

enum client_err
session_read(struct client_ctx *ctx, struct state *st,
    const struct msg_notify *notify, struct session_msg *out,
    struct client_error *e)
{
	return read_once(ctx, st, notify, false, out, e);
}

/* How long to hold the next read, in seconds; 0: an immediate read. */
static long
hold_for(const struct client_relay_info *info, const struct state *st,
    int64_t left_ms)
{
	long s = (long)(left_ms / 1000);

	if (!info->long_poll || st->etag[0] == '\0' || s <= 0)
		return 0;
	return s < info->max_wait ? s : info->max_wait;
}

/* One read of the wait loop; *got is set when new content arrived. */
static enum client_err
wait_step(struct client_ctx *ctx, struct state *st, long hold,
    struct session_msg *out, bool *got, struct client_error *e)
{
	struct client_read	r;
	enum client_err		err;

	*got = false;
	err = client_read(ctx, st->mailbox_url, st->claim, NULL, st->etag,
	    hold, false, &r, e);
	if (err != CLIENT_OK || r.status == 304)
		return not_bound(err, e);
	err = take_read(st, &r, out, e);
	msg_free(&r.msg);
	if (err == CLIENT_OK && !(*got = out->fresh))
		session_msg_clear(out);
	return err;
}

enum client_err
session_wait(struct client_ctx *ctx, struct state *st, long timeout,
    struct session_msg *out, struct client_error *e)
{
	struct client_relay_info info;
	char		 origin[CLIENT_ORIGIN_MAX], before[STATE_ETAG_MAX];
	int64_t		 deadline = ctx->now_ms(ctx->arg) + timeout * 1000;
	int64_t		 start, left;
	long		 delay = 1000, hold;
	bool		 got;
	enum client_err	 err;

	memset(out, 0, sizeof(*out));
	client_origin(st->mailbox_url, origin);
	if ((err = client_well_known(ctx, origin, &info, e)) != CLIENT_OK)
		return err;
	for (int tries = 0;; tries++) {
		left = deadline - ctx->now_ms(ctx->arg);
		if (left <= 0 && tries > 0)
			return client_fail(e, CLIENT_ERR_TIMEOUT, "nothing new "
			    "arrived within %ld seconds", timeout);
		hold = hold_for(&info, st, left);
		memcpy(before, st->etag, sizeof(before));
		start = ctx->now_ms(ctx->arg);
		if ((err = wait_step(ctx, st, hold, out, &got, e)) || got)
			return err;
		/* A held read that came back, or a new ETag: ask again. */
		if ((hold > 0 && ctx->now_ms(ctx->arg) - start >= 1000) ||
		    (info.long_poll && st->etag[0] != '\0' &&
		    strcmp(before, st->etag) != 0))
			continue;
		left = deadline - ctx->now_ms(ctx->arg);
		ctx->sleep_ms(ctx->arg, left < delay ? (left > 0 ? left : 0) :
		    delay);
		delay = delay * 2 < SESSION_BACKOFF_MAX_MS ? delay * 2 :
		    SESSION_BACKOFF_MAX_MS;
	}
}

enum client_err
session_seal(struct state *st, const char *pi, size_t pi_len,
    const struct msg_notify *notify, char **body, struct client_error *e)
{
	struct payload_ref	 ref;
	char			 digest[STATE_DIGEST_SIZE];
	json_t			*obj = NULL;
	enum client_err		 err;

	*body = NULL;
	if ((err = session_check_pi(pi, pi_len, "the input",
	    CLIENT_ERR_INPUT, e)) ||
	    (err = seal(st, pi, pi_len, &obj, &ref, digest, e)))
		return err;
	if ((*body = msg_build_update_request(&ref, notify)) == NULL)
		err = client_fail(e, CLIENT_ERR_INTERNAL, "out of memory");
	else
		state_remember(st, digest);
	json_decref(obj);
	return err;
}

enum client_err
session_send_sealed(struct client_ctx *ctx, const struct state *st,
    const char *body, struct client_error *e)
{
	return not_bound(client_update(ctx, st->mailbox_url, st->claim, body,
	    e), e);
}

enum client_err
session_send(struct client_ctx *ctx, struct state *st, const char *pi,
    size_t pi_len, const struct msg_notify *notify, struct client_error *e)
{
	char		*body = NULL;
	enum client_err	 err;

	if ((err = session_seal(st, pi, pi_len, notify, &body, e)) ==
	    CLIENT_OK)
		err = session_send_sealed(ctx, st, body, e);
	free(body);
	return err;
}

enum client_err
session_cancel(struct client_ctx *ctx, const struct state *st,
    struct client_error *e)
{
	return not_bound(client_delete(ctx, st->mailbox_url, st->claim, e),
	    e);
}

enum client_err
session_relinquish(struct client_ctx *ctx, const struct state *st,
    struct client_error *e)
{
	if (st->role != STATE_RECIPIENT)
		return client_fail(e, CLIENT_ERR_USAGE, "only the recipient "
		    "can relinquish a share (use cancel to delete it)");
	return not_bound(client_relinquish(ctx, st->mailbox_url, st->claim,
	    e), e);
}
