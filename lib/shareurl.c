/*
 * shareurl: parse and build share URLs.  The parser walks the URL once,
 * left to right, in the order of spec/rules.md, so the first fault found
 * is the one reported.  Spans (struct span) point into the caller's text;
 * nothing is copied until a part has been checked.
 */
#include <string.h>

#include <openssl/crypto.h>

#include "b64.h"
#include "shareurl.h"

struct span {
	const char	*p;
	size_t		 n;
};

static int
lower(int c)
{
	return c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c;
}

static int
is_digit(int c)
{
	return c >= '0' && c <= '9';
}

static int
is_hex(int c)
{
	return is_digit(c) || (lower(c) >= 'a' && lower(c) <= 'f');
}

static int
is_alpha(int c)
{
	return lower(c) >= 'a' && lower(c) <= 'z';
}

/* Find c in s; returns its offset or s.n. */
static size_t
find(struct span s, char c)
{
	const char *hit = memchr(s.p, c, s.n);

	return hit == NULL ? s.n : (size_t)(hit - s.p);
}

static enum tgerr
check_chars(const char *url, size_t len)
{
	if (len == 0)
		return TGERR_URL_SYNTAX;
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)url[i] < 0x21 || (unsigned char)url[i] > 0x7e)
			return TGERR_URL_SYNTAX;
	return TGERR_OK;
}

/* URL-SCHEME: whatever precedes "://" must be "https", in any case. */
static enum tgerr
check_scheme(struct span s)
{
	if (s.n != 5)
		return TGERR_URL_SCHEME;
	for (size_t i = 0; i < 5; i++)
		if (lower(s.p[i]) != "https"[i])
			return TGERR_URL_SCHEME;
	return TGERR_OK;
}

static int
host_char_ok(int c, int literal)
{
	if (literal)
		return is_hex(c) || c == ':' || c == '.';
	return is_alpha(c) || is_digit(c) || c == '.' || c == '-';
}

/* Split the authority into host and port; check and copy the host. */
static enum tgerr
parse_host(struct span auth, struct span *port, struct shareurl *out)
{
	struct span	 host = auth;
	size_t		 colon;

	if (auth.n > 0 && auth.p[0] == '[') {
		size_t close = find(auth, ']');
		if (close == auth.n)
			return TGERR_URL_HOST;
		host.n = close + 1;
	} else {
		host.n = find(auth, ':');
	}
	colon = host.n;
	int literal = host.n > 0 && host.p[0] == '[';
	size_t first = literal ? 1 : 0, end = literal ? host.n - 1 : host.n;
	if (end <= first || host.n > TG_HOST_MAX)
		return TGERR_URL_HOST;
	for (size_t i = first; i < end; i++)
		if (!host_char_ok(host.p[i], literal))
			return TGERR_URL_HOST;
	for (size_t i = 0; i < host.n; i++)
		out->host[i] = (char)lower(host.p[i]);
	out->host[host.n] = '\0';
	if (colon < auth.n && auth.p[colon] != ':')
		return TGERR_URL_HOST;	/* junk after "]" */
	port->p = auth.p + colon;
	port->n = auth.n - colon;
	return TGERR_OK;
}

/* port is empty or ":digits". */
static enum tgerr
parse_port(struct span port, uint16_t *out)
{
	unsigned long v = 0;

	*out = 0;
	if (port.n == 0)
		return TGERR_OK;
	if (port.n < 2 || port.n > 6 || port.p[1] == '0')
		return TGERR_URL_PORT;
	for (size_t i = 1; i < port.n; i++) {
		if (!is_digit(port.p[i]))
			return TGERR_URL_PORT;
		v = v * 10 + (unsigned long)(port.p[i] - '0');
	}
	if (v > 65535)
		return TGERR_URL_PORT;
	*out = (uint16_t)v;
	return TGERR_OK;
}

