/*
 * Tests of preview: hostile display strings stay text, image URLs are
 * filtered, pages round-trip, other relays' pages parse, garbage does not
 * crash the parser.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/evp.h>

#include "tglimits.h"
#include "preview.h"
#include "testutil.h"

static const char *const hostile[] = {
	"<script>alert(1)</script>",
	"<SCRIPT SRC=//evil.example/x.js></SCRIPT>",
	"\"><img src=x onerror=alert(1)>",
	"' onmouseover='alert(1)",
	"\" onmouseover=\"alert(1)",
	"&amp;",
	"&lt;script&gt;",
	"</title><script>alert(1)</script>",
	"--><!-- <meta property=\"og:title\" content=\"x\">",
	"Hôtel Pass \xe2\x80\x94 \xf0\x9f\x8f\xa8 caf\xc3\xa9",
	"line one\nline two\ttabbed",
	"`backtick` \\ backslash = equals",
};

static int
in_list(const char *s, size_t n, const char *const *list)
{
	for (; *list != NULL; list++)
		if (strlen(*list) == n && strncmp(s, *list, n) == 0)
			return 1;
	return 0;
}

/*
 * One tag at *p (just after '<'): a known name, then known attributes
 * whose values are double-quoted and hold no quote or angle bracket.
 * Returns 0 on anything else.
 */
static int
tag_ok(const char **p)
{
	static const char *const tags[] = { "!DOCTYPE", "html", "/html",
	    "head", "/head", "meta", "title", "/title", "style", "/style",
	    "body", "/body", "main", "/main", "img", "h1", "/h1", "h2", "/h2",
	    "p", "/p", "ol", "/ol", "li", "/li", "time", "/time", "code",
	    "/code", "footer", "/footer", NULL };
	static const char *const attrs[] = { "html", "lang", "prefix",
	    "charset", "name", "property", "content", "class", "src", "alt",
	    "datetime", NULL };
	const char *s = *p;
	size_t n = strcspn(s, " >");

	if (!in_list(s, n, tags))
		return 0;
	for (s += n; *s == ' '; ) {
		s++;
		n = strcspn(s, "= >");
		if (!in_list(s, n, attrs))
			return 0;
		s += n;
		if (*s != '=')
			continue;
		if (s[1] != '"')
			return 0;
		s += 2;
		n = strcspn(s, "\"'<>");
		if (s[n] != '"')
			return 0;
		s += n + 1;
	}
	if (*s != '>')
		return 0;
	*p = s + 1;
	return 1;
}

/* Every '<' starts an allowed tag; text holds no quote or '>'. */
static int
page_ok(const char *page)
{
	const char *p = page;

	while (*p != '\0') {
		if (*p == '<') {
			p++;
			if (!tag_ok(&p))
				return 0;
		} else if (*p == '>' || *p == '"' || *p == '\'') {
			return 0;
		} else {
			p++;
		}
	}
	return 1;
}

static int
has_ci(const char *hay, const char *needle)
{
	size_t n = strlen(needle);

	for (; *hay != '\0'; hay++)
		if (strncasecmp(hay, needle, n) == 0)
			return 1;
	return 0;
}

static char *
build(const char *title, const char *desc, const char *image,
    const char *url)
{
	struct preview	 p = { title, desc, image, url, 0 };
	size_t		 len = 0;
	char		*page = preview_build(&p, &len);

	CU_ASSERT_FATAL(page != NULL);
	CU_ASSERT(strlen(page) == len);
	return page;
}

/* Parse from an unterminated copy, so reading past len is caught. */
static enum tgerr
parse(const char *html, size_t len, struct preview_parsed *out)
{
	char		*copy = malloc(len > 0 ? len : 1);
	enum tgerr	 err;

	CU_ASSERT_FATAL(copy != NULL);
	memcpy(copy, html, len);
	err = preview_parse(copy, len, out);
	free(copy);
	return err;
}

static int
same(const char *got, const char *want)
{
	if (got == NULL || want == NULL)
		return got == want;
	return strcmp(got, want) == 0;
}

