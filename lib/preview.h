/*
 * preview: the display-information page of ReadDisplayInformationFromMailbox
 * (http-00 §6.4): an HTML5 document with OpenGraph tags, built by the
 * relay and read by clients.  Building escapes every display string and
 * emits no script; parsing reads the og: meta tags of any relay's page.
 */
#ifndef TIGRESS_PREVIEW_H
#define TIGRESS_PREVIEW_H

#include <stdbool.h>
#include <stddef.h>

#include "tgerr.h"

#include <stdint.h>

struct preview {
	const char	*title;
	const char	*description;
	const char	*image_url;	/* shown only if preview_image_ok() */
	const char	*url;		/* og:url: the mailbox URL */
	int64_t		 expires;	/* epoch seconds; 0: not shown */
};

/*
 * The Content-Security-Policy a relay sends with the page: nothing may
 * load but https images, and the one inline style, by its hash; no
 * script, no base, no form, no framing.
 */
#define PREVIEW_CSP "default-src 'none'; img-src https:; style-src " \
	"'sha256-jd4xvgy8u6qjp813rp9QyWSvnFHsMPRrQMZzNTd4yzU='; " \
	"base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

/*
 * True when image_url may appear in the page (errata E-IMAGEURL): it
 * starts with "https://" (case-insensitive), has a host, and has no
 * character outside printable ASCII 0x21-0x7E and none of " ' < > \ `.
 * (It is also at most TG_IMAGEURL_MAX bytes long.)
 */
bool preview_image_ok(const char *image_url);

/*
 * Build the page for *p.  Returns a new NUL-terminated buffer the caller
 * frees, with its length in *len, or NULL when memory ran out.  The page
 * is valid HTML5 and a landing page for a recipient without a wallet app:
 * <!DOCTYPE html>, <html lang="en" prefix="og: ...">, <meta charset>,
 * a viewport for phones, <title>, the OpenGraph tags og:site_name,
 * og:type "website", og:title, og:description, og:url, og:image and
 * og:image:alt, and the Twitter card tags (twitter:card "summary" or
 * "summary_large_image", title, description, image, image:alt); a body
 * with the image, title, description and expiration ("Available until
 * 1 January 2030, 09:30 UTC"), and what to do next.  The image and its
 * tags appear only when preview_image_ok().  Every string is
 * HTML-escaped (& < > " ' as entities); the one <style> is a fixed text
 * whose hash PREVIEW_CSP allows; no script or event attribute is ever
 * emitted.  (A NULL title or description shows as empty and a NULL url
 * leaves out og:url; an empty description and a zero expiration leave
 * their lines out of the body; control characters other than tab and
 * newline are dropped.)
 */
char *preview_build(const struct preview *p, size_t *len);

/* A parsed page: every member is a new string (or NULL when absent). */
struct preview_parsed {
	char	*title;
	char	*description;
	char	*image_url;
	char	*url;
	char	*type;
};

/*
 * Read the og:title, og:description, og:image, og:url and og:type meta
 * tags of html[0..len) (attributes in any order, either quote, entities
 * &amp; &lt; &gt; &quot; &#39; &#NN; &#xNN; decoded), falling back to
 * <title> for a missing og:title.  Errors: TGERR_FIELD_MISSING when
 * there is no title at all, TGERR_NOMEM.  Free with preview_parsed_free().
 * (Also read: &apos;, and name= where a tag has no property=; the
 * <title> fallback is trimmed of white space.  image_url is returned as
 * found: check it with preview_image_ok() before use.  Each string is at
 * most len bytes long.)
 */
enum tgerr preview_parse(const char *html, size_t len,
    struct preview_parsed *out);

void preview_parsed_free(struct preview_parsed *p);

#endif
