/*
 * http: the libcurl adapter.  One easy handle per transport, reset before
 * every request (so connections are reused but no option leaks from one
 * request into the next).  Response headers are read by a header callback
 * that keeps only Content-Type, ETag, Mailbox-Request-ID and Retry-After.
 * OpenSSL reads --ca files ahead of libcurl, for a precise message.
 */
#include <sys/stat.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <curl/curl.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "http.h"

#define USER_AGENT	"tigress-ref-client/1"

struct curl_impl {
	CURL		*curl;
	struct http_tls	 tls;
	char		*ca_file;	/* our copy of tls.ca_file */
};

/* What the callbacks of one request fill in. */
struct sink {
	struct http_response	*resp;
	size_t			 cap;
	bool			 too_large;
	bool			 nomem;
};

static const char *const err_text[HTTP_ERR_COUNT] = {
	[HTTP_OK] = "no error",
	[HTTP_ERR_NOMEM] = "out of memory",
	[HTTP_ERR_USAGE] = "bad request",
	[HTTP_ERR_CONNECT] = "cannot connect",
	[HTTP_ERR_TIMEOUT] = "timed out",
	[HTTP_ERR_DROPPED] = "connection dropped",
	[HTTP_ERR_TLS] = "TLS failure",
	[HTTP_ERR_TOO_LARGE] = "answer too large",
	[HTTP_ERR_PROTOCOL] = "malformed HTTP answer",
	[HTTP_ERR_OTHER] = "transfer failed",
};

const char *
http_strerror(enum http_err err)
{
	return (unsigned)err < HTTP_ERR_COUNT ? err_text[err] : "unknown error";
}

bool
http_err_retryable(enum http_err err)
{
	return err == HTTP_ERR_TIMEOUT || err == HTTP_ERR_DROPPED;
}

bool
http_request_header(struct http_request *req, const char *name,
    const char *value)
{
	if (req->nheaders >= HTTP_HEADERS_MAX)
		return false;
	req->headers[req->nheaders].name = name;
	req->headers[req->nheaders].value = value;
	req->nheaders++;
	return true;
}

void
http_response_clear(struct http_response *resp)
{
	free(resp->body);
	memset(resp, 0, sizeof(*resp));
}

static enum http_err
map_curl(CURLcode rc, const struct sink *s)
{
	switch (rc) {
	case CURLE_OK:
		return HTTP_OK;
	case CURLE_OUT_OF_MEMORY:
		return HTTP_ERR_NOMEM;
	case CURLE_URL_MALFORMAT:
	case CURLE_UNSUPPORTED_PROTOCOL:
		return HTTP_ERR_USAGE;
	case CURLE_COULDNT_RESOLVE_PROXY:
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_COULDNT_CONNECT:
		return HTTP_ERR_CONNECT;
	case CURLE_OPERATION_TIMEDOUT:
		return HTTP_ERR_TIMEOUT;
	case CURLE_GOT_NOTHING:
	case CURLE_SEND_ERROR:
	case CURLE_RECV_ERROR:
	case CURLE_PARTIAL_FILE:
		return HTTP_ERR_DROPPED;
	case CURLE_SSL_CONNECT_ERROR:
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_SSL_CERTPROBLEM:
	case CURLE_SSL_CIPHER:
	case CURLE_SSL_CACERT_BADFILE:
	case CURLE_SSL_CRL_BADFILE:
	case CURLE_SSL_ISSUER_ERROR:
	case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
	case CURLE_SSL_INVALIDCERTSTATUS:
	case CURLE_SSL_CLIENTCERT:
	case CURLE_SSL_ENGINE_NOTFOUND:
	case CURLE_SSL_ENGINE_SETFAILED:
	case CURLE_SSL_ENGINE_INITFAILED:
		return HTTP_ERR_TLS;
	case CURLE_WRITE_ERROR:
		return s->too_large ? HTTP_ERR_TOO_LARGE :
		    s->nomem ? HTTP_ERR_NOMEM : HTTP_ERR_OTHER;
	case CURLE_WEIRD_SERVER_REPLY:
	case CURLE_HTTP2:
	case CURLE_HTTP2_STREAM:
		return HTTP_ERR_PROTOCOL;
	default:
		return HTTP_ERR_OTHER;
	}
}

/* Copy s into out as one line of printable ASCII (others become '?'). */
static void
one_line(const char *s, char *out, size_t size)
{
	size_t n = 0;

	for (; s != NULL && *s != '\0' && n + 1 < size; s++) {
		if (*s == '\n' || *s == '\r')
			break;
		out[n++] = (*s >= 0x20 && *s <= 0x7e) ? *s : '?';
	}
	out[n] = '\0';
}