static enum tgerr
parse_version(struct span seg, int *out)
{
	int v = 0;

	if (seg.n < 2 || seg.n > 4 || seg.p[0] != 'v' || seg.p[1] == '0')
		return TGERR_URL_VERSION;
	for (size_t i = 1; i < seg.n; i++) {
		if (!is_digit(seg.p[i]))
			return TGERR_URL_VERSION;
		v = v * 10 + (seg.p[i] - '0');
	}
	*out = v;
	return TGERR_OK;
}

/* path is "/seg1/m/seg3" exactly. */
static enum tgerr
parse_path(struct span path, struct shareurl *out)
{
	struct span	 seg[3];
	struct span	 rest = path;
	enum tgerr	 err;

	if (rest.n == 0 || rest.p[0] != '/')
		return TGERR_URL_PATH;
	for (int i = 0; i < 3; i++) {
		if (rest.n == 0 || rest.p[0] != '/')
			return TGERR_URL_PATH;
		rest.p++, rest.n--;
		seg[i].p = rest.p;
		seg[i].n = find(rest, '/');
		if (seg[i].n == 0)
			return TGERR_URL_PATH;
		rest.p += seg[i].n, rest.n -= seg[i].n;
	}
	if (rest.n != 0 || seg[1].n != 1 || seg[1].p[0] != 'm')
		return TGERR_URL_PATH;
	if ((err = parse_version(seg[0], &out->version)) != TGERR_OK)
		return err;
	if (uuid_check(seg[2].p, seg[2].n, out->mailbox_id,
	    &out->uuid_version) != TGERR_OK)
		return TGERR_URL_MAILBOX_ID;
	return TGERR_OK;
}

static enum tgerr
parse_query(const struct span *query, struct shareurl *out)
{
	out->vertical = 'a';
	out->vertical_present = false;
	if (query == NULL)
		return TGERR_OK;
	if (query->n < 2 || query->p[0] != 'v' || query->p[1] != '=' ||
	    find(*query, '&') != query->n)
		return TGERR_URL_QUERY;
	if (query->n != 3 || strchr("ahc", query->p[2]) == NULL)
		return TGERR_URL_VERTICAL;
	out->vertical = query->p[2];
	out->vertical_present = true;
	return TGERR_OK;
}

static enum tgerr
parse_secret(const struct span *frag, struct shareurl *out)
{
	uint8_t		 buf[B64_DECODED_MAX(TG_URL_MAX)];
	size_t		 n = 0;
	enum tgerr	 err = TGERR_OK;

	out->secret_len = 0;
	if (frag == NULL)
		return TGERR_OK;
	switch (b64_decode(frag->p, frag->n, B64_ANY, buf, &n)) {
	case 0:
		break;
	case -2:
		return TGERR_NOMEM;
	default:
		err = TGERR_URL_SECRET_ENCODING;
		goto done;
	}
	if (n != 16 && n != 32) {
		err = TGERR_URL_SECRET_LENGTH;
		goto done;
	}
	memcpy(out->secret, buf, n);
	out->secret_len = n;
done:
	OPENSSL_cleanse(buf, sizeof(buf));
	return err;
}

/* Everything after "://": authority, path, query and fragment. */
static enum tgerr
parse_rest(struct span rest, struct span *query, struct span *frag,
    struct shareurl *out)
{
	struct span	 auth, port, path;
	enum tgerr	 err;

	auth.p = rest.p;
	auth.n = find(rest, '/');
	if (find(auth, '@') != auth.n)
		return TGERR_URL_USERINFO;
	if ((err = parse_host(auth, &port, out)) != TGERR_OK ||
	    (err = parse_port(port, &out->port)) != TGERR_OK)
		return err;
	path.p = rest.p + auth.n;
	path.n = rest.n - auth.n;
	if ((err = parse_path(path, out)) != TGERR_OK ||
	    (err = parse_query(query, out)) != TGERR_OK)
		return err;
	return parse_secret(frag, out);
}

