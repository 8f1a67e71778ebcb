/*
 * server: the relay's only contact with the network.  libevent's evhttp
 * parses HTTP; OpenSSL bufferevents carry TLS; several worker threads,
 * each with its own event loop and store handle, accept on one listening
 * socket.  Requests go to route.c; held long-poll reads wait here.
 */
#ifndef TIGRESS_RELAY_SERVER_H
#define TIGRESS_RELAY_SERVER_H

#include <stddef.h>

#include "config.h"

/* What the server tells main once it accepts connections. */
struct server_ready {
	char	url[600];		/* "https://127.0.0.1:PORT" */
	char	cert[1100];		/* certificate in use; "" for HTTP */
	int	cert_generated;		/* made a self-signed one just now */
};

/*
 * Run the relay described by *cfg until SIGTERM or SIGINT; returns 0
 * after a clean shutdown, or 1 with why (one line) when it could not
 * start.  Once it accepts connections it calls ready(r, arg) once, from
 * the calling thread; main prints the "listening on" line there.
 */
int server_run(const struct config *cfg,
    void (*ready)(const struct server_ready *r, void *arg), void *arg,
    char *why, size_t why_size);

#endif
