/*
 * tigress-relay: the reference TIGRESS relay server.  main() reads the
 * configuration, prepares the data directory and runs the server; it is
 * the only place that prints errors and chooses the exit status.
 */
#include <sys/stat.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "config.h"
#include "server.h"

#define VERSION "0.1.0"

/* Fill in the defaults that depend on the data directory. */
static int
resolve(struct config *c)
{
	int n = 0;

	if (mkdir(c->data_dir, 0700) != 0 && errno != EEXIST) {
		fprintf(stderr, "tigress-relay: %s: %s\n", c->data_dir,
		    strerror(errno));
		return -1;
	}
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

int
main(int argc, char **argv)
{
	struct config	cfg;
	char		why[512] = "";
	enum config_err	err;

	config_defaults(&cfg);
	err = config_parse(&cfg, argc, argv, why, sizeof(why));
	if (err == CONFIG_HELP) {
		fputs(config_usage(), stdout);
		return 0;
	}
	if (err == CONFIG_VERSION) {
		printf("tigress-relay %s\n", VERSION);
		return 0;
	}
	if (err != CONFIG_OK) {
		fprintf(stderr, "tigress-relay: %s (see --help)\n",
		    why[0] != '\0' ? why : config_strerror(err));
		return 2;
	}
	if (resolve(&cfg) != 0)
		return 1;
	if (server_run(&cfg, ready, NULL, why, sizeof(why)) != 0) {
		fprintf(stderr, "tigress-relay: %s\n", why);
		return 1;
	}
	return 0;
}
