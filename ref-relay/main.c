/*
 * tigress-relay: the reference TIGRESS relay server.  main() reads the
 * configuration and runs the server; it is the only place that prints
 * errors and chooses the exit status:
 *
 *   0  stopped cleanly (SIGTERM, SIGINT), or --help, --version
 *   1  any other failure to start (memory, threads)
 *   2  usage: an unknown option, a bad value, an unreadable --config
 *   3  the data directory (or a file in it) is unusable
 *   4  cannot listen: the address is in use or not on this machine
 *   5  the TLS certificate or key is missing, unreadable or mismatched
 *   6  the store (Redis) is unreachable
 */
#include <sys/stat.h>

#include <stdio.h>
#include <string.h>

#include "config.h"
#include "server.h"

#define VERSION "0.2.0"

enum exit_code {
	EXIT_OK = 0, EXIT_OTHER = 1, EXIT_USAGE = 2, EXIT_DATADIR = 3,
	EXIT_LISTEN = 4, EXIT_TLS = 5, EXIT_STORE = 6,
};

/* Fill in the defaults that depend on the data directory. */
static int
resolve(struct config *c)
{
	int n = 0;

	if (c->store[0] == '\0')
		n = snprintf(c->store, sizeof(c->store), "sqlite:%s/relay.db",
		    c->data_dir);
	if (n < 0 || (size_t)n >= sizeof(c->store)) {
		fprintf(stderr, "tigress-relay: data directory path too long\n");
		return -1;
	}
	return 0;
}

/* Called once the relay accepts connections: the line tools wait for. */
static void
ready(const struct server_ready *r, void *arg)
{
	(void)arg;
	if (r->cert_generated)
		fprintf(stderr, "tigress-relay: generated a self-signed "
		    "certificate for local use: %s\n", r->cert);
	printf("tigress-relay: listening on %s", r->url);
	if (r->cert[0] != '\0')
		printf(" (certificate: %s)", r->cert);
	printf("\n");
	fflush(stdout);
}

static void
warn(const char *line, void *arg)
{
	(void)arg;
	fprintf(stderr, "tigress-relay: %s\n", line);
}

static int
exit_code(enum server_err e)
{
	switch (e) {
	case SERVER_OK:
		return EXIT_OK;
	case SERVER_EDATADIR:
		return EXIT_DATADIR;
	case SERVER_ELISTEN:
		return EXIT_LISTEN;
	case SERVER_ETLS:
		return EXIT_TLS;
	case SERVER_ESTORE:
		return EXIT_STORE;
	default:
		return EXIT_OTHER;
	}
}

int
main(int argc, char **argv)
{
	struct config		cfg;
	struct server_hooks	hooks = { ready, warn, NULL };
	char			why[512] = "";
	enum config_err		err;
	enum server_err		serr;

	/* Claims, tokens and keys: files 0600, directories 0700. */
	(void)umask(077);
	config_defaults(&cfg);
	err = config_parse(&cfg, argc, argv, why, sizeof(why));
	if (err == CONFIG_HELP) {
		fputs(config_usage(), stdout);
		return EXIT_OK;
	}
	if (err == CONFIG_VERSION) {
		printf("tigress-relay %s\n", VERSION);
		return EXIT_OK;
	}
	if (err != CONFIG_OK) {
		fprintf(stderr, "tigress-relay: %s (see --help)\n",
		    why[0] != '\0' ? why : config_strerror(err));
		return EXIT_USAGE;
	}
	if (resolve(&cfg) != 0)
		return EXIT_USAGE;
	if (server_wildcard(cfg.listen_host) && cfg.public_url[0] == '\0')
		fprintf(stderr, "tigress-relay: warning: listening on every "
		    "address without --public-url: share links will name %s, "
		    "which no client can reach; give --public-url "
		    "https://NAME[:PORT]\n", cfg.listen_host);
	if ((serr = server_run(&cfg, &hooks, why, sizeof(why))) != SERVER_OK) {
		fprintf(stderr, "tigress-relay: %s\n", why);
		return exit_code(serr);
	}
	return EXIT_OK;
}
