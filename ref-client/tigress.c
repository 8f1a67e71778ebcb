/*
 * tigress: the command-line client.  main parses the arguments (cli.c),
 * loads or creates the share's state (state.c), runs one subcommand
 * through session.c over the libcurl transport (http.c), and is the only
 * code that prints or exits.  A failure is one line on stderr,
 * "tigress: ...", never holding the Secret, and one exit code (cli.h).
 */
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include <openssl/crypto.h>

#include "cli.h"
#include "fileio.h"
#include "rfc3339.h"
#include "session.h"
#include "shareurl.h"

#define SMS_MAX		160	/* characters of one SMS (URL-SMS) */
#define SECRET_TEXT_MAX	128	/* bytes of a --secret-file */
#define URL_TEXT_MAX	(TG_URL_MAX + 128)	/* bytes of a --url-file */

/* Everything one run needs; lives on main's stack. */
struct app {
	struct cli_args		 a;
	struct http_transport	 t;
	bool			 t_open;
	struct client_ctx	 ctx;
	struct state		 st;
	char			 path[STATE_PATH_MAX];
	struct msg_notify	 notify;
	struct client_error	 e;
	char			 url[URL_TEXT_MAX + 1];	/* from --url-file */
	bool			 emitted;	/* --json: the one object out */
};

static void
log_line(void *arg, const char *line)
{
	(void)arg;
	fprintf(stderr, "tigress: %s\n", line);
}

static void
free_secret(char *p, size_t n)
{
	if (p != NULL)
		OPENSSL_cleanse(p, n);
	free(p);
}

/*
 * The length in bytes of the character at p that must not reach a
 * terminal raw (errata E-DISPLAY-UNTRUSTED), or 0: a C0 control or DEL,
 * a C1 control (U+0080-U+009F, U+009B being a one-character CSI), or a
 * bidirectional formatting character (U+202A-U+202E, U+2066-U+2069),
 * which reorders what follows it.  p is UTF-8, NUL-terminated.
 */
static size_t
terminal_unsafe(const unsigned char *p)
{
	if (p[0] < 0x20 || p[0] == 0x7f)
		return 1;
	if (p[0] == 0xc2 && p[1] >= 0x80 && p[1] <= 0x9f)
		return 2;
	if (p[0] == 0xe2 && ((p[1] == 0x80 && p[2] >= 0xaa && p[2] <= 0xae) ||
	    (p[1] == 0x81 && p[2] >= 0xa6 && p[2] <= 0xa9)))
		return 3;
	return 0;
}

/* Printable text for a terminal: what terminal_unsafe() finds becomes '?'. */
static void
terminal_safe(const char *s, char *out, size_t size)
{
	const unsigned char	*p = (const unsigned char *)s;
	size_t			 n = 0, bad;

	for (; p != NULL && *p != '\0' && n + 1 < size; p += bad ? bad : 1) {
		bad = terminal_unsafe(p);
		out[n++] = bad ? '?' : (char)*p;
	}
	out[n] = '\0';
}

/* Overwrite every string in v (recursively), then release it. */
static void
json_wipe_decref(json_t *v)
{
	const char	*key;
	json_t		*sub;
	size_t		 i;

	if (json_is_string(v))
		OPENSSL_cleanse((char *)json_string_value(v),
		    json_string_length(v));
	else if (json_is_object(v))
		json_object_foreach(v, key, sub)
			json_wipe_decref(json_incref(sub));
	else if (json_is_array(v))
		json_array_foreach(v, i, sub)
			json_wipe_decref(json_incref(sub));
	json_decref(v);
}

static enum client_err
emit_json(struct app *app, json_t *o)
{
	int rc = o == NULL ? -1 : json_dumpf(o, stdout, JSON_COMPACT |
	    JSON_SORT_KEYS);

	json_wipe_decref(o);
	app->emitted = true;
	if (rc != 0 || fputc('\n', stdout) == EOF || fflush(stdout) != 0)
		return client_fail(&app->e, CLIENT_ERR_INTERNAL,
		    "cannot write the output");
	return CLIENT_OK;
}

/*
 * A transport and context for the relay of st: the options given now
 * (--ca, --insecure, --profile) over those kept in the state.  The caller
 * closes *t with http_curl_close() on success.
 */
static enum client_err
connect_for(struct app *app, const struct state *st,
    struct http_transport *t, struct client_ctx *ctx, struct client_error *e)
{
	struct http_tls	 tls = { NULL, false, 10 };
	char		 why[HTTP_WHY_SIZE];

	tls.ca_file = app->a.ca != NULL ? app->a.ca :
	    st->ca_file[0] != '\0' ? st->ca_file : NULL;
	tls.insecure = app->a.insecure || (app->a.ca == NULL && st->insecure);
	if (tls.ca_file != NULL && http_ca_check(tls.ca_file, why) != HTTP_OK)
		return client_fail(e, CLIENT_ERR_INPUT, "%s %s: %s",
		    app->a.ca != NULL ? "--ca" : "the CA file of the state "
		    "file,", tls.ca_file, why);
	if (http_curl_open(&tls, t) != HTTP_OK)
		return client_fail(e, CLIENT_ERR_INTERNAL,
		    "cannot start libcurl");
	client_ctx_init(ctx, t);
	ctx->profile = app->a.profile_set ? app->a.profile :
	    strcmp(st->profile, "sct-04") == 0 ? CLIENT_PROFILE_SCT04 :
	    CLIENT_PROFILE_HTTP00;
	ctx->retries = app->a.retries;
	ctx->timeout = app->a.request_timeout;
	ctx->attestation = app->a.attestation;
	if (app->a.verbose)
		ctx->log = log_line;
	return CLIENT_OK;
}

