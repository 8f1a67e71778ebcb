/*
 * preview: the OpenGraph page of ReadDisplayInformationFromMailbox.
 *
 * The builder runs its emitter twice, once to measure and once to write,
 * so the page is a single allocation and no length is guessed.  The
 * parser is a tag scanner, not an HTML parser: it knows just enough
 * (comments, raw-text elements, quoted attributes, entities) to find the
 * og: meta tags and the <title> of pages other relays write.  Every
 * string it returns is at most as long as the page it was given.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <stdio.h>

#include "rfc3339.h"
#include "tglimits.h"
#include "preview.h"

#define PREVIEW_TIME_SIZE	48
#define PREVIEW_SITE_NAME	"TIGRESS credential sharing"

/*
 * The page's only style, inline.  Its SHA-256 is in PREVIEW_CSP (the
 * style-src hash), so editing it means updating that hash: test_preview.c
 * recomputes it and says so.  It holds no quote or '>' (the unit test's
 * page shape check allows none outside tags).
 */
#define PREVIEW_STYLE \
":root{color-scheme:light dark;--bg:#eef1f6;--card:#fff;--ink:#161a23;" \
"--muted:#586072;--accent:#0a66c2;--line:#dfe3eb;--chip:#e8f1fb}" \
"@media (prefers-color-scheme:dark){:root{--bg:#0f1217;--card:#191d25;" \
"--ink:#e9ecf2;--muted:#a2a9b8;--accent:#74b6ff;--line:#2a303c;" \
"--chip:#1d2a3a}}" \
"*{box-sizing:border-box}" \
"html{-webkit-text-size-adjust:100%;text-size-adjust:100%}" \
"body{margin:0;min-height:100vh;display:flex;flex-direction:column;" \
"align-items:center;padding:24px 16px;background:var(--bg);" \
"color:var(--ink);font:16px/1.5 system-ui,-apple-system,Segoe UI," \
"Roboto,Helvetica,Arial,sans-serif}" \
"main{width:100%;max-width:34rem;background:var(--card);" \
"border:1px solid var(--line);border-radius:20px;padding:28px 24px;" \
"box-shadow:0 10px 30px rgba(15,23,42,.08)}" \
".kicker{margin:0 0 14px;color:var(--accent);font-size:.78rem;" \
"font-weight:700;letter-spacing:.09em;text-transform:uppercase}" \
".art{display:block;width:100%;max-height:18rem;object-fit:cover;" \
"border-radius:14px;margin:0 0 20px;background:var(--line)}" \
"h1{margin:0 0 8px;font-size:1.8rem;line-height:1.2;" \
"overflow-wrap:anywhere}" \
".desc{margin:0 0 16px;color:var(--muted);font-size:1.05rem;" \
"overflow-wrap:anywhere;white-space:pre-line}" \
".until{margin:4px 0 8px;padding:10px 14px;border-left:4px solid " \
"var(--accent);border-radius:8px;background:var(--chip);" \
"color:var(--muted);font-size:.85rem}" \
".until time{display:block;color:var(--ink);font-size:1rem;" \
"font-weight:600}" \
"h2{margin:20px 0 8px;font-size:1.05rem}" \
"ol{margin:0;padding-left:1.4rem}li{margin:6px 0}" \
".hint,.note{margin:12px 0 0;color:var(--muted);font-size:.9rem}" \
".note{margin-top:20px;padding-top:16px;border-top:1px solid var(--line)}" \
"footer{max-width:34rem;margin-top:18px;color:var(--muted);" \
"font-size:.8rem;text-align:center}" \
"code{font-family:ui-monospace,Menlo,Consolas,monospace;font-size:.9em}" \
"@media (max-width:480px){body{padding:12px 10px}" \
"main{padding:22px 18px;border-radius:16px}h1{font-size:1.6rem}}"