static size_t
on_body(char *data, size_t size, size_t nmemb, void *arg)
{
	struct sink		*s = arg;
	struct http_response	*r = s->resp;
	size_t			 n = size * nmemb;
	char			*p;

	if (n > HTTP_BODY_MAX - r->body_len) {
		s->too_large = true;
		return 0;
	}
	if (r->body_len + n + 1 > s->cap) {
		size_t cap = s->cap == 0 ? 4096 : s->cap;
		while (cap < r->body_len + n + 1)
			cap *= 2;
		if ((p = realloc(r->body, cap)) == NULL) {
			s->nomem = true;
			return 0;
		}
		r->body = p;
		s->cap = cap;
	}
	memcpy(r->body + r->body_len, data, n);
	r->body_len += n;
	r->body[r->body_len] = '\0';
	return n;
}

/* Copy a header value (trimmed) into out; false when it does not fit. */
static bool
header_value(const char *v, size_t n, char *out, size_t size)
{
	while (n > 0 && (*v == ' ' || *v == '\t'))
		v++, n--;
	while (n > 0 && (v[n - 1] == '\r' || v[n - 1] == '\n' ||
	    v[n - 1] == ' ' || v[n - 1] == '\t'))
		n--;
	if (n >= size) {
		out[0] = '\0';
		return false;
	}
	memcpy(out, v, n);
	out[n] = '\0';
	return true;
}

static bool
is_header(const char *line, size_t n, const char *name, size_t *vstart)
{
	size_t len = strlen(name);

	if (n <= len || line[len] != ':' || strncasecmp(line, name, len) != 0)
		return false;
	*vstart = len + 1;
	return true;
}

static long
parse_seconds(const char *s)
{
	long v = 0;

	for (; *s >= '0' && *s <= '9' && v < 1000000; s++)
		v = v * 10 + (*s - '0');
	return v;
}

static size_t
on_header(char *line, size_t size, size_t nmemb, void *arg)
{
	struct http_response	*r = ((struct sink *)arg)->resp;
	size_t			 n = size * nmemb, v;
	char			 tmp[16];

	if (n >= 5 && strncmp(line, "HTTP/", 5) == 0) {
		/* A new response (after 1xx): forget the previous headers. */
		r->content_type[0] = r->etag[0] = r->request_id[0] = '\0';
		r->request_id_present = false;
		r->retry_after = 0;
	} else if (is_header(line, n, "Content-Type", &v)) {
		header_value(line + v, n - v, r->content_type,
		    sizeof(r->content_type));
	} else if (is_header(line, n, "ETag", &v)) {
		header_value(line + v, n - v, r->etag, sizeof(r->etag));
	} else if (is_header(line, n, "Mailbox-Request-ID", &v)) {
		r->request_id_present = true;
		header_value(line + v, n - v, r->request_id,
		    sizeof(r->request_id));
	} else if (is_header(line, n, "Retry-After", &v) &&
	    header_value(line + v, n - v, tmp, sizeof(tmp))) {
		r->retry_after = parse_seconds(tmp);
	}
	return n;
}

static bool
safe_text(const char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s < 0x20 || (unsigned char)*s == 0x7f)
			return false;
	return true;
}

/* The header list of req; NULL with *err set on failure. */
static struct curl_slist *
header_list(const struct http_request *req, enum http_err *err)
{
	struct curl_slist	*list = NULL, *next;
	char			 line[TG_ATTESTATION_MAX + 128];
	const char		*fixed[] = { "Expect:", req->body != NULL &&
	    req->body_len > 0 ? "Content-Type: application/json" :
	    "Content-Type:" };

	*err = HTTP_ERR_NOMEM;
	for (size_t i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++) {
		if ((next = curl_slist_append(list, fixed[i])) == NULL)
			goto fail;
		list = next;
	}
	for (size_t i = 0; i < req->nheaders; i++) {
		const struct http_header *h = &req->headers[i];
		int n = snprintf(line, sizeof(line), "%s: %s", h->name,
		    h->value);
		if (n < 0 || (size_t)n >= sizeof(line) || !safe_text(line)) {
			*err = HTTP_ERR_USAGE;
			goto fail;
		}
		if ((next = curl_slist_append(list, line)) == NULL)
			goto fail;
		list = next;
	}
	return list;
fail:
	curl_slist_free_all(list);
	return NULL;
}

