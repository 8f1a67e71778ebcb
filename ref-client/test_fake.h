/*
 * test_fake: what the CUnit tests of ref-client share: a fake transport
 * that records every request and answers from a script, with a fake clock
 * whose sleeps only advance time; and the suite registration hooks.
 */
#ifndef TIGRESS_CLIENT_TEST_FAKE_H
#define TIGRESS_CLIENT_TEST_FAKE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "client.h"

#define FAKE_MAX	16

struct fake_reply {
	enum http_err	 err;		/* HTTP_OK: answer with status */
	long		 status;
	const char	*body;		/* NULL: none */
	const char	*etag;		/* NULL: none */
	const char	*request_id;	/* NULL: echo the request's */
	bool		 no_request_id;	/* answer without the header */
	long		 held_ms;	/* the fake clock advances so much */
};

struct fake_seen {
	char	 method[8];
	char	 url[TG_URL_MAX + 1];
	char	 request_id[TG_REQUEST_ID_MAX + 1];
	char	 headers[8192];	/* "Name: value\n" lines */
	char	*body;		/* NULL: none */
	long	 timeout;
};

struct fake {
	struct fake_reply	 replies[FAKE_MAX];
	size_t			 nreplies, next;
	struct fake_seen	 seen[FAKE_MAX];
	size_t			 nseen;
	struct http_transport	 t;
	int64_t			 now_ms;
	long			 slept_ms[FAKE_MAX];
	size_t			 nsleeps;
};

void fake_init(struct fake *f);
void fake_free(struct fake *f);

/* Queue an answer (or a transport failure when err != HTTP_OK). */
void fake_push(struct fake *f, enum http_err err, long status,
    const char *body, const char *etag);

/* client_ctx_init() on the fake, with its clock and sleep. */
void fake_ctx(struct fake *f, struct client_ctx *ctx);

/* The value of header name in a recorded request, or NULL. */
const char *fake_header(const struct fake_seen *s, const char *name,
    char *buf, size_t size);

/* Suites. */
void ct_suite_state(void);
void ct_suite_client(void);
void ct_suite_cli(void);
void ct_suite_session(void);

#endif