/* What to do next: the same words for every share (no apostrophes). */
#define PREVIEW_NEXT_STEPS \
"<h2>To add it to your wallet</h2>\n" \
"<ol>\n" \
"<li>Open this link on the phone or watch that should keep it.</li>\n" \
"<li>Your wallet app opens and offers to add it. Accept, and it is " \
"yours: the first device to accept it keeps it.</li>\n" \
"</ol>\n" \
"<p class=\"hint\">Nothing opened? This device has no app for this kind " \
"of credential: open the link on another device, or ask the sender.</p>\n" \
"<p class=\"note\">Keep this link to yourself: until it is accepted, " \
"anyone who has it can take the credential. This page is only a " \
"preview: opening it added nothing, and the secret part of the link " \
"never left your device.</p>\n"

#define PREVIEW_FOOTER \
"<footer>Shared through a TIGRESS relay " \
"(draft-vinokurov-tigress-http-00). With the reference client: " \
"<code>tigress accept</code> and the full link.</footer>\n"

static int
lower(int c)
{
	return c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c;
}

static int
is_space(int c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f';
}

static int
is_alpha(int c)
{
	return lower(c) >= 'a' && lower(c) <= 'z';
}

static int
is_alnum(int c)
{
	return (c >= '0' && c <= '9') || is_alpha(c);
}

/* c is one of set; unlike strchr(), never true for NUL. */
static int
is_one_of(int c, const char *set)
{
	return c != '\0' && strchr(set, c) != NULL;
}

/* ---- image URL check (errata E-IMAGEURL) ------------------------------ */

/*
 * Length of the host of the authority at s: after any userinfo, before
 * any port; an IP literal counts with its brackets.  0 when empty.
 */
static size_t
host_len(const char *s)
{
	size_t	 auth = strcspn(s, "/?#"), start = 0, i;

	for (i = 0; i < auth; i++)
		if (s[i] == '@')
			start = i + 1;
	if (start < auth && s[start] == '[') {
		for (i = start + 1; i < auth && s[i] != ']'; i++)
			;
		return i < auth && i > start + 1 ? i + 1 - start : 0;
	}
	for (i = start; i < auth && s[i] != ':'; i++)
		;
	return i - start;
}

bool
preview_image_ok(const char *image_url)
{
	static const char	 scheme[] = "https://";
	size_t			 n, i;

	if (image_url == NULL)
		return false;
	n = strnlen(image_url, TG_IMAGEURL_MAX + 1);
	if (n > TG_IMAGEURL_MAX || n < sizeof(scheme) - 1)
		return false;
	for (i = 0; i < sizeof(scheme) - 1; i++)
		if (lower(image_url[i]) != scheme[i])
			return false;
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)image_url[i];
		if (c < 0x21 || c > 0x7e || is_one_of(c, "\"'<>\\`"))
			return false;
	}
	return host_len(image_url + sizeof(scheme) - 1) > 0;
}

/* ---- building --------------------------------------------------------- */

/* The page being built; p is NULL while only measuring. */
struct out {
	char	*p;
	size_t	 n;
	bool	 overflow;
};

static void
put(struct out *o, const char *s, size_t n)
{
	if (o->overflow || n > SIZE_MAX - 1 - o->n) {
		o->overflow = true;
		return;
	}
	if (o->p != NULL)
		memcpy(o->p + o->n, s, n);
	o->n += n;
}

static void
put_str(struct out *o, const char *s)
{
	put(o, s, strlen(s));
}

/*
 * s as HTML text or attribute value.  Control characters other than tab
 * and newline are dropped: they are parse errors in HTML5 and carry
 * nothing a preview needs.
 */
static void
put_escaped(struct out *o, const char *s)
{
	for (; s != NULL && *s != '\0'; s++) {
		switch (*s) {
		case '&':
			put_str(o, "&amp;");
			break;
		case '<':
			put_str(o, "&lt;");
			break;
		case '>':
			put_str(o, "&gt;");
			break;
		case '"':
			put_str(o, "&quot;");
			break;
		case '\'':
			put_str(o, "&#39;");
			break;
		default:
			if (((unsigned char)*s >= 0x20 && *s != 0x7f) ||
			    *s == '\t' || *s == '\n')
				put(o, s, 1);
			break;
		}
	}
}

