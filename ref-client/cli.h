/*
 * cli: the command line of `tigress`: subcommands, their options, the
 * help texts, and the exit code of each failure class.  Parsing only
 * reads argv and fills struct cli_args (pointers into argv); it neither
 * prints nor exits, so it is unit-tested like the rest.
 */
#ifndef TIGRESS_CLIENT_CLI_H
#define TIGRESS_CLIENT_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "client.h"

#define CLI_WHY_SIZE	256

enum cli_cmd {
	CLI_NONE = 0,	/* no subcommand: top-level --help */
	CLI_SHARE,
	CLI_PREVIEW,
	CLI_ACCEPT,
	CLI_SEND,
	CLI_WAIT,
	CLI_READ,
	CLI_CANCEL,
	CLI_RELINQUISH,
	CLI_STATUS,
	CLI_CMD_COUNT
};

/* The exit codes of ref-client/README.md. */
enum cli_exit {
	CLI_EXIT_OK = 0,
	CLI_EXIT_INTERNAL = 1,
	CLI_EXIT_USAGE = 2,
	CLI_EXIT_INPUT = 3,
	CLI_EXIT_NETWORK = 4,
	CLI_EXIT_TLS = 5,
	CLI_EXIT_REFUSED = 6,
	CLI_EXIT_CRYPTO = 7,
	CLI_EXIT_GONE = 8,
	CLI_EXIT_CLAIMED = 9,
	CLI_EXIT_TIMEOUT = 10,
};

struct cli_args {
	enum cli_cmd	 cmd;
	bool		 help;
	const char	*url;		/* the positional share URL ("-": stdin) */
	const char	*url_file;	/* --url-file: where the URL is */
	const char	*relay, *in, *out, *state, *ca, *secret_file;
	const char	*title, *description, *image;
	const char	*notify_type, *notify_token, *attestation;
	enum client_profile profile;
	bool		 profile_set;	/* --profile was given */
	char		 vertical;	/* a (default), h, c */
	unsigned	 rights;	/* 0: relay default */
	int64_t		 expires;	/* seconds; 0: relay default */
	size_t		 key_len;	/* 16 or 32 (default) */
	long		 timeout;	/* wait: seconds (default 300) */
	long		 request_timeout;	/* per request (default 30) */
	int		 retries;	/* default 3 */
	bool		 insecure, json, verbose, stateful;
	bool		 secret_separately, delete_after;
	bool		 version, prune;
};

/*
 * Parse argv[1..argc) into *out.  Errors: CLIENT_ERR_USAGE with a reason
 * in why[CLI_WHY_SIZE] (an unknown subcommand or option, an option the
 * subcommand does not take, a missing or bad value, a missing required
 * option).  --help (or --version) anywhere sets out->help (out->version)
 * and skips the checks of required options.  A URL argument "-" becomes
 * out->url_file "-" (the URL is read from standard input).
 */
enum client_err cli_parse(int argc, char **argv, struct cli_args *out,
    char *why);

/*
 * A duration: seconds, or a number with s, m, h or d ("10m").  False when
 * it is not one of those, is 0, or is over 10 years.
 */
bool cli_duration(const char *s, int64_t *seconds);

/* The name of a subcommand ("share"), or "" for CLI_NONE. */
const char *cli_cmd_name(enum cli_cmd cmd);

/* The help text of a subcommand, or the overview for CLI_NONE (static). */
const char *cli_usage(enum cli_cmd cmd);

/* The --version text, one line with its newline (static). */
const char *cli_version(void);

/* The exit code of a failure class. */
int cli_exit_code(enum client_err err);

#endif