static enum client_err
open_transport(struct app *app)
{
	enum client_err err = connect_for(app, &app->st, &app->t, &app->ctx,
	    &app->e);

	app->t_open = err == CLIENT_OK;
	return err;
}

/* Add text to the end of the error line. */
static void
error_append(struct app *app, const char *text)
{
	size_t n = strlen(app->e.msg);

	snprintf(app->e.msg + n, sizeof(app->e.msg) - n, "%s", text);
}

/* Keep the connection options in the state for later commands. */
static void
remember_conn(struct app *app)
{
	char real[PATH_MAX];

	app->st.insecure = app->a.insecure;
	snprintf(app->st.profile, sizeof(app->st.profile), "%s",
	    app->ctx.profile == CLIENT_PROFILE_SCT04 ? "sct-04" : "http-00");
	if (app->a.ca != NULL && realpath(app->a.ca, real) != NULL &&
	    strlen(real) < sizeof(app->st.ca_file))
		memcpy(app->st.ca_file, real, strlen(real) + 1);
}

/*
 * app->path: --state, or the default file of the mailbox of api_url for
 * role.  Role 0 (a later command) takes whichever party's file exists,
 * and asks for --state when both parties of the share are on this machine.
 */
static enum client_err
state_path(struct app *app, const char *api_url, enum state_role role)
{
	const char	*id = strrchr(api_url, '/');
	char		 other[sizeof(app->path)];
	enum state_err	 err;

	if (app->a.state != NULL) {
		if (strlen(app->a.state) >= sizeof(app->path))
			return client_fail(&app->e, CLIENT_ERR_USAGE,
			    "--state: path too long");
		memcpy(app->path, app->a.state, strlen(app->a.state) + 1);
		return CLIENT_OK;
	}
	id = id != NULL ? id + 1 : "";
	err = state_default_path(id, role != 0 ? role : STATE_RECIPIENT,
	    getenv("TIGRESS_STATE_DIR"), getenv("HOME"), app->path,
	    sizeof(app->path));
	if (err == STATE_OK && role == 0)
		err = state_default_path(id, STATE_INITIATOR,
		    getenv("TIGRESS_STATE_DIR"), getenv("HOME"), other,
		    sizeof(other));
	if (err != STATE_OK)
		return client_fail(&app->e, CLIENT_ERR_USAGE, "no state "
		    "directory: set TIGRESS_STATE_DIR or HOME, or use --state");
	if (role != 0 || access(other, F_OK) != 0)
		return CLIENT_OK;
	if (access(app->path, F_OK) == 0)
		return client_fail(&app->e, CLIENT_ERR_USAGE, "both parties of "
		    "this share keep state here: choose one with --state");
	memcpy(app->path, other, sizeof(other));
	return CLIENT_OK;
}

/*
 * Merge the seen list saved at app->path since app->st was loaded (by a
 * send or a wait of this device running alongside) into app->st; true
 * when digest was in it.  A missing or unusable file merges nothing.
 */
static bool
merge_saved_seen(struct app *app, const char *digest)
{
	struct state	disk;
	bool		seen = false;

	if (state_load(app->path, &disk) != STATE_OK)
		return false;
	if (digest != NULL)
		seen = state_seen(&disk, digest);
	state_merge_seen(&app->st, &disk);
	state_wipe(&disk);
	return seen;
}

/*
 * Save app->st: a new file (create_new), or over the kept one, merging
 * the seen list another run of this device saved meanwhile rather than
 * losing it.
 */
static enum client_err
save_state(struct app *app, bool create_new)
{
	enum state_err err;

	if (!create_new)
		(void)merge_saved_seen(app, NULL);
	err = state_save(&app->st, app->path, create_new);

	if (err == STATE_ERR_EXISTS)
		return client_fail(&app->e, CLIENT_ERR_INPUT, "a state file "
		    "already exists at %s (choose another with --state)",
		    app->path);
	if (err != STATE_OK)
		return client_fail(&app->e, CLIENT_ERR_INTERNAL, "cannot write "
		    "the state file %s: %s", app->path, state_strerror(err));
	return CLIENT_OK;
}

/* The API URL of the share URL argument into out. */
static enum client_err
api_url_of(struct app *app, char *out, size_t size)
{
	return session_api_url(app->a.url, out, size, &app->e);
}

/*
 * --url-file FILE (or "-"): read the share URL, one line, into app->url
 * and use it as the URL argument.  It stays out of argv, so out of `ps`.
 */
static enum client_err
read_url(struct app *app)
{
	const char	*from = app->a.url_file;
	char		*text = NULL;
	size_t		 size = 0, len, start = 0;
	enum fileio_err	 err;

	err = fileio_read(from, URL_TEXT_MAX, &text, &size);
	if (err != FILEIO_OK)
		return client_fail(&app->e, err == FILEIO_ERR_NOMEM ?
		    CLIENT_ERR_INTERNAL : CLIENT_ERR_INPUT, "cannot read the "
		    "share URL from %s: %s", strcmp(from, "-") == 0 ?
		    "standard input" : from, err == FILEIO_ERR_TOO_LARGE ?
		    "too long for a share URL" : strerror(errno));
	len = size;
	while (start < len && strchr(" \t\r\n", text[start]) != NULL)
		start++;
	while (len > start && strchr(" \t\r\n", text[len - 1]) != NULL)
		len--;
	if (len == start || memchr(text + start, '\n', len - start) != NULL) {
		free_secret(text, size);
		return client_fail(&app->e, CLIENT_ERR_INPUT, "%s should hold "
		    "the share URL, one line", strcmp(from, "-") == 0 ?
		    "standard input" : from);
	}
	memcpy(app->url, text + start, len - start);
	app->url[len - start] = '\0';
	free_secret(text, size);
	app->a.url = app->url;
	return CLIENT_OK;
}