/* <meta ATTR="key" content="...">, the content escaped. */
static void
put_meta_as(struct out *o, const char *attr, const char *key,
    const char *content)
{
	put_str(o, "<meta ");
	put_str(o, attr);
	put_str(o, "=\"");
	put_str(o, key);
	put_str(o, "\" content=\"");
	put_escaped(o, content);
	put_str(o, "\">\n");
}

static void
put_meta(struct out *o, const char *property, const char *content)
{
	put_meta_as(o, "property", property, content);
}

/* An element with escaped text: <tag class="cls">text</tag>. */
static void
put_elem(struct out *o, const char *open, const char *text,
    const char *close)
{
	put_str(o, open);
	put_escaped(o, text);
	put_str(o, close);
}

/* "1 January 2030, 09:30 UTC" from epoch seconds; false if out of range. */
static bool
human_time(int64_t t, char out[PREVIEW_TIME_SIZE])
{
	static const char *const months[12] = { "January", "February",
	    "March", "April", "May", "June", "July", "August", "September",
	    "October", "November", "December" };
	char	 s[RFC3339_STR_SIZE];
	int	 month, n;

	if (rfc3339_format(t, s) != TGERR_OK)	/* YYYY-MM-DDThh:mm:ssZ */
		return false;
	month = (s[5] - '0') * 10 + (s[6] - '0');
	if (month < 1 || month > 12)
		return false;
	n = snprintf(out, PREVIEW_TIME_SIZE, "%.*s %s %.4s, %.5s UTC",
	    s[8] == '0' ? 1 : 2, s[8] == '0' ? s + 9 : s + 8,
	    months[month - 1], s, s + 11);
	return n > 0 && n < PREVIEW_TIME_SIZE;
}

/* OpenGraph and Twitter card tags: what link previews show. */
static void
emit_cards(struct out *o, const struct preview *p, bool image)
{
	put_meta(o, "og:site_name", PREVIEW_SITE_NAME);
	put_meta(o, "og:type", "website");
	put_meta(o, "og:title", p->title);
	put_meta(o, "og:description", p->description);
	if (p->url != NULL)
		put_meta(o, "og:url", p->url);
	if (image) {
		put_meta(o, "og:image", p->image_url);
		put_meta(o, "og:image:alt", p->title);
	}
	put_meta_as(o, "name", "twitter:card", image ? "summary_large_image" :
	    "summary");
	put_meta_as(o, "name", "twitter:title", p->title);
	put_meta_as(o, "name", "twitter:description", p->description);
	if (image) {
		put_meta_as(o, "name", "twitter:image", p->image_url);
		put_meta_as(o, "name", "twitter:image:alt", p->title);
	}
}

/* What the recipient reads: what was shared, until when, what to do. */
static void
emit_body(struct out *o, const struct preview *p, bool image)
{
	char	when[PREVIEW_TIME_SIZE], stamp[RFC3339_STR_SIZE];

	put_str(o, "<body>\n<main>\n<p class=\"kicker\">Shared with you</p>\n");
	if (image) {
		put_elem(o, "<img class=\"art\" src=\"", p->image_url,
		    "\" alt=\"");
		put_elem(o, "", p->title, "\">\n");
	}
	put_elem(o, "<h1>", p->title, "</h1>\n");
	if (p->description != NULL && p->description[0] != '\0')
		put_elem(o, "<p class=\"desc\">", p->description, "</p>\n");
	if (p->expires > 0 && human_time(p->expires, when) &&
	    rfc3339_format(p->expires, stamp) == TGERR_OK) {
		put_elem(o, "<p class=\"until\">Available until <time "
		    "datetime=\"", stamp, "\">");
		put_elem(o, "", when, "</time></p>\n");
	}
	put_str(o, PREVIEW_NEXT_STEPS "</main>\n" PREVIEW_FOOTER
	    "</body>\n</html>\n");
}

