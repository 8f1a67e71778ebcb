/*
 * http: the one place the client touches libcurl.  It sends one HTTPS
 * request and hands back the status, the few response headers the
 * protocol needs and a size-limited body.  Everything above it (client.c)
 * works through struct http_transport, so tests can put a fake transport
 * in its place.  Nothing here knows the protocol; nothing here prints.
 *
 * Certificate verification is on unless the caller asks for insecure mode
 * explicitly.  Only https URLs are accepted, redirects are not followed.
 * Callers pass URLs without a fragment (the share URL's Secret never
 * reaches this module); the libcurl transport refuses a URL that has one.
 */
#ifndef TIGRESS_CLIENT_HTTP_H
#define TIGRESS_CLIENT_HTTP_H

#include <stdbool.h>
#include <stddef.h>

#include "tglimits.h"

#define HTTP_HEADERS_MAX	8	/* request headers a caller may add */
#define HTTP_BODY_MAX		TG_BODY_MAX	/* response bodies kept */
#define HTTP_WHY_SIZE		256	/* transport failure detail */
#define HTTP_ETAG_MAX		64
#define HTTP_CTYPE_MAX		128

enum http_err {
	HTTP_OK = 0,
	HTTP_ERR_NOMEM,		/* out of memory */
	HTTP_ERR_USAGE,		/* bad request description (URL, headers) */
	HTTP_ERR_CONNECT,	/* cannot resolve or connect */
	HTTP_ERR_TIMEOUT,	/* the request took too long */
	HTTP_ERR_DROPPED,	/* connection closed or broken mid-request */
	HTTP_ERR_TLS,		/* handshake or certificate failure */
	HTTP_ERR_TOO_LARGE,	/* response body over HTTP_BODY_MAX */
	HTTP_ERR_PROTOCOL,	/* malformed HTTP answer */
	HTTP_ERR_OTHER,
	HTTP_ERR_COUNT
};

struct http_header {
	const char	*name;
	const char	*value;
};

struct http_request {
	const char		*method;	/* GET POST PUT DELETE PATCH */
	const char		*url;		/* https, no fragment */
	struct http_header	 headers[HTTP_HEADERS_MAX];
	size_t			 nheaders;
	const char		*body;		/* NULL: no body at all */
	size_t			 body_len;	/* sent as application/json */
	long			 timeout;	/* seconds for the whole request */
};

/*
 * An answer.  body is malloc'd and NUL-terminated (body_len excludes the
 * NUL) or NULL when empty; release with http_response_clear().
 */
struct http_response {
	long	 status;
	char	*body;
	size_t	 body_len;
	char	 content_type[HTTP_CTYPE_MAX];
	char	 etag[HTTP_ETAG_MAX];
	char	 request_id[TG_REQUEST_ID_MAX + 1];
	bool	 request_id_present;
	long	 retry_after;		/* seconds, 0 when absent */
};

/*
 * A way of sending requests.  send() fills *resp (always cleared first)
 * and, on failure, a one-line reason in why[HTTP_WHY_SIZE] that never
 * contains a URL fragment.
 */
struct http_transport {
	enum http_err	(*send)(void *impl, const struct http_request *req,
			    struct http_response *resp, char *why);
	void		*impl;
};

struct http_tls {
	const char	*ca_file;	/* NULL: the system trust store */
	bool		 insecure;	/* no certificate verification */
	long		 connect_timeout;	/* seconds */
};

/* A short sentence for err (static). */
const char *http_strerror(enum http_err err);

/* True for the failures after which a retry may succeed: timeout, drop. */
bool http_err_retryable(enum http_err err);

/*
 * Make a libcurl transport in *t.  The settings in *tls are copied.
 * Errors: HTTP_ERR_NOMEM, HTTP_ERR_OTHER (libcurl cannot start).  Release
 * with http_curl_close().
 */
enum http_err http_curl_open(const struct http_tls *tls,
    struct http_transport *t);
void http_curl_close(struct http_transport *t);

/*
 * Check that path is a file of PEM certificates a transport can trust
 * (what libcurl would only report as a TLS failure at the first request).
 * Errors: HTTP_ERR_USAGE with the reason in why[HTTP_WHY_SIZE] (cannot
 * read it, a directory, no PEM certificate in it), HTTP_ERR_NOMEM.
 */
enum http_err http_ca_check(const char *path, char *why);

/* Add a request header; false when there is no room. */
bool http_request_header(struct http_request *req, const char *name,
    const char *value);

/* Free the body and zero *resp. */
void http_response_clear(struct http_response *resp);

#endif