/* The state of a running share, from --state or the URL's mailbox. */
static enum client_err
load_state(struct app *app)
{
	char		 api[TG_URL_MAX + 1] = "";
	enum client_err	 err;
	enum state_err	 serr;

	if (app->a.url != NULL &&
	    (err = api_url_of(app, api, sizeof(api))) != CLIENT_OK)
		return err;
	if ((err = state_path(app, api, 0)) != CLIENT_OK)
		return err;
	if ((serr = state_load(app->path, &app->st)) != STATE_OK)
		return client_fail(&app->e, CLIENT_ERR_INPUT, "cannot use the "
		    "state file %s: %s", app->path, state_strerror(serr));
	if (app->a.url != NULL && strcmp(api, app->st.mailbox_url) != 0)
		return client_fail(&app->e, CLIENT_ERR_INPUT, "the state file "
		    "%s is for another share", app->path);
	return CLIENT_OK;
}

static const struct msg_notify *
notify_of(struct app *app)
{
	app->notify.present = app->a.notify_type != NULL;
	app->notify.type = app->a.notify_type;
	app->notify.token = app->a.notify_token;
	return app->notify.present ? &app->notify : NULL;
}

/* Read the Provisioning Information file named path. */
static enum client_err
read_pi(struct app *app, const char *path, char **pi, size_t *len)
{
	enum fileio_err err = fileio_read(path, TG_PLAINTEXT_MAX, pi, len);

	if (err == FILEIO_ERR_TOO_LARGE)
		return client_fail(&app->e, CLIENT_ERR_INPUT, "%s is over %d "
		    "bytes", path, TG_PLAINTEXT_MAX);
	if (err != FILEIO_OK)
		return client_fail(&app->e, err == FILEIO_ERR_NOMEM ?
		    CLIENT_ERR_INTERNAL : CLIENT_ERR_INPUT, "cannot read %s: "
		    "%s", path, strerror(errno));
	return session_check_pi(*pi, *len, path, CLIENT_ERR_INPUT, &app->e);
}

/* The JSON answer of share. */
static enum client_err
share_json(struct app *app, const char *url, const char *secret)
{
	char	 when[RFC3339_STR_SIZE];
	json_t	*o;

	o = json_pack("{s:s, s:s, s:s, s:s%, s:s, s:s}", "shareUrl", url,
	    "secret", secret, "mailboxUrl", app->st.mailbox_url, "vertical",
	    &app->st.vertical, (size_t)1, "state", app->path, "role",
	    "initiator");
	if (o != NULL && app->st.expiration > 0 &&
	    rfc3339_format(app->st.expiration, when) == TGERR_OK)
		json_object_set_new(o, "expiration", json_string(when));
	return emit_json(app, o);
}

static enum client_err
print_share(struct app *app)
{
	char		url[TG_URL_MAX + 1], secret[64];
	size_t		len = 0;
	enum client_err	err;

	err = session_share_url(&app->st, !app->a.secret_separately, url,
	    sizeof(url), &len, &app->e);
	if (err != CLIENT_OK)
		return err;
	session_secret_text(&app->st, secret, sizeof(secret));
	if (len > SMS_MAX)
		fprintf(stderr, "tigress: warning: the share URL is %zu "
		    "characters, longer than one SMS (%d)\n", len, SMS_MAX);
	if (app->a.json)
		err = share_json(app, url, secret);
	else if (app->a.secret_separately)
		printf("%s\n%s\n", url, secret);
	else
		printf("%s\n", url);
	OPENSSL_cleanse(url, sizeof(url));
	OPENSSL_cleanse(secret, sizeof(secret));
	return err;
}

/*
 * Before share creates anything: the state file's directory exists (made
 * 0700) and takes a new file, so that no mailbox is left on the relay
 * for want of a place to keep its Secret.  The file's name comes from
 * the mailbox the relay makes, so the check writes a temporary file.
 */
static enum client_err
check_state_dir(struct app *app)
{
	char		 dir[STATE_PATH_MAX], probe[STATE_PATH_MAX];
	const char	*path = app->a.state;
	enum state_err	 err;
	int		 n;

	if (path == NULL) {
		if (state_dir(getenv("TIGRESS_STATE_DIR"), getenv("HOME"), dir,
		    sizeof(dir)) != STATE_OK)
			return client_fail(&app->e, CLIENT_ERR_USAGE, "no state "
			    "directory: set TIGRESS_STATE_DIR or HOME, or use "
			    "--state");
		n = snprintf(probe, sizeof(probe), "%s/share", dir);
		if (n < 0 || (size_t)n >= sizeof(probe))
			return client_fail(&app->e, CLIENT_ERR_USAGE, "the state "
			    "directory %s: path too long", dir);
		path = probe;
	}
	if ((err = state_dir_ready(path)) == STATE_OK)
		return CLIENT_OK;
	if (app->a.state != NULL)
		return client_fail(&app->e, CLIENT_ERR_INTERNAL, "cannot write "
		    "the state file %s: %s (nothing was sent to the relay)",
		    app->a.state, err == STATE_ERR_IO ? strerror(errno) :
		    state_strerror(err));
	return client_fail(&app->e, CLIENT_ERR_INTERNAL, "cannot write a state "
	    "file in %s: %s (choose another with TIGRESS_STATE_DIR or --state; "
	    "nothing was sent to the relay)", dir, err == STATE_ERR_IO ?
	    strerror(errno) : state_strerror(err));
}