/* A NULL title or description is shown as empty; a NULL url is left out. */
static void
emit(struct out *o, const struct preview *p)
{
	bool image = preview_image_ok(p->image_url);

	put_str(o, "<!DOCTYPE html>\n"
	    "<html lang=\"en\" prefix=\"og: https://ogp.me/ns#\">\n"
	    "<head>\n<meta charset=\"utf-8\">\n"
	    "<meta name=\"viewport\" content=\"width=device-width, "
	    "initial-scale=1\">\n"
	    "<meta name=\"robots\" content=\"noindex, nofollow\">\n<title>");
	put_escaped(o, p->title);
	put_str(o, "</title>\n");
	put_meta_as(o, "name", "description", p->description);
	emit_cards(o, p, image);
	put_str(o, "<style>" PREVIEW_STYLE "</style>\n</head>\n");
	emit_body(o, p, image);
}

char *
preview_build(const struct preview *p, size_t *len)
{
	struct out	 o = { NULL, 0, false };

	emit(&o, p);
	if (o.overflow || (o.p = malloc(o.n + 1)) == NULL)
		return NULL;
	o.n = 0;
	emit(&o, p);
	o.p[o.n] = '\0';
	if (len != NULL)
		*len = o.n;
	return o.p;
}

/* ---- parsing ---------------------------------------------------------- */

struct span {
	const char	*p;
	size_t		 n;
};

/* The page and how far the scanner has read. */
struct scan {
	const char	*p;
	size_t		 n, i;
};

/* The og: properties the parser keeps, and where each one goes. */
enum og { OG_TITLE, OG_DESCRIPTION, OG_IMAGE, OG_URL, OG_TYPE, OG_COUNT };

static const char *const og_names[OG_COUNT] = {
	"og:title", "og:description", "og:image", "og:url", "og:type",
};

/* What the scan found: spans into the page, still entity-encoded. */
struct found {
	struct span	 og[OG_COUNT];
	bool		 has_og[OG_COUNT];
	struct span	 title;
	bool		 has_title;
};

static bool
span_eq_ci(struct span s, const char *word)
{
	size_t i;

	for (i = 0; i < s.n && word[i] != '\0'; i++)
		if (lower(s.p[i]) != lower(word[i]))
			return false;
	return i == s.n && word[i] == '\0';
}

static bool
at_ci(const struct scan *s, size_t i, const char *word)
{
	size_t n = strlen(word);

	if (i > s->n || s->n - i < n)
		return false;
	for (size_t k = 0; k < n; k++)
		if (lower(s->p[i + k]) != lower(word[k]))
			return false;
	return true;
}

/* Offset of the first word at or after s->i (any case), or s->n. */
static size_t
find_ci(const struct scan *s, const char *word)
{
	for (size_t i = s->i; i < s->n; i++)
		if (at_ci(s, i, word))
			return i;
	return s->n;
}

static void
skip_past(struct scan *s, const char *word)
{
	size_t at = find_ci(s, word);

	s->i = at == s->n ? s->n : at + strlen(word);
}

static void
skip_space(struct scan *s)
{
	while (s->i < s->n && is_space(s->p[s->i]))
		s->i++;
}

/* An attribute value, quoted either way or bare. */
static struct span
attr_value(struct scan *s)
{
	struct span	 v;
	char		 q = s->i < s->n ? s->p[s->i] : '\0';

	if (q == '"' || q == '\'') {
		s->i++;
		v.p = s->p + s->i;
		while (s->i < s->n && s->p[s->i] != q)
			s->i++;
		v.n = (size_t)(s->p + s->i - v.p);
		if (s->i < s->n)
			s->i++;
		return v;
	}
	v.p = s->p + s->i;
	while (s->i < s->n && !is_space(s->p[s->i]) && s->p[s->i] != '>')
		s->i++;
	v.n = (size_t)(s->p + s->i - v.p);
	return v;
}

/*
 * Read attributes up to and past the closing '>', keeping the property
 * (or name, which some pages use instead) and content values.
 */