static void
test_hostile(void)
{
	struct preview_parsed	 pp;
	char			*page;

	for (size_t i = 0; i < sizeof(hostile) / sizeof(hostile[0]); i++) {
		const char *h = hostile[i];
		page = build(h, h, h, h);
		if (!page_ok(page))
			fprintf(stderr, "\nunsafe page for %s:\n%s\n", h, page);
		CU_ASSERT(page_ok(page));
		CU_ASSERT(!has_ci(page, "<script"));
		CU_ASSERT(!has_ci(page, "<img"));
		CU_ASSERT(strstr(page, "og:image") == NULL);
		CU_ASSERT(parse(page, strlen(page), &pp) == TGERR_OK);
		CU_ASSERT(same(pp.title, h));
		CU_ASSERT(same(pp.description, h));
		CU_ASSERT(same(pp.url, h));
		CU_ASSERT(pp.image_url == NULL);
		preview_parsed_free(&pp);
		free(page);
	}
}

static void
test_escaping(void)
{
	char *page = build("&amp; <b>\"x\" 'y'", "caf\xc3\xa9", NULL, NULL);

	CU_ASSERT(strstr(page, "<title>&amp;amp; &lt;b&gt;&quot;x&quot; "
	    "&#39;y&#39;</title>") != NULL);
	CU_ASSERT(strstr(page, "content=\"caf\xc3\xa9\"") != NULL);
	CU_ASSERT(strncmp(page, "<!DOCTYPE html>\n", 16) == 0);
	CU_ASSERT(strstr(page, "<meta charset=\"utf-8\">") != NULL);
	CU_ASSERT(strstr(page, "<meta property=\"og:type\" "
	    "content=\"website\">") != NULL);
	CU_ASSERT(strstr(page, "og:url") == NULL);
	free(page);
}

static void
test_controls_dropped(void)
{
	struct preview_parsed	 pp;
	char			*page = build("a\x01" "b\rc\x7f" "d", "", NULL, "");

	CU_ASSERT(page_ok(page));
	CU_ASSERT(preview_parse(page, strlen(page), &pp) == TGERR_OK);
	CU_ASSERT(same(pp.title, "abcd"));
	CU_ASSERT(same(pp.description, ""));
	CU_ASSERT(same(pp.url, ""));
	preview_parsed_free(&pp);
	free(page);
}

static void
test_image_ok(void)
{
	static const char *const good[] = {
		"https://example.com/photos/photo.jpg",
		"HTTPS://ok.example/x.png",
		"hTtPs://ok.example",
		"https://example.com:8443/a?b=c&d=e#f",
		"https://[2001:db8::1]/x",
		"https://user@example.com/x",
	};
	static const char *const bad[] = {
		"", "javascript:alert(1)", "JAVASCRIPT:alert(1)",
		"data:image/png;base64,AAAA", "http://example.com/a.png",
		"//example.com/a.png", " https://example.com/", "https:",
		"https://", "https:///path", "https://:443/", "https://[]/",
		"https://user@/x", "https:example.com",
		"https://example.com/a b", "https://example.com/\"x",
		"https://example.com/'x", "https://example.com/<x>",
		"https://example.com/a\\b", "https://example.com/`x`",
		"https://example.com/\t", "https://example.com/\x7f",
		"https://example.com/caf\xc3\xa9",
		"https://e/\" onerror=\"alert(1)",
	};
	char long_url[TG_IMAGEURL_MAX + 2];

	CU_ASSERT(!preview_image_ok(NULL));
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		CU_ASSERT(preview_image_ok(good[i]));
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (preview_image_ok(bad[i]))
			fprintf(stderr, "\nimage URL accepted: %s\n", bad[i]);
		CU_ASSERT(!preview_image_ok(bad[i]));
	}
	memset(long_url, 'a', sizeof(long_url) - 1);
	long_url[sizeof(long_url) - 1] = '\0';
	memcpy(long_url, "https://", 8);
	CU_ASSERT(!preview_image_ok(long_url));
	long_url[TG_IMAGEURL_MAX] = '\0';
	CU_ASSERT(preview_image_ok(long_url));
}