static enum client_err
run_share(struct app *app)
{
	struct session_share_opts	 o;
	char				 base[CLIENT_ORIGIN_MAX];
	char				*pi = NULL;
	size_t				 len = 0;
	enum client_err			 err;

	memset(&o, 0, sizeof(o));
	if ((err = client_relay_base(app->a.relay, base, &app->e)))
		return err;
	if (app->a.state != NULL && access(app->a.state, F_OK) == 0)
		return client_fail(&app->e, CLIENT_ERR_USAGE, "the state file "
		    "%s already exists", app->a.state);
	if ((err = read_pi(app, app->a.in, &pi, &len)) ||
	    (err = check_state_dir(app)) || (err = open_transport(app)))
		goto done;
	o.relay = base;
	o.pi = pi;
	o.pi_len = len;
	o.display.title = app->a.title;
	o.display.description = app->a.description ? app->a.description : "";
	o.display.image_url = app->a.image != NULL ? app->a.image : "";
	o.notify = notify_of(app);
	o.vertical = app->a.vertical;
	o.rights = app->a.rights;
	o.lifetime = app->a.expires;
	o.now = (int64_t)time(NULL);
	o.key_len = app->a.key_len;
	if ((err = session_share(&app->ctx, &o, &app->st, &app->e)))
		goto done;
	remember_conn(app);
	if ((err = state_path(app, app->st.mailbox_url, STATE_INITIATOR)) ||
	    (err = save_state(app, true))) {
		/* Undo: no mailbox without a state file to end it with. */
		error_append(app, session_cancel(&app->ctx, &app->st, NULL) ==
		    CLIENT_OK ? "; the mailbox was deleted again" : "; the "
		    "mailbox could not be deleted: it stays on the relay "
		    "until it expires");
		goto done;
	}
	err = print_share(app);
done:
	free_secret(pi, len);
	return err;
}

/* The Secret from --secret-file, trailing white space removed. */
static enum client_err
read_secret(struct app *app, char **out, size_t *len)
{
	enum fileio_err err;

	err = fileio_read(app->a.secret_file, SECRET_TEXT_MAX, out, len);
	if (err != FILEIO_OK)
		return client_fail(&app->e, CLIENT_ERR_INPUT, "cannot read the "
		    "Secret from %s: %s", app->a.secret_file,
		    fileio_strerror(err));
	while (*len > 0 && strchr(" \t\r\n", (*out)[*len - 1]) != NULL)
		(*out)[--*len] = '\0';
	return CLIENT_OK;
}

/*
 * Whether a kept recipient state old is this device's earlier try of the
 * mailbox of url at another relay origin (a mistyped host or port), never
 * answered there: no read filled its etag, expiration or seen list, so no
 * relay bound its claim and the new link may take its place.
 */
static bool
accept_moved_unread(const struct state *old, const char *url)
{
	const char *a = strrchr(old->mailbox_url, '/');
	const char *b = strrchr(url, '/');

	return old->role == STATE_RECIPIENT && a != NULL && b != NULL &&
	    strcmp(a, b) == 0 && old->etag[0] == '\0' && old->nseen == 0 &&
	    old->expiration == 0;
}

/*
 * The claim to accept with.  The state file is keyed by the mailbox: when
 * this device accepted the share before (its recipient state is there),
 * its claim, to which the relay may have bound the mailbox, is reused and
 * the Secret of the link given now replaces the kept one, so that an
 * accept with a mistyped link can be rerun with the right one; a link
 * with another relay origin replaces the kept URL too while no read has
 * answered (accept_moved_unread()).  Else the fresh claim is saved before
 * the read binds it (*created).
 */
static enum client_err
claim_for_accept(struct app *app, bool *created)
{
	struct state	old;
	enum state_err	err = state_load(app->path, &old);
	enum client_err	cerr = CLIENT_OK;

	*created = false;
	if (err == STATE_ERR_MISSING) {
		*created = save_state(app, true) == CLIENT_OK;
		return *created ? CLIENT_OK : app->e.code;
	}
	if (err != STATE_OK)
		return client_fail(&app->e, CLIENT_ERR_INPUT, "cannot use the "
		    "state file %s: %s", app->path, state_strerror(err));
	if (strcmp(old.mailbox_url, app->st.mailbox_url) != 0 &&
	    !accept_moved_unread(&old, app->st.mailbox_url))
		cerr = client_fail(&app->e, CLIENT_ERR_INPUT, "the state file "
		    "%s is for another share (choose another with --state)",
		    app->path);
	else if (old.role != STATE_RECIPIENT)
		cerr = client_fail(&app->e, CLIENT_ERR_INPUT, "the state file "
		    "%s is the initiator's: the recipient needs its own "
		    "(--state)", app->path);
	if (cerr == CLIENT_OK) {
		memcpy(app->st.claim, old.claim, sizeof(old.claim));
		memcpy(app->st.etag, old.etag, sizeof(old.etag));
		memcpy(app->st.seen, old.seen, sizeof(old.seen));
		app->st.nseen = old.nseen;
		if (app->a.verbose)
			log_line(NULL, "this device accepted the share before: "
			    "reusing its claim");
		cerr = save_state(app, false);	/* the new Secret and URL */
	}
	state_wipe(&old);
	return cerr;
}