static void
read_attrs(struct scan *s, struct span *prop, struct span *content)
{
	struct span	 name, value;
	bool		 by_property = false;

	for (;;) {
		while (s->i < s->n && (is_space(s->p[s->i]) ||
		    s->p[s->i] == '/'))
			s->i++;
		if (s->i >= s->n || s->p[s->i] == '>') {
			s->i += s->i < s->n;
			return;
		}
		name.p = s->p + s->i;
		s->i++;		/* a name may start with '=' */
		while (s->i < s->n && !is_space(s->p[s->i]) &&
		    !is_one_of(s->p[s->i], "/>="))
			s->i++;
		name.n = (size_t)(s->p + s->i - name.p);
		skip_space(s);
		value.p = NULL, value.n = 0;
		if (s->i < s->n && s->p[s->i] == '=') {
			s->i++;
			skip_space(s);
			value = attr_value(s);
		}
		if (span_eq_ci(name, "property")) {
			*prop = value;
			by_property = true;
		} else if (span_eq_ci(name, "name") && !by_property)
			*prop = value;
		else if (span_eq_ci(name, "content"))
			*content = value;
	}
}

static void
read_meta(struct scan *s, struct found *f)
{
	struct span	 prop = { NULL, 0 }, content = { NULL, 0 };

	read_attrs(s, &prop, &content);
	if (prop.p == NULL || content.p == NULL)
		return;
	for (int k = 0; k < OG_COUNT; k++) {
		if (!f->has_og[k] && span_eq_ci(prop, og_names[k])) {
			f->og[k] = content;
			f->has_og[k] = true;
		}
	}
}

/* After <title ...>: its text runs to </title> or the end of the page. */
static void
read_title(struct scan *s, struct found *f)
{
	size_t end = find_ci(s, "</title");

	if (!f->has_title) {
		f->title.p = s->p + s->i;
		f->title.n = end - s->i;
		f->has_title = true;
	}
	s->i = end;
}

/* A start tag, s->i just after its '<'. */
static void
read_tag(struct scan *s, struct found *f)
{
	struct span	 name = { s->p + s->i, 0 };
	struct span	 ignored = { NULL, 0 };

	while (s->i < s->n && is_alnum(s->p[s->i]))
		s->i++;
	name.n = (size_t)(s->p + s->i - name.p);
	if (span_eq_ci(name, "meta")) {
		read_meta(s, f);
		return;
	}
	read_attrs(s, &ignored, &ignored);
	if (span_eq_ci(name, "title"))
		read_title(s, f);
	else if (span_eq_ci(name, "script"))
		s->i = find_ci(s, "</script");
	else if (span_eq_ci(name, "style"))
		s->i = find_ci(s, "</style");
	else if (span_eq_ci(name, "textarea"))
		s->i = find_ci(s, "</textarea");
}

static void
scan_page(struct scan *s, struct found *f)
{
	const char *lt;

	while (s->i < s->n &&
	    (lt = memchr(s->p + s->i, '<', s->n - s->i)) != NULL) {
		s->i = (size_t)(lt - s->p) + 1;
		if (at_ci(s, s->i, "!--"))
			skip_past(s, "-->");
		else if (s->i < s->n && is_one_of(s->p[s->i], "/!?"))
			skip_past(s, ">");
		else if (s->i < s->n && is_alpha(s->p[s->i]))
			read_tag(s, f);
	}
}