static bool
url_ok(const char *url)
{
	return strncasecmp(url, "https://", 8) == 0 &&
	    strchr(url, '#') == NULL && strlen(url) <= TG_URL_MAX &&
	    safe_text(url);
}

/* Every option of one request; false when libcurl refused one. */
static bool
set_options(struct curl_impl *c, const struct http_request *req,
    struct curl_slist *hdrs, struct sink *s, char *errbuf)
{
	CURL		*h = c->curl;
	bool		 get = strcmp(req->method, "GET") == 0;
	CURLcode	 rc = CURLE_OK;

#define SET(opt, val) do { if (rc == CURLE_OK) \
	rc = curl_easy_setopt(h, opt, val); } while (0)
	SET(CURLOPT_URL, req->url);
	SET(CURLOPT_PROTOCOLS_STR, "https");
	SET(CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_1_1);
	SET(CURLOPT_NOSIGNAL, 1L);
	SET(CURLOPT_FOLLOWLOCATION, 0L);
	SET(CURLOPT_USERAGENT, USER_AGENT);
	SET(CURLOPT_ERRORBUFFER, errbuf);
	SET(CURLOPT_TIMEOUT, req->timeout > 0 ? req->timeout : 30L);
	SET(CURLOPT_CONNECTTIMEOUT, c->tls.connect_timeout > 0 ?
	    c->tls.connect_timeout : 10L);
	SET(CURLOPT_SSL_VERIFYPEER, c->tls.insecure ? 0L : 1L);
	SET(CURLOPT_SSL_VERIFYHOST, c->tls.insecure ? 0L : 2L);
	if (c->ca_file != NULL)
		SET(CURLOPT_CAINFO, c->ca_file);
	SET(CURLOPT_HTTPHEADER, hdrs);
	SET(CURLOPT_WRITEFUNCTION, on_body);
	SET(CURLOPT_WRITEDATA, s);
	SET(CURLOPT_HEADERFUNCTION, on_header);
	SET(CURLOPT_HEADERDATA, s);
	if (get) {
		SET(CURLOPT_HTTPGET, 1L);
	} else {
		if (strcmp(req->method, "POST") != 0 || req->body == NULL)
			SET(CURLOPT_CUSTOMREQUEST, req->method);
		if (req->body != NULL) {
			SET(CURLOPT_POSTFIELDSIZE_LARGE,
			    (curl_off_t)req->body_len);
			SET(CURLOPT_POSTFIELDS, req->body);
		}
	}
#undef SET
	return rc == CURLE_OK;
}

/*
 * why: the reason of a failed transfer in plain words, not libcurl's
 * (which names its own internals: "Failed to connect to 127.0.0.1 port 1
 * after 0 ms: Couldn't connect to server").  The system's and X.509's
 * sentences are kept: "Connection refused", "self-signed certificate".
 */
static void
failure_reason(CURL *h, CURLcode rc, const char *errbuf, char *why)
{
	long	 os_errno = 0, verify = 0;

	curl_easy_getinfo(h, CURLINFO_OS_ERRNO, &os_errno);
	switch (rc) {
	case CURLE_COULDNT_RESOLVE_HOST:
		snprintf(why, HTTP_WHY_SIZE, "cannot resolve its host name");
		return;
	case CURLE_COULDNT_CONNECT:
		snprintf(why, HTTP_WHY_SIZE, "cannot connect (%s)", os_errno ?
		    strerror((int)os_errno) : "no route");
		return;
	case CURLE_OPERATION_TIMEDOUT:
		snprintf(why, HTTP_WHY_SIZE, "no answer in time");
		return;
	case CURLE_GOT_NOTHING:
		snprintf(why, HTTP_WHY_SIZE, "the connection closed without "
		    "an answer");
		return;
	case CURLE_SEND_ERROR:
	case CURLE_RECV_ERROR:
	case CURLE_PARTIAL_FILE:
		snprintf(why, HTTP_WHY_SIZE, "the connection broke off");
		return;
	case CURLE_PEER_FAILED_VERIFICATION:
		curl_easy_getinfo(h, CURLINFO_SSL_VERIFYRESULT, &verify);
		if (verify != X509_V_OK)
			snprintf(why, HTTP_WHY_SIZE, "its certificate is not "
			    "trusted: %s", X509_verify_cert_error_string(verify));
		else	/* the chain is good: the name is not */
			snprintf(why, HTTP_WHY_SIZE, "its certificate is not for "
			    "this host name");
		return;
	case CURLE_SSL_CONNECT_ERROR:
		snprintf(why, HTTP_WHY_SIZE, "the TLS handshake failed (is "
		    "it an HTTPS port?)");
		return;
	default:
		one_line(errbuf[0] != '\0' ? errbuf : curl_easy_strerror(rc),
		    why, HTTP_WHY_SIZE);
	}
}