/* The JSON answer of accept, read and wait. */
static enum client_err
content_json(struct app *app, const struct session_msg *m, bool deleted)
{
	char		 when[RFC3339_STR_SIZE] = "";
	json_t		*o, *pi = NULL;
	json_error_t	 jerr;

	if (app->a.out == NULL)
		pi = json_loadb(m->pi, m->pi_len, 0, &jerr);
	rfc3339_format(m->expiration, when);
	o = json_pack("{s:s, s:s, s:s, s:b, s:b, s:s, s:s?, s:o?}",
	    "mailboxUrl", app->st.mailbox_url, "role",
	    state_role_name(app->st.role), "expiration", when, "new",
	    m->fresh, "deleted", deleted, "state", app->path, "out",
	    app->a.out, "provisioningInformation", pi);
	return emit_json(app, o);
}

/* Write the content to --out, or raw to stdout (not with bare --json). */
static enum client_err
write_content(struct app *app, const struct session_msg *m)
{
	enum fileio_err	err = FILEIO_OK;
	bool		tty = app->a.out == NULL || strcmp(app->a.out, "-") == 0;

	if (!app->a.json || app->a.out != NULL) {
		err = fileio_write_private(app->a.out, m->pi, m->pi_len);
		if (err == FILEIO_OK && tty && (m->pi_len == 0 ||
		    m->pi[m->pi_len - 1] != '\n'))
			err = fileio_write_private(NULL, "\n", 1);
	}
	if (err != FILEIO_OK)
		return client_fail(&app->e, CLIENT_ERR_INTERNAL, "cannot write "
		    "%s: %s", tty ? "stdout" : app->a.out, strerror(errno));
	return CLIENT_OK;
}

/* Hand the content out: to --out, or stdout (raw, or inside JSON). */
static enum client_err
deliver_content(struct app *app, const struct session_msg *m, bool deleted)
{
	enum client_err err = write_content(app, m);

	if (err == CLIENT_OK && app->a.json)
		err = content_json(app, m, deleted);
	return err;
}

/*
 * The share is over (the relay no longer has it): its state holds a
 * Secret nothing can use any more, so the file goes (wiped).
 */
static void
forget_share(struct app *app, bool tell)
{
	if (state_remove(app->path) == STATE_OK && tell)
		error_append(app, " (its state file was removed)");
}

/* The line that says what accept, read and wait wrote, and where. */
static void
say_written(struct app *app, const struct session_msg *m, bool deleted)
{
	char	format[TG_FORMAT_MAX + 1], to[STATE_PATH_MAX];

	if (app->a.json)
		return;
	terminal_safe(m->format, format, sizeof(format));
	terminal_safe(app->a.out != NULL && strcmp(app->a.out, "-") != 0 ?
	    app->a.out : "standard output", to, sizeof(to));
	fprintf(stderr, "tigress: wrote the Provisioning Information (%s, %zu "
	    "bytes) to %s%s\n", format, m->pi_len, to, deleted ?
	    "; the mailbox was deleted" : "");
}

static enum client_err
run_accept(struct app *app)
{
	struct session_msg	 m;
	char			*secret = NULL;
	size_t			 slen = 0;
	bool			 created = false;
	enum client_err		 err;

	memset(&m, 0, sizeof(m));
	if (app->a.secret_file != NULL &&
	    (err = read_secret(app, &secret, &slen)))
		return err;
	err = session_prepare_accept(app->a.url, secret, &app->st, &app->e);
	free_secret(secret, slen);
	if (err || (err = open_transport(app)))
		return err;
	remember_conn(app);
	if ((err = state_path(app, app->st.mailbox_url, STATE_RECIPIENT)) ||
	    (err = claim_for_accept(app, &created)))
		return err;
	err = session_accept(&app->ctx, &app->st, notify_of(app), &m, &app->e);
	if (err == CLIENT_ERR_GONE || (err == CLIENT_ERR_CLAIMED && created))
		forget_share(app, !created);	/* bound nowhere now */
	if (err == CLIENT_ERR_CRYPTO)
		error_append(app, "; if the link was mistyped, run accept again with "
		    "the right one");
	if (err || (err = save_state(app, false)))
		goto done;
	if (!app->a.delete_after) {
		if ((err = deliver_content(app, &m, false)) == CLIENT_OK)
			say_written(app, &m, false);
		goto done;
	}
	/* The credential is safe in --out (or on stdout) before the mailbox
	 * and the state that could fetch it again go. */
	if ((err = write_content(app, &m))) {
		error_append(app, "; the mailbox and the state file were kept: run "
		    "accept again");
		goto done;
	}
	if ((err = session_cancel(&app->ctx, &app->st, &app->e)))
		goto done;
	state_remove(app->path);
	if (!app->a.json || (err = content_json(app, &m, true)) == CLIENT_OK)
		say_written(app, &m, true);
done:
	session_msg_clear(&m);
	return err;
}