/* Code point cp as UTF-8 into o; U+FFFD for what HTML would refuse. */
static size_t
put_utf8(char *o, unsigned long cp)
{
	if (cp == 0 || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		cp = 0xfffd;
	if (cp < 0x80) {
		o[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		o[0] = (char)(0xc0 | cp >> 6);
		o[1] = (char)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000) {
		o[0] = (char)(0xe0 | cp >> 12);
		o[1] = (char)(0x80 | (cp >> 6 & 0x3f));
		o[2] = (char)(0x80 | (cp & 0x3f));
		return 3;
	}
	o[0] = (char)(0xf0 | cp >> 18);
	o[1] = (char)(0x80 | (cp >> 12 & 0x3f));
	o[2] = (char)(0x80 | (cp >> 6 & 0x3f));
	o[3] = (char)(0x80 | (cp & 0x3f));
	return 4;
}

static int
digit_value(int c, int base)
{
	int v = c >= '0' && c <= '9' ? c - '0' :
	    lower(c) >= 'a' && lower(c) <= 'f' ? lower(c) - 'a' + 10 : 99;

	return v < base ? v : -1;
}

/*
 * "&#NN;" or "&#xNN;" at s[0..n): bytes read, or 0 when it is not one.
 * At most 8 digits, so the value cannot overflow; longer ones stay text.
 * The UTF-8 (at most 4 bytes) is never longer than the reference
 * (at least 4 characters).
 */
static size_t
numeric_ref(const char *s, size_t n, char *o, size_t *olen)
{
	unsigned long	 cp = 0;
	size_t		 i = 2, first;
	int		 base = 10, d;

	if (n < 4 || s[1] != '#')
		return 0;
	if (lower(s[2]) == 'x')
		base = 16, i = 3;
	for (first = i; i < n && i - first < 8 &&
	    (d = digit_value(s[i], base)) >= 0; i++)
		cp = cp * (unsigned long)base + (unsigned long)d;
	if (i == first || i >= n || s[i] != ';')
		return 0;
	*olen = put_utf8(o, cp);
	return i + 1;
}

/* The entity at s[0..n) (s[0] == '&'): bytes read, or 0 for plain text. */
static size_t
entity(const char *s, size_t n, char *o, size_t *olen)
{
	static const struct {
		const char	*ref;
		char		 c;
	} named[] = {
		{ "&amp;", '&' }, { "&lt;", '<' }, { "&gt;", '>' },
		{ "&quot;", '"' }, { "&apos;", '\'' },
	};

	for (size_t k = 0; k < sizeof(named) / sizeof(named[0]); k++) {
		size_t len = strlen(named[k].ref);
		if (n >= len && memcmp(s, named[k].ref, len) == 0) {
			*o = named[k].c;
			*olen = 1;
			return len;
		}
	}
	return numeric_ref(s, n, o, olen);
}

/* A new string: s with its entities decoded; NULL when out of memory. */
static char *
decode(struct span s)
{
	char	*out, *o;
	size_t	 i = 0, used, olen;

	if ((out = malloc(s.n + 1)) == NULL)
		return NULL;
	for (o = out; i < s.n; o += olen, i += used) {
		olen = 1, used = 1;
		if (s.p[i] != '&' ||
		    (used = entity(s.p + i, s.n - i, o, &olen)) == 0) {
			*o = s.p[i];
			olen = 1, used = 1;
		}
	}
	*o = '\0';
	return out;
}

static struct span
trim(struct span s)
{
	while (s.n > 0 && is_space(s.p[0]))
		s.p++, s.n--;
	while (s.n > 0 && is_space(s.p[s.n - 1]))
		s.n--;
	return s;
}

void
preview_parsed_free(struct preview_parsed *p)
{
	if (p == NULL)
		return;
	free(p->title);
	free(p->description);
	free(p->image_url);
	free(p->url);
	free(p->type);
	memset(p, 0, sizeof(*p));
}

enum tgerr
preview_parse(const char *html, size_t len, struct preview_parsed *out)
{
	struct scan	 s = { html, len, 0 };
	struct found	 f;
	char		**dst[OG_COUNT] = {
		&out->title, &out->description, &out->image_url, &out->url,
		&out->type,
	};

	memset(out, 0, sizeof(*out));
	memset(&f, 0, sizeof(f));
	if (html == NULL)
		return TGERR_FIELD_MISSING;
	scan_page(&s, &f);
	if (!f.has_og[OG_TITLE] && !f.has_title)
		return TGERR_FIELD_MISSING;
	if (!f.has_og[OG_TITLE]) {
		f.og[OG_TITLE] = trim(f.title);
		f.has_og[OG_TITLE] = true;
	}
	for (int k = 0; k < OG_COUNT; k++)
		if (f.has_og[k] && (*dst[k] = decode(f.og[k])) == NULL)
			goto fail;
	return TGERR_OK;
fail:
	preview_parsed_free(out);
	return TGERR_NOMEM;
}
