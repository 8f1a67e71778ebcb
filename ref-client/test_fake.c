/* test_fake: the scripted transport and clock of the client tests. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "test_fake.h"

static enum http_err
fake_send(void *impl, const struct http_request *req,
    struct http_response *resp, char *why)
{
	struct fake		*f = impl;
	struct fake_seen	*s;
	const struct fake_reply	*r;
	size_t			 n = 0;

	memset(resp, 0, sizeof(*resp));
	why[0] = '\0';
	if (f->nseen >= FAKE_MAX || f->next >= f->nreplies) {
		snprintf(why, HTTP_WHY_SIZE, "fake: no scripted answer");
		return HTTP_ERR_OTHER;
	}
	s = &f->seen[f->nseen++];
	snprintf(s->method, sizeof(s->method), "%s", req->method);
	snprintf(s->url, sizeof(s->url), "%s", req->url);
	s->timeout = req->timeout;
	for (size_t i = 0; i < req->nheaders && n < sizeof(s->headers); i++) {
		n += (size_t)snprintf(s->headers + n, sizeof(s->headers) - n,
		    "%s: %s\n", req->headers[i].name, req->headers[i].value);
		if (strcasecmp(req->headers[i].name, "Mailbox-Request-ID") == 0)
			snprintf(s->request_id, sizeof(s->request_id), "%s",
			    req->headers[i].value);
	}
	s->body = req->body != NULL ? strndup(req->body, req->body_len) : NULL;
	r = &f->replies[f->next++];
	f->now_ms += r->held_ms;
	if (r->err != HTTP_OK) {
		snprintf(why, HTTP_WHY_SIZE, "fake: %s", http_strerror(r->err));
		return r->err;
	}
	resp->status = r->status;
	if (r->body != NULL) {
		resp->body = strdup(r->body);
		resp->body_len = strlen(r->body);
	}
	snprintf(resp->etag, sizeof(resp->etag), "%s", r->etag ? r->etag : "");
	resp->request_id_present = !r->no_request_id;
	snprintf(resp->request_id, sizeof(resp->request_id), "%s",
	    r->request_id != NULL ? r->request_id : s->request_id);
	return HTTP_OK;
}

static int64_t
fake_now(void *arg)
{
	return ((struct fake *)arg)->now_ms;
}

static void
fake_sleep(void *arg, long ms)
{
	struct fake *f = arg;

	if (f->nsleeps < FAKE_MAX)
		f->slept_ms[f->nsleeps++] = ms;
	f->now_ms += ms;
}

void
fake_init(struct fake *f)
{
	memset(f, 0, sizeof(*f));
	f->t.send = fake_send;
	f->t.impl = f;
	f->now_ms = 1000000;
}

void
fake_free(struct fake *f)
{
	for (size_t i = 0; i < f->nseen; i++)
		free(f->seen[i].body);
	memset(f, 0, sizeof(*f));
}

void
fake_push(struct fake *f, enum http_err err, long status, const char *body,
    const char *etag)
{
	struct fake_reply *r;

	if (f->nreplies >= FAKE_MAX)
		return;
	r = &f->replies[f->nreplies++];
	r->err = err;
	r->status = status;
	r->body = body;
	r->etag = etag;
	r->request_id = NULL;
	r->held_ms = 0;
}

void
fake_ctx(struct fake *f, struct client_ctx *ctx)
{
	client_ctx_init(ctx, &f->t);
	ctx->now_ms = fake_now;
	ctx->sleep_ms = fake_sleep;
	ctx->arg = f;
}

const char *
fake_header(const struct fake_seen *s, const char *name, char *buf,
    size_t size)
{
	size_t		 n = strlen(name);
	const char	*p = s->headers, *end;

	for (; *p != '\0'; p = end + 1) {
		if ((end = strchr(p, '\n')) == NULL)
			break;
		if (strncasecmp(p, name, n) == 0 && p[n] == ':') {
			snprintf(buf, size, "%.*s", (int)(end - p - n - 2),
			    p + n + 2);
			return buf;
		}
	}
	return NULL;
}