static enum client_err
print_preview(struct app *app, const struct preview_parsed *p)
{
	char	title[TG_TITLE_MAX * 4 + 1], desc[TG_DESCRIPTION_MAX * 4 + 1];
	char	image[TG_IMAGEURL_MAX + 1], url[TG_URL_MAX + 1];

	if (app->a.json)
		return emit_json(app, json_pack("{s:s?, s:s?, s:s?, s:s?}",
		    "title", p->title, "description", p->description,
		    "imageURL", p->image_url, "url", p->url));
	terminal_safe(p->title, title, sizeof(title));
	terminal_safe(p->description, desc, sizeof(desc));
	terminal_safe(p->image_url, image, sizeof(image));
	terminal_safe(p->url, url, sizeof(url));
	/* Only what the page holds: no empty "image:" line. */
	printf("title: %s\n", title);
	if (desc[0] != '\0')
		printf("description: %s\n", desc);
	if (image[0] != '\0')
		printf("image: %s\n", image);
	if (url[0] != '\0')
		printf("url: %s\n", url);
	return CLIENT_OK;
}

static enum client_err
run_preview(struct app *app)
{
	struct preview_parsed	 p;
	char			 api[TG_URL_MAX + 1];
	enum client_err		 err;

	memset(&p, 0, sizeof(p));
	if (app->a.state != NULL) {
		if ((err = load_state(app)))
			return err;
		memcpy(api, app->st.mailbox_url, sizeof(api));
	} else if ((err = api_url_of(app, api, sizeof(api)))) {
		return err;
	}
	if ((err = open_transport(app)) ||
	    (err = client_display(&app->ctx, api, &p, &app->e)))
		return err;
	err = print_preview(app, &p);
	preview_parsed_free(&p);
	return err;
}

/*
 * Whether m, taken as new, is one another run of this device saw or sent
 * after this one loaded the state (a send alongside a wait): the saved
 * seen list is merged in and asked.  The digest of a new message is the
 * last one session_read()/session_wait() remembered.
 */
static bool
sent_meanwhile(struct app *app, const struct session_msg *m)
{
	char digest[STATE_DIGEST_SIZE];

	if (!m->fresh || app->st.nseen == 0)
		return false;
	memcpy(digest, app->st.seen[app->st.nseen - 1], sizeof(digest));
	return merge_saved_seen(app, digest);
}

static enum client_err
run_content(struct app *app, bool wait)
{
	struct session_msg	m;
	int64_t			deadline = (int64_t)time(NULL) + app->a.timeout;
	long			left = app->a.timeout;
	enum client_err		err;

	memset(&m, 0, sizeof(m));
	if ((err = load_state(app)) || (err = open_transport(app)))
		return err;
	while ((err = wait ? session_wait(&app->ctx, &app->st, left, &m,
	    &app->e) : session_read(&app->ctx, &app->st, notify_of(app), &m,
	    &app->e)) == CLIENT_OK && sent_meanwhile(app, &m)) {
		/* This device's own message (a send alongside): not new. */
		m.fresh = false;
		if (!wait)
			break;
		session_msg_clear(&m);
		if ((left = deadline - (int64_t)time(NULL)) <= 0) {
			err = client_fail(&app->e, CLIENT_ERR_TIMEOUT, "nothing "
			    "new arrived within %ld seconds", app->a.timeout);
			break;
		}
	}
	if (err == CLIENT_ERR_GONE)
		forget_share(app, true);
	if (err == CLIENT_OK && (err = save_state(app, false)) == CLIENT_OK &&
	    (err = deliver_content(app, &m, false)) == CLIENT_OK)
		say_written(app, &m, false);
	session_msg_clear(&m);
	return err;
}

static enum client_err
done_json(struct app *app, const char *result)
{
	if (!app->a.json)
		return CLIENT_OK;
	return emit_json(app, json_pack("{s:s, s:s, s:s}", "mailboxUrl",
	    app->st.mailbox_url, "result", result, "state", app->path));
}

static enum client_err
run_send(struct app *app)
{
	char		*pi = NULL, *body = NULL;
	size_t		 len = 0;
	enum client_err	 err;

	if ((err = load_state(app)) || (err = read_pi(app, app->a.in, &pi,
	    &len)) || (err = open_transport(app)))
		goto done;
	/* Its digest saved before the relay has it: a wait alongside then
	 * knows the message as this device's own (sent_meanwhile()). */
	if ((err = session_seal(&app->st, pi, len, notify_of(app), &body,
	    &app->e)) || (err = save_state(app, false)))
		goto done;
	err = session_send_sealed(&app->ctx, &app->st, body, &app->e);
	if (err == CLIENT_ERR_GONE)
		forget_share(app, true);
	if (err || (err = save_state(app, false)))
		goto done;
	err = done_json(app, "sent");
done:
	free(body);
	free_secret(pi, len);
	return err;
}

static enum client_err
run_end(struct app *app, bool relinquish)
{
	enum client_err err;

	if ((err = load_state(app)) || (err = open_transport(app)))
		return err;
	err = relinquish ? session_relinquish(&app->ctx, &app->st, &app->e) :
	    session_cancel(&app->ctx, &app->st, &app->e);
	if (err == CLIENT_ERR_GONE)
		forget_share(app, true);
	if (err != CLIENT_OK)
		return err;
	state_remove(app->path);
	return done_json(app, relinquish ? "relinquished" : "deleted");
}

/* What status gathers while it walks the state directory. */
struct listing {
	struct app	*app;
	json_t		*shares, *removed, *unusable, *unchecked; /* --json */
	int64_t		 now;
	size_t		 shown, bad;
	size_t		 unasked;	/* --prune: relays that did not say */
	enum client_err	 ask_err;	/* the first of their failures */
};