/* Offset of the first "://" in s, or s.n. */
static size_t
find_sep(struct span s)
{
	for (size_t i = 0; i + 3 <= s.n; i++)
		if (memcmp(s.p + i, "://", 3) == 0)
			return i;
	return s.n;
}

enum tgerr
shareurl_parse(const char *url, size_t len, struct shareurl *out)
{
	struct span	 all = { url, len }, scheme, rest, q, f;
	struct span	*query = NULL, *frag = NULL;
	enum tgerr	 err;
	size_t		 sep, at;

	memset(out, 0, sizeof(*out));
	if (len > TG_URL_MAX)
		return TGERR_TOO_LARGE;
	if ((err = check_chars(url, len)) != TGERR_OK)
		return err;
	if ((sep = find_sep(all)) == len)
		return TGERR_URL_SYNTAX;
	scheme.p = url, scheme.n = sep;
	if ((err = check_scheme(scheme)) != TGERR_OK)
		return err;
	rest.p = url + sep + 3, rest.n = len - sep - 3;
	if ((at = find(rest, '#')) < rest.n) {
		f.p = rest.p + at + 1, f.n = rest.n - at - 1, frag = &f;
		rest.n = at;
	}
	if ((at = find(rest, '?')) < rest.n) {
		q.p = rest.p + at + 1, q.n = rest.n - at - 1, query = &q;
		rest.n = at;
	}
	if ((err = parse_rest(rest, query, frag, out)) != TGERR_OK) {
		shareurl_wipe(out);
		return err;
	}
	out->length = len;
	return TGERR_OK;
}

/* Append n bytes of s to the buffer; false when it does not fit. */
struct out {
	char	*p;
	size_t	 n, size;
};

static bool
put(struct out *o, const char *s, size_t n)
{
	if (o->n + n >= o->size)
		return false;
	memcpy(o->p + o->n, s, n);
	o->n += n;
	o->p[o->n] = '\0';
	return true;
}

static bool
puts_(struct out *o, const char *s)
{
	return put(o, s, strlen(s));
}

static bool
put_uint(struct out *o, unsigned v)
{
	char	 d[12];
	size_t	 i = sizeof(d);

	do {
		d[--i] = (char)('0' + v % 10);
		v /= 10;
	} while (v > 0);
	return put(o, d + i, sizeof(d) - i);
}

/* Check the fields a builder is given, as the parser would. */
static enum tgerr
check_fields(const struct shareurl *u, struct shareurl *tmp)
{
	struct span	 auth = { u->host, strnlen(u->host, sizeof(u->host)) };
	struct span	 port;

	if (find(auth, '@') != auth.n)
		return TGERR_URL_USERINFO;
	if (find(auth, ':') != auth.n && auth.p[0] != '[')
		return TGERR_URL_HOST;
	if (parse_host(auth, &port, tmp) != TGERR_OK || port.n != 0)
		return TGERR_URL_HOST;
	if (u->version < 1 || u->version > TG_VERSION_MAX)
		return TGERR_URL_VERSION;
	if (uuid_check(u->mailbox_id, strnlen(u->mailbox_id,
	    sizeof(u->mailbox_id)), tmp->mailbox_id, NULL) != TGERR_OK)
		return TGERR_URL_MAILBOX_ID;
	if (u->vertical != 'a' && u->vertical != 'h' && u->vertical != 'c')
		return TGERR_URL_VERTICAL;
	if (u->secret_len != 0 && u->secret_len != 16 && u->secret_len != 32)
		return TGERR_URL_SECRET_LENGTH;
	return TGERR_OK;
}

/* "https://host[:port]" into o. */
static bool
put_origin(struct out *o, const char *host, uint16_t port)
{
	if (!puts_(o, "https://") || !puts_(o, host))
		return false;
	return port == 0 || (puts_(o, ":") && put_uint(o, port));
}