static enum http_err
curl_send(void *impl, const struct http_request *req,
    struct http_response *resp, char *why)
{
	struct curl_impl	*c = impl;
	struct curl_slist	*hdrs = NULL;
	struct sink		 s = { resp, 0, false, false };
	char			 errbuf[CURL_ERROR_SIZE] = "";
	enum http_err		 err;
	CURLcode		 rc;

	memset(resp, 0, sizeof(*resp));
	why[0] = '\0';
	if (!url_ok(req->url)) {
		one_line("not an https URL without fragment", why,
		    HTTP_WHY_SIZE);
		return HTTP_ERR_USAGE;
	}
	if ((hdrs = header_list(req, &err)) == NULL)
		goto fail;
	curl_easy_reset(c->curl);
	err = HTTP_ERR_OTHER;
	if (!set_options(c, req, hdrs, &s, errbuf))
		goto fail;
	rc = curl_easy_perform(c->curl);
	if ((err = map_curl(rc, &s)) != HTTP_OK) {
		failure_reason(c->curl, rc, errbuf, why);
		goto fail;
	}
	curl_easy_getinfo(c->curl, CURLINFO_RESPONSE_CODE, &resp->status);
	curl_easy_setopt(c->curl, CURLOPT_HTTPHEADER, NULL);
	curl_slist_free_all(hdrs);
	return HTTP_OK;
fail:
	if (why[0] == '\0')
		one_line(http_strerror(err), why, HTTP_WHY_SIZE);
	curl_easy_setopt(c->curl, CURLOPT_HTTPHEADER, NULL);
	curl_slist_free_all(hdrs);
	http_response_clear(resp);
	return err;
}

enum http_err
http_ca_check(const char *path, char *why)
{
	struct stat	 sb;
	BIO		*bio;
	X509		*cert;
	int		 n = 0;

	if (stat(path, &sb) != 0) {
		snprintf(why, HTTP_WHY_SIZE, "cannot read it: %s",
		    strerror(errno));
		return HTTP_ERR_USAGE;
	}
	if (S_ISDIR(sb.st_mode)) {
		snprintf(why, HTTP_WHY_SIZE, "a directory, not a PEM file");
		return HTTP_ERR_USAGE;
	}
	if ((bio = BIO_new_file(path, "r")) == NULL) {
		snprintf(why, HTTP_WHY_SIZE, "cannot read it: %s",
		    strerror(errno));
		ERR_clear_error();
		return HTTP_ERR_USAGE;
	}
	while ((cert = PEM_read_bio_X509(bio, NULL, NULL, NULL)) != NULL) {
		X509_free(cert);
		n++;
	}
	BIO_free(bio);
	ERR_clear_error();	/* the end of the file, or a bad block */
	if (n == 0) {
		snprintf(why, HTTP_WHY_SIZE, "no PEM certificate in it "
		    "(-----BEGIN CERTIFICATE-----)");
		return HTTP_ERR_USAGE;
	}
	return HTTP_OK;
}

enum http_err
http_curl_open(const struct http_tls *tls, struct http_transport *t)
{
	struct curl_impl *c;

	memset(t, 0, sizeof(*t));
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		return HTTP_ERR_OTHER;
	if ((c = calloc(1, sizeof(*c))) == NULL)
		goto nomem;
	c->tls = *tls;
	c->tls.ca_file = NULL;
	if (tls->ca_file != NULL && (c->ca_file = strdup(tls->ca_file)) == NULL)
		goto nomem;
	if ((c->curl = curl_easy_init()) == NULL)
		goto nomem;
	t->send = curl_send;
	t->impl = c;
	return HTTP_OK;
nomem:
	if (c != NULL)
		free(c->ca_file);
	free(c);
	curl_global_cleanup();
	return HTTP_ERR_NOMEM;
}

void
http_curl_close(struct http_transport *t)
{
	struct curl_impl *c = t->impl;

	if (c == NULL)
		return;
	curl_easy_cleanup(c->curl);
	free(c->ca_file);
	free(c);
	curl_global_cleanup();
	memset(t, 0, sizeof(*t));
}