static void
test_image_in_page(void)
{
	struct preview_parsed	 pp;
	char			*page;

	page = build("t", "d", "javascript:alert(1)", NULL);
	CU_ASSERT(strstr(page, "og:image") == NULL);
	CU_ASSERT(strstr(page, "javascript") == NULL);
	free(page);
	page = build("t", "d", "http://example.com/a.png", NULL);
	CU_ASSERT(strstr(page, "og:image") == NULL);
	free(page);
	page = build("t", "d", "HTTPS://ok.example/a.png?x=1&y=2", NULL);
	CU_ASSERT(strstr(page, "<meta property=\"og:image\" "
	    "content=\"HTTPS://ok.example/a.png?x=1&amp;y=2\">") != NULL);
	CU_ASSERT(preview_parse(page, strlen(page), &pp) == TGERR_OK);
	CU_ASSERT(same(pp.image_url, "HTTPS://ok.example/a.png?x=1&y=2"));
	preview_parsed_free(&pp);
	free(page);
}

static void
test_round_trip(void)
{
	static const struct preview cases[] = {
		{ "Hotel Pass", "Some Hotel Pass",
		  "https://example.com/photos/photo.jpg",
		  "https://relay.example/v1/m/"
		  "0f8fad5b-d9cb-469f-a165-70867728950e", 1893456000 },
		{ "Caf\xc3\xa9 \xf0\x9f\x94\x91 \xe2\x80\x94 key", "",
		  NULL, NULL, 0 },
		{ "a < b > c & \"d\" 'e'", "&amp; &lt; &#39; &#x41; &quot",
		  "https://x.example/?q=&amp;", "https://r.example/v1/m/x", 1 },
		{ "  spaced  ", "multi\nline\n\tdescription", NULL, "", 0 },
	};
	struct preview_parsed	 pp;
	size_t			 len;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct preview *c = &cases[i];
		char *page = preview_build(c, &len);
		CU_ASSERT_FATAL(page != NULL);
		CU_ASSERT(page_ok(page));
		CU_ASSERT_FATAL(parse(page, len, &pp) == TGERR_OK);
		CU_ASSERT(same(pp.title, c->title));
		CU_ASSERT(same(pp.description, c->description));
		CU_ASSERT(same(pp.image_url, c->image_url));
		CU_ASSERT(same(pp.url, c->url));
		CU_ASSERT(same(pp.type, "website"));
		preview_parsed_free(&pp);
		free(page);
	}
}

/* A page as another relay might write it. */
static const char third_party[] =
	"<!doctype html>\n"
	"<HTML prefix='og: https://ogp.me/ns#'>\n<head>\n"
	"<!-- <meta property=\"og:title\" content=\"commented out\"> -->\n"
	"<script>var s = '<meta property=\"og:title\" content=\"script\">';"
	"</script>\n"
	"<style>p { content: '<meta property=og:type content=css>' }"
	"</style>\n"
	"<Title lang=en>\n  Hotel &amp; Spa Pass \n</TITLE>\n"
	"<META content='Some &quot;Hotel&quot; Pass &amp; Spa &#39;x&#39; "
	"&#x1F3E8; &#233; &copy; &#xZZ; &#123456789; &#0;' "
	"property='og:description'/>\n"
	"<meta data-x=\">\" property=og:type content=website>\n"
	"<meta name=\"og:url\" content=\"https://relay.example/v1/m/123\">\n"
	"<meta\n  property = \"og:image\"\n  content = "
	"\"https://example.com/photos/photo.jpg\" />\n"
	"<meta property=\"og:image\" content=\"https://second.example/\">\n"
	"<meta property=\"og:image:width\" content=\"612\" />\n"
	"<link rel=stylesheet href=\"x.css\">\n"
	"</head><body><p>text &unknown; & <b>bold</b> 1 < 2</p></body></HTML>";

