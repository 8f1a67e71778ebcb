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

/*
 * Run the relay described by *cfg until SIGTERM or SIGINT; returns 0
 * after a clean shutdown, or 1 with why (one line) when it could not
 * start.  Prints the "listening on" line once it accepts connections.
 */
int server_run(const struct config *cfg, char *why, size_t why_size);

#endif