/* "https://host[:port]/vN/m/id" into o, from checked fields. */
static bool
put_api_url(struct out *o, const struct shareurl *u,
    const struct shareurl *canon)
{
	if (!put_origin(o, canon->host, u->port))
		return false;
	return puts_(o, "/v") && put_uint(o, (unsigned)u->version) &&
	    puts_(o, "/m/") && puts_(o, canon->mailbox_id);
}

enum tgerr
shareurl_api_url(const struct shareurl *u, char *buf, size_t size)
{
	struct shareurl	 canon;
	struct out	 o = { buf, 0, size };
	enum tgerr	 err;

	memset(&canon, 0, sizeof(canon));
	if ((err = check_fields(u, &canon)) != TGERR_OK)
		return err;
	if (size > 0)
		buf[0] = '\0';
	return put_api_url(&o, u, &canon) ? TGERR_OK : TGERR_TOO_LARGE;
}

enum tgerr
shareurl_build(const struct shareurl *u, char *buf, size_t size,
    size_t *outlen)
{
	struct shareurl	 canon;
	struct out	 o = { buf, 0, size };
	char		 secret[B64_ENCODED_LEN(TG_KEY_MAX) + 1];
	enum tgerr	 err;
	bool		 ok;

	memset(&canon, 0, sizeof(canon));
	if ((err = check_fields(u, &canon)) != TGERR_OK)
		return err;
	if (size > 0)
		buf[0] = '\0';
	ok = put_api_url(&o, u, &canon);
	if (ok && u->vertical != 'a')
		ok = puts_(&o, "?v=") && put(&o, &u->vertical, 1);
	if (ok && u->secret_len > 0) {
		b64_encode(u->secret, u->secret_len, secret);
		ok = puts_(&o, "#") && puts_(&o, secret);
		OPENSSL_cleanse(secret, sizeof(secret));
	}
	if (!ok) {
		OPENSSL_cleanse(buf, size);
		return TGERR_TOO_LARGE;
	}
	if (outlen != NULL)
		*outlen = o.n;
	return TGERR_OK;
}

enum tgerr
shareurl_origin_parse(const char *s, size_t len, struct shareurl *out)
{
	struct span	 all = { s, len }, auth, port;
	size_t		 sep;
	enum tgerr	 err;

	memset(out, 0, sizeof(*out));
	if (len > TG_URL_MAX)
		return TGERR_TOO_LARGE;
	if ((err = check_chars(s, len)) != TGERR_OK)
		return err;
	if ((sep = find_sep(all)) == len)
		return TGERR_URL_SYNTAX;
	auth.p = s;
	auth.n = sep;
	if ((err = check_scheme(auth)) != TGERR_OK)
		return err;
	auth.p = s + sep + 3;
	auth.n = len - sep - 3;
	if (auth.n > 0 && auth.p[auth.n - 1] == '/')
		auth.n--;	/* one trailing slash is tolerated */
	if (find(auth, '/') != auth.n || find(auth, '?') != auth.n ||
	    find(auth, '#') != auth.n)
		return TGERR_URL_PATH;
	if (find(auth, '@') != auth.n)
		return TGERR_URL_USERINFO;
	if ((err = parse_host(auth, &port, out)) != TGERR_OK)
		return err;
	return parse_port(port, &out->port);
}

enum tgerr
shareurl_origin(const struct shareurl *u, char *buf, size_t size)
{
	struct out o = { buf, 0, size };

	if (size > 0)
		buf[0] = '\0';
	return put_origin(&o, u->host, u->port) ? TGERR_OK : TGERR_TOO_LARGE;
}

bool
shareurl_aead(const struct shareurl *u, enum payload_aead *aead)
{
	return payload_aead_for_keylen(u->secret_len, aead);
}

void
shareurl_wipe(struct shareurl *u)
{
	OPENSSL_cleanse(u, sizeof(*u));
}