static void
test_third_party(void)
{
	struct preview_parsed pp;

	CU_ASSERT_FATAL(parse(third_party, strlen(third_party), &pp) ==
	    TGERR_OK);
	CU_ASSERT(same(pp.title, "Hotel & Spa Pass"));
	CU_ASSERT(same(pp.description, "Some \"Hotel\" Pass & Spa 'x' "
	    "\xf0\x9f\x8f\xa8 \xc3\xa9 &copy; &#xZZ; &#123456789; "
	    "\xef\xbf\xbd"));
	CU_ASSERT(same(pp.type, "website"));
	CU_ASSERT(same(pp.url, "https://relay.example/v1/m/123"));
	CU_ASSERT(same(pp.image_url, "https://example.com/photos/photo.jpg"));
	preview_parsed_free(&pp);
}

/* Figure 6 of the draft: og:title wins over <title>. */
static void
test_draft_example(void)
{
	static const char page[] =
	    "<html prefix=\"og: https://ogp.me/ns#\">\n <head>\n"
	    " <title>Old Title</title>\n"
	    " <meta property=\"og:title\" content=\"Hotel Pass\" />\n"
	    " <meta property=\"og:type\" content=\"image/jpeg\" />\n"
	    " <meta property=\"og:description\" content=\"Some Hotel Pass\" />\n"
	    " <meta property=\"og:url\" content=\"share://\" />\n"
	    " <meta property=\"og:image\" "
	    "content=\"https://example.com/photos/photo.jpg\" /></head>\n"
	    " </html>";
	struct preview_parsed pp;

	CU_ASSERT_FATAL(parse(page, strlen(page), &pp) == TGERR_OK);
	CU_ASSERT(same(pp.title, "Hotel Pass"));
	CU_ASSERT(same(pp.type, "image/jpeg"));
	CU_ASSERT(same(pp.description, "Some Hotel Pass"));
	CU_ASSERT(same(pp.url, "share://"));
	preview_parsed_free(&pp);
}

static void
test_no_title(void)
{
	static const char *const pages[] = {
		"",
		"<html><head><meta property='og:description' content='x'>",
		"<!-- <title>hidden</title> --><p>no title</p>",
		"<script><title>in script</title></script>",
		"<meta property=\"og:title\"><meta content=\"x\">",
		"plain text, no markup",
	};
	struct preview_parsed pp;

	for (size_t i = 0; i < sizeof(pages) / sizeof(pages[0]); i++) {
		CU_ASSERT(parse(pages[i], strlen(pages[i]), &pp) ==
		    TGERR_FIELD_MISSING);
		CU_ASSERT(pp.title == NULL && pp.description == NULL &&
		    pp.image_url == NULL && pp.url == NULL && pp.type == NULL);
	}
	CU_ASSERT(preview_parse(NULL, 0, &pp) == TGERR_FIELD_MISSING);
}

/* Every prefix of a page, and pseudo-random bytes from a markup alphabet. */
static void
test_garbage(void)
{
	static const char alphabet[] = "<>/!-=\"'&#;xX0123456789 \n\0"
	    "metaproptitlecontnog:scriptyle\xc3\xff";
	struct preview_parsed	 pp;
	unsigned long		 seed = 12345;
	char			 buf[512];
	enum tgerr		 err;

	for (size_t n = 0; n <= sizeof(third_party) - 1; n++) {
		err = parse(third_party, n, &pp);
		CU_ASSERT(err == TGERR_OK || err == TGERR_FIELD_MISSING);
		preview_parsed_free(&pp);
	}
	for (int round = 0; round < 20000; round++) {
		size_t n = (size_t)(round % (int)sizeof(buf));
		for (size_t i = 0; i < n; i++) {
			seed = seed * 1103515245UL + 12345UL;
			buf[i] = alphabet[(seed >> 16) % (sizeof(alphabet) - 1)];
		}
		err = parse(buf, n, &pp);
		CU_ASSERT(err == TGERR_OK || err == TGERR_FIELD_MISSING);
		if (err == TGERR_OK)
			CU_ASSERT(pp.title != NULL && strlen(pp.title) <= n);
		preview_parsed_free(&pp);
	}
	preview_parsed_free(NULL);
}

