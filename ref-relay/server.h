/*
 * server: sets the relay up and takes it down: the TLS context, the
 * listening socket, the store threads (storeq.c), the held-read registry
 * (longpoll.c), the access log and notifier, and the event-loop threads
 * (worker.c) that serve the connections.
 */
#ifndef TIGRESS_RELAY_SERVER_H
#define TIGRESS_RELAY_SERVER_H

#include <stdbool.h>
#include <stddef.h>

#include "config.h"

/* Why the relay could not start; main maps each to its exit status. */
enum server_err {
	SERVER_OK = 0,
	SERVER_EDATADIR,	/* data directory or a file in it unusable */
	SERVER_ELISTEN,		/* cannot listen (address in use, ...) */
	SERVER_ETLS,		/* certificate or key missing or bad */
	SERVER_ESTORE,		/* store unreachable or unusable */
	SERVER_EOTHER,		/* out of memory, threads, ... */
};

/* What the server tells main once it accepts connections. */
struct server_ready {
	char	url[600];		/* "https://127.0.0.1:PORT" */
	char	cert[1100];		/* certificate in use; "" for HTTP */
	int	cert_generated;		/* made a self-signed one just now */
	long	max_connections;	/* the connection cap in force */
};

/* How the server reports to main (which prints). */
struct server_hooks {
	/* once, when connections are accepted: the "listening" line */
	void	(*ready)(const struct server_ready *r, void *arg);
	/* a problem while running (rate-limited by the server) */
	void	(*warn)(const char *line, void *arg);
	void	*arg;
};

/* Whether a --listen host means every address (0.0.0.0, ::). */
bool server_wildcard(const char *host);

/*
 * Run the relay described by *cfg until SIGTERM or SIGINT; returns
 * SERVER_OK after a clean shutdown, or why it could not start, with one
 * line in why.
 */
enum server_err server_run(const struct config *cfg,
    const struct server_hooks *hooks, char *why, size_t why_size);

#endif