/* Why status --prune removed a state file. */
enum pruned { KEPT, PRUNED_EXPIRED, PRUNED_GONE };

static void
list_json(struct listing *l, const char *path, const struct state *st,
    const char *origin, const char *when, bool expired, enum pruned removed)
{
	const char	*id = strrchr(st->mailbox_url, '/') + 1;
	json_t		*o;

	if (removed) {
		json_array_append_new(l->removed, json_string(path));
		return;
	}
	o = json_pack("{s:s, s:s, s:s, s:s%, s:b, s:s, s:s}", "mailboxId",
	    id, "mailboxUrl", st->mailbox_url, "role",
	    state_role_name(st->role), "vertical", &st->vertical, (size_t)1,
	    "expired", expired, "relay", origin, "state", path);
	if (o != NULL)
		json_object_set_new(o, "expiration", when[0] != '\0' ?
		    json_string(when) : json_null());
	json_array_append_new(l->shares, o);
}

static void
list_text(struct listing *l, const char *path, const struct state *st,
    const char *origin, const char *when, bool expired, enum pruned removed)
{
	char	p[STATE_PATH_MAX], w[RFC3339_STR_SIZE + 16];

	terminal_safe(path, p, sizeof(p));
	if (removed == PRUNED_EXPIRED) {  /* a note beside the table */
		fprintf(stderr, "tigress: removed %s (the share expired %s)\n",
		    p, when);
		return;
	}
	if (removed == PRUNED_GONE) {
		fprintf(stderr, "tigress: removed %s (the relay no longer has "
		    "the share: cancelled, deleted or expired)\n", p);
		return;
	}
	if (l->shown++ == 0)
		printf("%-36s  %-9s  %-30s  %s\n", "MAILBOX", "ROLE",
		    "EXPIRES", "RELAY");
	snprintf(w, sizeof(w), "%s%s", when[0] != '\0' ? when : "unknown",
	    expired ? " (expired)" : "");
	printf("%-36s  %-9s  %-30s  %s\n", strrchr(st->mailbox_url, '/') + 1,
	    state_role_name(st->role), w, origin);
}

/*
 * status --prune: ask the relay of st whether it still holds the share,
 * with the preview GET (no claim, no Secret: it binds nothing).  A 404
 * with the relay's JSON error body means the share is over; a 404 or 410
 * without it (an HTML page of a misrouted proxy) proves nothing, so it,
 * like any other failure, keeps the state and is said on stderr (exit 6);
 * the first failure decides the exit code.
 */
static enum client_err
ask_relay(struct listing *l, const char *path, const struct state *st)
{
	struct http_transport	 t;
	struct client_ctx	 ctx;
	struct client_error	 e;
	struct preview_parsed	 page;
	char			 p[STATE_PATH_MAX], why[CLIENT_MSG_SIZE];
	enum client_err		 err;

	memset(&e, 0, sizeof(e));
	memset(&page, 0, sizeof(page));
	if ((err = connect_for(l->app, st, &t, &ctx, &e)) == CLIENT_OK) {
		err = client_display(&ctx, st->mailbox_url, &page, &e);
		preview_parsed_free(&page);
		http_curl_close(&t);
	}
	if (err == CLIENT_ERR_GONE && (e.status != 404 || !e.json_error))
		err = client_fail(&e, CLIENT_ERR_REFUSED, "the relay answered "
		    "%ld%s, which does not prove the share gone", e.status,
		    e.json_error ? "" : " without its JSON error body");
	if (err == CLIENT_OK || err == CLIENT_ERR_GONE)
		return err;
	if (l->unasked++ == 0)
		l->ask_err = err;
	terminal_safe(path, p, sizeof(p));
	terminal_safe(e.msg[0] != '\0' ? e.msg : client_strerror(err), why,
	    sizeof(why));
	fprintf(stderr, "tigress: kept %s: %s\n", p, why);
	json_array_append_new(l->unchecked, json_pack("{s:s, s:s}", "state",
	    path, "message", why));
	return err;
}

static void
list_one(void *arg, const char *path, const struct state *st,
    enum state_err err)
{
	struct listing	*l = arg;
	char		 origin[CLIENT_ORIGIN_MAX], when[RFC3339_STR_SIZE] = "";
	char		 p[STATE_PATH_MAX];
	bool		 expired;
	enum pruned	 removed = KEPT;

	if (st == NULL) {
		l->bad++;
		terminal_safe(path, p, sizeof(p));
		fprintf(stderr, "tigress: cannot use the state file %s: %s\n",
		    p, state_strerror(err));
		json_array_append_new(l->unusable, json_pack("{s:s, s:s}",
		    "state", path, "message", state_strerror(err)));
		return;
	}
	client_origin(st->mailbox_url, origin);
	if (st->expiration > 0)
		rfc3339_format(st->expiration, when);
	expired = st->expiration > 0 && st->expiration <= l->now;
	if (l->app->a.prune && (expired ||
	    ask_relay(l, path, st) == CLIENT_ERR_GONE) &&
	    state_remove(path) == STATE_OK)
		removed = expired ? PRUNED_EXPIRED : PRUNED_GONE;
	(l->app->a.json ? list_json : list_text)(l, path, st, origin, when,
	    expired, removed);
}

/*
 * status: the shares this device keeps state for; no network, but with
 * --prune one preview GET per share not yet expired (ask_relay()).
 */
