/*
 * config: the relay's settings, from command-line flags and an optional
 * config file (`key = value` lines, the long option names without "--",
 * `#` comments).  Flags given on the command line win over the file.
 */
#ifndef TIGRESS_RELAY_CONFIG_H
#define TIGRESS_RELAY_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum config_profile {
	PROFILE_HTTP00,		/* draft-vinokurov-tigress-http-00 */
	PROFILE_SCT04,		/* draft-secure-credential-transfer-04 */
};

struct config {
	char			 listen_host[256];	/* "127.0.0.1", "::1" */
	uint16_t		 listen_port;		/* 0: ephemeral */
	char			 data_dir[1024];
	char			 store[1100];	/* "sqlite:PATH" */
	char			 tls_cert[1024];	/* "" = generate */
	char			 tls_key[1024];
	bool			 insecure_http;
	enum config_profile	 profile;
	char			 public_url[512];	/* "" = from listen */
	int			 threads;	/* 0 = one per core */
	int64_t			 default_ttl;	/* seconds */
	int64_t			 max_ttl;
	long			 max_mailboxes;
	int64_t			 sweep_interval;
	int			 idle_timeout;	/* seconds, keep-alive */
	int			 header_timeout;	/* seconds, request head */
	int			 body_timeout;	/* seconds, request body */
	long			 max_connections;	/* 0 = from RLIMIT_NOFILE */
	int			 max_wait;	/* long-poll cap, seconds */
	int			 max_long_polls;	/* held reads in all */
	int			 max_long_polls_per_client;
	char			 notify_spool[1024];	/* "" = no push */
	char			 access_log[1024];	/* "" = none */
	bool			 access_log_plain_ids;	/* else keyed hashes */
	bool			 sync_full;	/* SQLite synchronous=FULL */
};

enum config_err {
	CONFIG_OK = 0,
	CONFIG_HELP,		/* --help was given: print config_usage() */
	CONFIG_VERSION,		/* --version was given */
	CONFIG_EUNKNOWN,	/* unknown option or config key */
	CONFIG_EVALUE,		/* bad value for an option */
	CONFIG_EMISSING,	/* option without its value */
	CONFIG_EFILE,		/* config file unreadable */
};

/* Fill *c with the defaults (documented in config_usage()). */
void config_defaults(struct config *c);

/*
 * Parse argv (and the file named by --config, if any) into *c, which
 * holds the defaults on entry.  On error, why (why_size bytes) says in
 * one line which option or line was wrong and why.
 */
enum config_err config_parse(struct config *c, int argc, char **argv,
    char *why, size_t why_size);

/* The --help text: every option, its default and what it does. */
const char *config_usage(void);

/* A sentence for an error value. */
const char *config_strerror(enum config_err err);

#endif