/* The <style> text of a page, and its CSP hash source into out. */
static void
style_hash(const char *page, char *out, size_t size)
{
	const char	*a = strstr(page, "<style>"), *b;
	unsigned char	 md[32];
	char		 b64[64];
	unsigned int	 n = 0;

	CU_ASSERT_FATAL(a != NULL);
	a += 7;
	b = strstr(a, "</style>");
	CU_ASSERT_FATAL(b != NULL);
	CU_ASSERT_FATAL(EVP_Digest(a, (size_t)(b - a), md, &n, EVP_sha256(),
	    NULL) == 1 && n == 32);
	EVP_EncodeBlock((unsigned char *)b64, md, 32);
	snprintf(out, size, "'sha256-%s'", b64);
}

/* The landing page: viewport, cards, image, expiration, next steps. */
static void
test_landing_page(void)
{
	struct preview	 p = { "Car key", "Blue car\nparked outside",
	    "https://example.com/car.png", "https://r.example/v1/m/x",
	    1893490200 };	/* 2030-01-01T09:30:00Z */
	char		*page = preview_build(&p, NULL), hash[80];
	static const char *const want[] = {
		"<meta name=\"viewport\" content=\"width=device-width, "
		    "initial-scale=1\">",
		"<meta property=\"og:site_name\" content=\"TIGRESS "
		    "credential sharing\">",
		"<meta property=\"og:image:alt\" content=\"Car key\">",
		"<meta name=\"twitter:card\" content=\"summary_large_image\">",
		"<meta name=\"twitter:title\" content=\"Car key\">",
		"<meta name=\"twitter:image\" "
		    "content=\"https://example.com/car.png\">",
		"<img class=\"art\" src=\"https://example.com/car.png\" "
		    "alt=\"Car key\">",
		"<p class=\"desc\">Blue car\nparked outside</p>",
		"Available until <time datetime=\"2030-01-01T09:30:00Z\">"
		    "1 January 2030, 09:30 UTC</time>",
		"<code>tigress accept</code>",
		"wallet app",
	};

	CU_ASSERT_FATAL(page != NULL);
	CU_ASSERT(page_ok(page));
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		if (strstr(page, want[i]) == NULL)
			fprintf(stderr, "\nmissing: %s\n", want[i]);
		CU_ASSERT(strstr(page, want[i]) != NULL);
	}
	style_hash(page, hash, sizeof(hash));
	if (strstr(PREVIEW_CSP, hash) == NULL)
		fprintf(stderr, "\nPREVIEW_CSP must allow the style: %s\n",
		    hash);
	CU_ASSERT(strstr(PREVIEW_CSP, hash) != NULL);
	CU_ASSERT(strstr(PREVIEW_CSP, "script") == NULL);
	free(page);
	/* no image, no description, no expiration: their lines go */
	p.image_url = "http://example.com/car.png";
	p.description = "";
	p.expires = 0;
	page = preview_build(&p, NULL);
	CU_ASSERT_FATAL(page != NULL);
	CU_ASSERT(strstr(page, "<img") == NULL);
	CU_ASSERT(strstr(page, "image") == NULL);
	CU_ASSERT(strstr(page, "class=\"desc\"") == NULL);
	CU_ASSERT(strstr(page, "<time") == NULL);
	CU_ASSERT(strstr(page, "content=\"summary\"") != NULL);
	free(page);
}

void tu_suite_preview(void);

void
tu_suite_preview(void)
{
	tu_add("preview", "hostile strings stay text", test_hostile);
	tu_add("preview", "escaping", test_escaping);
	tu_add("preview", "landing page", test_landing_page);
	tu_add("preview", "control characters dropped", test_controls_dropped);
	tu_add("preview", "image URL filter", test_image_ok);
	tu_add("preview", "image URL in page", test_image_in_page);
	tu_add("preview", "build-parse round trip", test_round_trip);
	tu_add("preview", "third-party page", test_third_party);
	tu_add("preview", "draft example", test_draft_example);
	tu_add("preview", "no title", test_no_title);
	tu_add("preview", "garbage", test_garbage);
}