static enum client_err
run_status(struct app *app)
{
	struct listing	 l;
	char		 dir[STATE_PATH_MAX];
	size_t		 count = 0;
	enum state_err	 serr;
	enum client_err	 err = CLIENT_OK;

	if (state_dir(getenv("TIGRESS_STATE_DIR"), getenv("HOME"), dir,
	    sizeof(dir)) != STATE_OK)
		return client_fail(&app->e, CLIENT_ERR_USAGE, "no state "
		    "directory: set TIGRESS_STATE_DIR or HOME");
	memset(&l, 0, sizeof(l));
	l.app = app;
	l.now = (int64_t)time(NULL);
	l.shares = json_array();
	l.removed = json_array();
	l.unusable = json_array();
	l.unchecked = json_array();
	serr = state_list(dir, list_one, &l, &count);
	if (serr != STATE_OK && serr != STATE_ERR_MISSING)
		err = client_fail(&app->e, CLIENT_ERR_INTERNAL, "cannot list "
		    "%s: %s", dir, strerror(errno));
	else if (app->a.json)
		err = emit_json(app, json_pack("{s:s, s:o, s:o, s:o, s:o}",
		    "dir", dir, "shares", json_incref(l.shares), "removed",
		    json_incref(l.removed), "unusable", json_incref(l.unusable),
		    "unchecked", json_incref(l.unchecked)));
	else if (l.shown == 0)
		printf("no shares kept in %s\n", dir);
	if (err == CLIENT_OK && l.bad > 0)
		err = client_fail(&app->e, CLIENT_ERR_INPUT, "%zu of the %zu "
		    "files in %s cannot be used (above)", l.bad, count, dir);
	else if (err == CLIENT_OK && l.unasked > 0)
		err = client_fail(&app->e, l.ask_err, "%zu share%s kept: %s "
		    "relay could not be asked (above)", l.unasked, l.unasked ==
		    1 ? "" : "s", l.unasked == 1 ? "its" : "their");
	json_decref(l.shares);
	json_decref(l.removed);
	json_decref(l.unusable);
	json_decref(l.unchecked);
	return err;
}

static enum client_err
run(struct app *app)
{
	enum client_err err;

	if (app->a.url_file != NULL && (err = read_url(app)) != CLIENT_OK)
		return err;
	switch (app->a.cmd) {
	case CLI_SHARE:
		return run_share(app);
	case CLI_PREVIEW:
		return run_preview(app);
	case CLI_ACCEPT:
		return run_accept(app);
	case CLI_SEND:
		return run_send(app);
	case CLI_WAIT:
		return run_content(app, true);
	case CLI_READ:
		return run_content(app, false);
	case CLI_CANCEL:
		return run_end(app, false);
	case CLI_RELINQUISH:
		return run_end(app, true);
	case CLI_STATUS:
		return run_status(app);
	default:
		return client_fail(&app->e, CLIENT_ERR_USAGE, "no subcommand");
	}
}

/* The one error line (and, with --json, an error object on stdout). */
static void
report(struct app *app, enum client_err err)
{
	char line[CLIENT_MSG_SIZE];

	/* An untrusted certificate with no --ca: say how to trust one. */
	if (err == CLIENT_ERR_TLS && app->a.ca == NULL && !app->a.insecure &&
	    app->st.ca_file[0] == '\0' && strstr(app->e.msg, "not trusted"))
		error_append(app, " (give the relay's CA certificate with --ca FILE)");
	terminal_safe(app->e.msg[0] != '\0' ? app->e.msg :
	    client_strerror(err), line, sizeof(line));
	fprintf(stderr, "tigress: %s\n", line);
	if (app->a.json && !app->emitted)	/* stdout holds one object */
		emit_json(app, json_pack("{s:s, s:s, s:i}", "error",
		    client_err_code(err), "message", line, "exitCode",
		    cli_exit_code(err)));
}

int
main(int argc, char **argv)
{
	struct app	*app = calloc(1, sizeof(*app));
	char		 why[CLI_WHY_SIZE];
	enum client_err	 err;
	int		 code;

	if (app == NULL) {
		fputs("tigress: out of memory\n", stderr);
		return CLI_EXIT_INTERNAL;
	}
	if ((err = cli_parse(argc, argv, &app->a, why)) != CLIENT_OK) {
		fprintf(stderr, "tigress: %s (see tigress %s%s--help)\n", why,
		    cli_cmd_name(app->a.cmd), app->a.cmd != CLI_NONE ? " " : "");
		free(app);
		return CLI_EXIT_USAGE;
	}
	if (app->a.help || app->a.version) {
		fputs(app->a.help ? cli_usage(app->a.cmd) : cli_version(),
		    stdout);
		free(app);
		return CLI_EXIT_OK;
	}
	/* A write over the file size limit (ulimit -f) then fails with
	 * EFBIG, so that share deletes the mailbox it could not keep a
	 * state for, instead of being killed between the two. */
	if (signal(SIGXFSZ, SIG_IGN) == SIG_ERR)
		err = client_fail(&app->e, CLIENT_ERR_INTERNAL, "cannot ignore "
		    "SIGXFSZ: %s", strerror(errno));
	else
		err = run(app);
	if (err != CLIENT_OK)
		report(app, err);
	code = cli_exit_code(err);
	if (app->t_open)
		http_curl_close(&app->t);
	state_wipe(&app->st);
	OPENSSL_cleanse(app, sizeof(*app));
	free(app);
	return code;
}
