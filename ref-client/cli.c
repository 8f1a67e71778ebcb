/*
 * cli: option table, parser and help texts of `tigress`.  Each option
 * names the subcommands that take it (a bit mask), so an option given to
 * the wrong subcommand is a usage error rather than silently ignored.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "tgversion.h"

#define B(c)		(1u << (c))
/* Subcommands that talk to a relay, and those that take a share URL. */
#define NET_CMDS	(B(CLI_SHARE) | B(CLI_PREVIEW) | B(CLI_ACCEPT) | \
			 B(CLI_SEND) | B(CLI_WAIT) | B(CLI_READ) | \
			 B(CLI_CANCEL) | B(CLI_RELINQUISH))
#define URL_CMDS	(NET_CMDS & ~B(CLI_SHARE))
#define ALL_CMDS	(NET_CMDS | B(CLI_STATUS))
#define NOTIFYING	(B(CLI_SHARE) | B(CLI_ACCEPT) | B(CLI_SEND) | \
			 B(CLI_READ))
#define VALUE_MAX	4096	/* bytes of any option value */
#define TIMEOUT_MAX	86400L

enum opt_id {
	O_HELP, O_VERSION, O_RELAY, O_IN, O_OUT, O_STATE, O_CA, O_INSECURE,
	O_PROFILE, O_JSON, O_VERBOSE, O_TITLE, O_DESCRIPTION, O_IMAGE,
	O_EXPIRES, O_VERTICAL, O_STATEFUL, O_ACCESS, O_AEAD, O_SECRET_SEP,
	O_SECRET_FILE, O_URL_FILE, O_NOTIFY_TYPE, O_NOTIFY_TOKEN,
	O_ATTESTATION, O_TIMEOUT, O_REQ_TIMEOUT, O_RETRIES, O_DELETE, O_PRUNE,
};

struct opt {
	const char	*name;
	enum opt_id	 id;
	bool		 value;
	unsigned	 cmds;
};

static const struct opt opts[] = {
	{ "--help", O_HELP, false, ALL_CMDS | B(CLI_NONE) },
	{ "-h", O_HELP, false, ALL_CMDS | B(CLI_NONE) },
	{ "--version", O_VERSION, false, ALL_CMDS | B(CLI_NONE) },
	{ "--relay", O_RELAY, true, B(CLI_SHARE) },
	{ "--in", O_IN, true, B(CLI_SHARE) | B(CLI_SEND) },
	{ "--out", O_OUT, true, B(CLI_ACCEPT) | B(CLI_WAIT) | B(CLI_READ) },
	{ "--state", O_STATE, true, NET_CMDS },
	{ "--ca", O_CA, true, NET_CMDS },
	{ "--insecure", O_INSECURE, false, NET_CMDS },
	{ "--profile", O_PROFILE, true, NET_CMDS },
	{ "--json", O_JSON, false, ALL_CMDS },
	{ "--verbose", O_VERBOSE, false, ALL_CMDS },
	{ "-v", O_VERBOSE, false, ALL_CMDS },
	{ "--title", O_TITLE, true, B(CLI_SHARE) },
	{ "--description", O_DESCRIPTION, true, B(CLI_SHARE) },
	{ "--image", O_IMAGE, true, B(CLI_SHARE) },
	{ "--expires", O_EXPIRES, true, B(CLI_SHARE) },
	{ "--vertical", O_VERTICAL, true, B(CLI_SHARE) },
	{ "--stateful", O_STATEFUL, false, B(CLI_SHARE) },
	{ "--access", O_ACCESS, true, B(CLI_SHARE) },
	{ "--aead", O_AEAD, true, B(CLI_SHARE) },
	{ "--secret-separately", O_SECRET_SEP, false, B(CLI_SHARE) },
	{ "--secret-file", O_SECRET_FILE, true, B(CLI_ACCEPT) },
	{ "--url-file", O_URL_FILE, true, URL_CMDS },
	{ "--notify-type", O_NOTIFY_TYPE, true, NOTIFYING },
	{ "--notify-token", O_NOTIFY_TOKEN, true, NOTIFYING },
	{ "--attestation", O_ATTESTATION, true, B(CLI_SHARE) | B(CLI_SEND) },
	{ "--timeout", O_TIMEOUT, true, B(CLI_WAIT) },
	{ "--request-timeout", O_REQ_TIMEOUT, true, NET_CMDS | B(CLI_STATUS) },
	{ "--retries", O_RETRIES, true, NET_CMDS | B(CLI_STATUS) },
	{ "--delete", O_DELETE, false, B(CLI_ACCEPT) },
	{ "--prune", O_PRUNE, false, B(CLI_STATUS) },
};

static const char *const cmd_names[CLI_CMD_COUNT] = {
	[CLI_NONE] = "", [CLI_SHARE] = "share", [CLI_PREVIEW] = "preview",
	[CLI_ACCEPT] = "accept", [CLI_SEND] = "send", [CLI_WAIT] = "wait",
	[CLI_READ] = "read", [CLI_CANCEL] = "cancel",
	[CLI_RELINQUISH] = "relinquish", [CLI_STATUS] = "status",
};

#define SHARE_URL "https://relay.example/v1/m/MAILBOX-ID#SECRET"

/* How the later subcommands name their share. */
#define WHICH_SHARE \
"The share is named by its share URL (only its mailbox identifier is used,\n" \
"to find the state file), by --url-file FILE or \"-\" (the URL read from a\n" \
"file or standard input, so that it does not show in `ps`), or by\n" \
"--state FILE.\n"

#define COMMON \
"Connection options:\n" \
"  --ca FILE              trust the certificates in FILE (PEM)\n" \
"  --insecure             do not verify the relay's certificate (tests only)\n" \
"  --profile P            header names: http-00 (default) or sct-04\n" \
"  --request-timeout S    seconds per request (default 30)\n" \
"  --retries N            resend after a timeout or drop, same Request-ID\n" \
"                         (default 3, at most 10)\n" \
"  --state FILE           the share's state file (default: ID.ROLE.json\n" \
"                         after the mailbox and this device's role, in\n" \
"                         $TIGRESS_STATE_DIR or ~/.tigress)\n" \
"  --json                 machine-readable output on stdout\n" \
"  -v, --verbose          trace requests on stderr (never the Secret)\n" \
"  -h, --help             this text\n" \
"\n" \
"Exit codes: 0 ok, 1 internal, 2 usage, 3 bad input, 4 relay unreachable,\n" \
"5 TLS failure, 6 refused, 7 wrong Secret or tampered payload, 8 gone,\n" \
"9 accepted by another device, 10 wait timed out (tigress --help).\n"

static const char *const usages[CLI_CMD_COUNT] = {
[CLI_NONE] =
"usage: tigress SUBCOMMAND [OPTIONS]\n"
"       tigress --help | --version\n"
"\n"
"Share and receive credentials through a TIGRESS relay\n"
"(" TG_DRAFT "; --profile sct-04 for the earlier\n"
"draft's header names).\n"
"\n"
"Subcommands:\n"
"  share       seal a Provisioning Information file, create a mailbox,\n"
"              print the share URL\n"
"  preview     show a share's display information (its preview page)\n"
"  accept      bind this device as recipient, decrypt and write the\n"
"              Provisioning Information\n"
"  send        put a new sealed message into the mailbox (needs W)\n"
"  wait        wait for the other party's next message\n"
"  read        read the mailbox's current message\n"
"  cancel      delete the mailbox\n"
"  relinquish  give the share up (recipient) so another device may accept\n"
"  status      list the shares this device keeps state for\n"
"\n"
"Run `tigress SUBCOMMAND --help` for its options.\n"
"\n"
"Examples:\n"
"  tigress share --relay https://relay.example --in key.json \\\n"
"      --title \"Car key\" --vertical c --expires 2h\n"
"  tigress preview '" SHARE_URL "'\n"
"  tigress accept - --out key.json < link.txt   # the URL from a file\n"
"  tigress status\n"
"\n"
"Exit codes:\n"
"   0  success\n"
"   1  internal failure (out of memory, cannot write a file)\n"
"   2  usage: unknown or missing options, bad option values\n"
"   3  bad input: a file, its JSON, the share URL or Secret, the --ca\n"
"      file, the state file\n"
"   4  relay unreachable: cannot connect, timeouts, dropped connections\n"
"   5  TLS failure: handshake or certificate verification\n"
"   6  the relay refused the request or sent an invalid answer\n"
"   7  the Secret does not open the payload (wrong link or tampered data)\n"
"   8  the share expired, was cancelled or never existed\n"
"   9  the share was already accepted by another device\n"
"  10  wait: nothing new arrived in time\n",
[CLI_SHARE] =
"usage: tigress share --relay https://HOST[:PORT] --in FILE --title T\n"
"                     [--description D] [--image URL] [--expires DURATION]\n"
"                     [--vertical a|h|c] [--stateful | --access RIGHTS]\n"
"                     [--aead 128|256] [--secret-separately]\n"
"                     [--notify-type T --notify-token D]\n"
"                     [--attestation TEXT] [connection options]\n"
"\n"
"Seal the Provisioning Information JSON in FILE under a fresh random\n"
"Secret (AES-256-GCM, or AES-128-GCM with --aead 128), create a mailbox\n"
"and print the share URL (the Secret is its fragment) and nothing else.\n"
"A state file (mode 0600) keeps what later subcommands need.\n"
"\n"
"  --expires DURATION     lifetime: seconds or 30s, 10m, 2h, 7d (default:\n"
"                         the relay's; 24h when --access is given)\n"
"  --vertical V           a general access (default), h home key, c car key\n"
"  --stateful             accessRights RWD: both parties may send\n"
"  --access RIGHTS        accessRights, e.g. RD (default) or RWD\n"
"  --secret-separately    print the URL without Secret on line 1 and the\n"
"                         Secret on line 2, for two channels\n"
"\n"
"Warns on stderr when the URL is longer than 160 characters (an SMS).\n"
"\n"
"Examples:\n"
"  tigress share --relay https://relay.example --in key.json \\\n"
"      --title \"Car key\" --description \"Blue car\" --vertical c --expires 2h\n"
"  tigress share --relay https://127.0.0.1:8443 --ca /tmp/relay/cert.pem \\\n"
"      --in key.json --title \"Home\" --stateful\n"
"\n" COMMON,
[CLI_PREVIEW] =
"usage: tigress preview URL|-|--url-file FILE|--state FILE\n"
"                       [connection options]\n"
"\n"
"Fetch the share's preview page (GET, which binds nothing) and show its\n"
"title, description, image and URL.  The Secret is never sent.\n"
"\n" WHICH_SHARE
"\n"
"Example:\n"
"  tigress preview '" SHARE_URL "'\n"
"\n" COMMON,
[CLI_ACCEPT] =
"usage: tigress accept URL|-|--url-file FILE [--out FILE]\n"
"                      [--secret-file FILE] [--delete]\n"
"                      [--notify-type T --notify-token D]\n"
"                      [connection options]\n"
"\n"
"Bind this device as the recipient (a fresh device claim), read and\n"
"decrypt the payload, check it is Provisioning Information and write it\n"
"to FILE (mode 0600) or stdout.  The URL's fragment is the Secret and is\n"
"never sent.  \"-\" or --url-file FILE reads the URL from standard input\n"
"or a file (a URL given as an argument shows in `ps`); for a URL without\n"
"its Secret, --secret-file FILE (\"-\": stdin) gives it.  --delete deletes\n"
"the mailbox afterwards (the stateless flow) and removes the state file.\n"
"\n"
"Accepting again from the same device reuses its claim, so an accept\n"
"that failed (a mistyped link: exit 7; a lost connection) can simply be\n"
"run again with the right link.\n"
"\n"
"Examples:\n"
"  tigress accept '" SHARE_URL "' --out key.json\n"
"  tigress accept - --out key.json < link.txt\n"
"  tigress accept https://relay.example/v1/m/ID --secret-file secret.txt\n"
"\n" COMMON,
[CLI_SEND] =
"usage: tigress send URL|-|--url-file FILE|--state FILE --in FILE\n"
"                    [--notify-type T --notify-token D] [connection options]\n"
"\n"
"Seal the Provisioning Information in FILE under the share's Secret and\n"
"update the mailbox (the share needs the W right: share --stateful).\n"
"\n" WHICH_SHARE
"\n"
"Example:\n"
"  tigress send --state ~/.tigress/ID.initiator.json --in reply.json\n"
"\n" COMMON,
[CLI_WAIT] =
"usage: tigress wait URL|-|--url-file FILE|--state FILE [--out FILE]\n"
"                    [--timeout SECONDS] [connection options]\n"
"\n"
"Wait until the mailbox holds a message this device has not seen (the\n"
"other party's), then decrypt and write it like read.  Uses the relay's\n"
"long-poll (Prefer: wait, If-None-Match) where /.well-known/tigress\n"
"offers it, else polls with exponential backoff.  --timeout: give up\n"
"after SECONDS (default 300; exit 10).\n"
"\n" WHICH_SHARE
"\n"
"Example:\n"
"  tigress wait --state ~/.tigress/ID.initiator.json --timeout 60\n"
"\n" COMMON,
[CLI_READ] =
"usage: tigress read URL|-|--url-file FILE|--state FILE [--out FILE]\n"
"                    [--notify-type T --notify-token D] [connection options]\n"
"\n"
"Read the mailbox's current message, decrypt and check it, and write it\n"
"to FILE (mode 0600) or stdout.\n"
"\n" WHICH_SHARE
"\n"
"Example:\n"
"  tigress read --state ~/.tigress/ID.recipient.json --out current.json\n"
"\n" COMMON,
[CLI_CANCEL] =
"usage: tigress cancel URL|-|--url-file FILE|--state FILE\n"
"                      [connection options]\n"
"\n"
"Delete the mailbox (the initiator may always; the recipient with the D\n"
"right) and remove the state file.\n"
"\n" WHICH_SHARE
"\n"
"Example:\n"
"  tigress cancel --state ~/.tigress/ID.initiator.json\n"
"\n" COMMON,
[CLI_RELINQUISH] =
"usage: tigress relinquish URL|-|--url-file FILE|--state FILE\n"
"                          [connection options]\n"
"\n"
"Recipient only: give the share up so that another device may accept it,\n"
"and remove the state file.\n"
"\n" WHICH_SHARE
"\n"
"Example:\n"
"  tigress relinquish --state ~/.tigress/ID.recipient.json\n"
"\n" COMMON,
[CLI_STATUS] =
"usage: tigress status [--prune [--request-timeout S] [--retries N]]\n"
"                      [--json]\n"
"\n"
"List the shares whose state this device keeps (in $TIGRESS_STATE_DIR, or\n"
"~/.tigress): mailbox, role, expiration, relay and file.  The Secrets are\n"
"not shown, and without --prune nothing is sent to a relay.  A state file\n"
"is removed (and overwritten first) when its share is over: after cancel,\n"
"relinquish and accept --delete, and when the relay answers that the\n"
"share is gone (404: the other party deleted it, or it expired).\n"
"\n"
"  --prune                remove the state of shares that expired, and ask\n"
"                         the relay of each other share whether it still\n"
"                         holds it (a GET of its preview page: no claim,\n"
"                         no Secret, binds nothing); remove those it\n"
"                         answers 404 for with its JSON error body, keep\n"
"                         those it cannot be asked or answers otherwise\n"
"  --json                 one JSON object on stdout\n"
"\n"
"Examples:\n"
"  tigress status\n"
"  TIGRESS_STATE_DIR=/tmp/alice tigress status --prune\n"
"\n"
"Exit codes: 0 ok, 1 internal, 2 usage, 3 a state file cannot be read,\n"
"4 or 5 (--prune) a relay could not be reached, 6 (--prune) a relay\n"
"answered a 5xx or anything but its JSON 404 (its shares are kept).\n",
};

const char *
cli_cmd_name(enum cli_cmd cmd)
{
	return (unsigned)cmd < CLI_CMD_COUNT ? cmd_names[cmd] : "";
}

const char *
cli_usage(enum cli_cmd cmd)
{
	return (unsigned)cmd < CLI_CMD_COUNT ? usages[cmd] : usages[0];
}

const char *
cli_version(void)
{
	return "tigress " TG_VERSION " (tigress-ref; " TG_DRAFT
	    ", sct-04 profile)\n";
}

int
cli_exit_code(enum client_err err)
{
	static const int codes[CLIENT_ERR_COUNT] = {
		[CLIENT_OK] = CLI_EXIT_OK,
		[CLIENT_ERR_INTERNAL] = CLI_EXIT_INTERNAL,
		[CLIENT_ERR_USAGE] = CLI_EXIT_USAGE,
		[CLIENT_ERR_INPUT] = CLI_EXIT_INPUT,
		[CLIENT_ERR_NETWORK] = CLI_EXIT_NETWORK,
		[CLIENT_ERR_TLS] = CLI_EXIT_TLS,
		[CLIENT_ERR_REFUSED] = CLI_EXIT_REFUSED,
		[CLIENT_ERR_CRYPTO] = CLI_EXIT_CRYPTO,
		[CLIENT_ERR_GONE] = CLI_EXIT_GONE,
		[CLIENT_ERR_CLAIMED] = CLI_EXIT_CLAIMED,
		[CLIENT_ERR_TIMEOUT] = CLI_EXIT_TIMEOUT,
	};

	return (unsigned)err < CLIENT_ERR_COUNT ? codes[err] :
	    CLI_EXIT_INTERNAL;
}

/* A decimal number of at most 12 digits, whole string. */
static bool
number(const char *s, size_t n, int64_t *out)
{
	int64_t v = 0;

	if (n == 0 || n > 12)
		return false;
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		v = v * 10 + (s[i] - '0');
	}
	*out = v;
	return true;
}

bool
cli_duration(const char *s, int64_t *seconds)
{
	size_t	n = strlen(s);
	int64_t	v, unit = 1;

	if (n > 0) {
		switch (s[n - 1]) {
		case 's': unit = 1; n--; break;
		case 'm': unit = 60; n--; break;
		case 'h': unit = 3600; n--; break;
		case 'd': unit = 86400; n--; break;
		default: break;
		}
	}
	if (!number(s, n, &v) || v == 0 || v > INT64_C(315360000) / unit)
		return false;
	*seconds = v * unit;
	return true;
}

static bool
long_in(const char *s, long min, long max, long *out)
{
	int64_t v;

	if (!number(s, strlen(s), &v) || v < min || v > max)
		return false;
	*out = (long)v;
	return true;
}

static enum client_err
bad(char *why, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static enum client_err
bad(char *why, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, CLI_WHY_SIZE, fmt, ap);
	va_end(ap);
	return CLIENT_ERR_USAGE;
}

/* Options with a number or a fixed set of values. */
static enum client_err
set_special(struct cli_args *a, enum opt_id id, const char *v, char *why)
{
	long n;

	switch (id) {
	case O_PROFILE:
		a->profile_set = true;
		return client_profile_from_name(v, &a->profile) ? CLIENT_OK :
		    bad(why, "--profile must be http-00 or sct-04");
	case O_EXPIRES:
		return cli_duration(v, &a->expires) ? CLIENT_OK : bad(why,
		    "--expires: not a duration (10m, 2h, 7d): %s", v);
	case O_VERTICAL:
		if (strlen(v) != 1 || strchr("ahc", v[0]) == NULL)
			return bad(why, "--vertical must be a, h or c");
		a->vertical = v[0];
		return CLIENT_OK;
	case O_ACCESS:
		return (a->rights = msg_rights_parse(v)) != 0 ? CLIENT_OK : bad(why,
		    "--access: letters R, W, D, each once, with R: %s", v);
	case O_AEAD:
		if (strcmp(v, "128") != 0 && strcmp(v, "256") != 0)
			return bad(why, "--aead must be 128 or 256");
		a->key_len = v[0] == '1' ? 16 : 32;
		return CLIENT_OK;
	case O_TIMEOUT:
		if (!long_in(v, 1, TIMEOUT_MAX, &a->timeout))
			return bad(why, "--timeout: seconds, 1-86400: %s", v);
		return CLIENT_OK;
	case O_REQ_TIMEOUT:
		if (!long_in(v, 1, 3600, &a->request_timeout))
			return bad(why, "--request-timeout: 1-3600: %s", v);
		return CLIENT_OK;
	case O_RETRIES:
		if (!long_in(v, 0, CLIENT_RETRIES_MAX, &n))
			return bad(why, "--retries: 0-10: %s", v);
		a->retries = (int)n;
		return CLIENT_OK;
	default:
		return bad(why, "internal: option %s", v);
	}
}

static const char **
string_slot(struct cli_args *a, enum opt_id id)
{
	switch (id) {
	case O_RELAY: return &a->relay;
	case O_IN: return &a->in;
	case O_OUT: return &a->out;
	case O_STATE: return &a->state;
	case O_CA: return &a->ca;
	case O_TITLE: return &a->title;
	case O_DESCRIPTION: return &a->description;
	case O_IMAGE: return &a->image;
	case O_SECRET_FILE: return &a->secret_file;
	case O_URL_FILE: return &a->url_file;
	case O_NOTIFY_TYPE: return &a->notify_type;
	case O_NOTIFY_TOKEN: return &a->notify_token;
	case O_ATTESTATION: return &a->attestation;
	default: return NULL;
	}
}

static bool *
flag_slot(struct cli_args *a, enum opt_id id)
{
	switch (id) {
	case O_HELP: return &a->help;
	case O_VERSION: return &a->version;
	case O_PRUNE: return &a->prune;
	case O_INSECURE: return &a->insecure;
	case O_JSON: return &a->json;
	case O_VERBOSE: return &a->verbose;
	case O_STATEFUL: return &a->stateful;
	case O_SECRET_SEP: return &a->secret_separately;
	case O_DELETE: return &a->delete_after;
	default: return NULL;
	}
}

static enum client_err
set_option(struct cli_args *a, const struct opt *o, const char *v, char *why)
{
	const char	**slot;
	bool		 *flag;

	if ((flag = flag_slot(a, o->id)) != NULL) {
		*flag = true;
		return CLIENT_OK;
	}
	if (strlen(v) > VALUE_MAX)
		return bad(why, "%s: value too long", o->name);
	if ((slot = string_slot(a, o->id)) == NULL)
		return set_special(a, o->id, v, why);
	if (*slot != NULL)
		return bad(why, "%s given twice", o->name);
	*slot = v;
	return CLIENT_OK;
}

static const struct opt *
find_opt(const char *arg, size_t n)
{
	for (size_t i = 0; i < sizeof(opts) / sizeof(opts[0]); i++)
		if (strlen(opts[i].name) == n &&
		    strncmp(opts[i].name, arg, n) == 0)
			return &opts[i];
	return NULL;
}

/* One option at argv[*i] ("--name value" or "--name=value"). */
static enum client_err
parse_opt(struct cli_args *a, int argc, char **argv, int *i, char *why)
{
	const char		*arg = argv[*i], *eq = strchr(arg, '=');
	size_t			 n = eq != NULL ? (size_t)(eq - arg) : strlen(arg);
	const struct opt	*o = find_opt(arg, n);

	if (o == NULL)
		return bad(why, "unknown option %s", arg);
	if ((o->cmds & B(a->cmd)) == 0)
		return bad(why, "%s does not take %s", a->cmd == CLI_NONE ?
		    "tigress without a subcommand" : cmd_names[a->cmd], o->name);
	if (!o->value) {
		if (eq != NULL)
			return bad(why, "%s takes no value", o->name);
		return set_option(a, o, NULL, why);
	}
	if (eq != NULL)
		return set_option(a, o, eq + 1, why);
	if (*i + 1 >= argc)
		return bad(why, "%s needs a value", o->name);
	*i += 1;
	return set_option(a, o, argv[*i], why);
}

static enum cli_cmd
cmd_of(const char *name)
{
	for (int c = CLI_SHARE; c < CLI_CMD_COUNT; c++)
		if (strcmp(name, cmd_names[c]) == 0)
			return (enum cli_cmd)c;
	return CLI_NONE;
}

/* share: which of its required options are missing, in one message. */
static enum client_err
check_share(struct cli_args *a, char *why)
{
	const char	*missing[3];
	size_t		 n = 0;

	if (a->relay == NULL)
		missing[n++] = "--relay https://HOST[:PORT]";
	if (a->in == NULL)
		missing[n++] = "--in FILE";
	if (a->title == NULL)
		missing[n++] = "--title TEXT";
	if (n == 1)
		return bad(why, "share needs %s", missing[0]);
	if (n == 2)
		return bad(why, "share needs %s and %s", missing[0], missing[1]);
	if (n == 3)
		return bad(why, "share needs %s, %s and %s", missing[0],
		    missing[1], missing[2]);
	if (a->url != NULL || a->url_file != NULL)
		return bad(why, "share takes no share URL");
	if (a->stateful && a->rights == 0)
		a->rights = MSG_RIGHT_READ | MSG_RIGHT_WRITE | MSG_RIGHT_DELETE;
	return CLIENT_OK;
}

/* The share a later subcommand works on: a URL, a URL file, a state. */
static enum client_err
check_share_named(struct cli_args *a, char *why)
{
	const char *name = cmd_names[a->cmd];

	if (a->url != NULL && strcmp(a->url, "-") == 0) {
		if (a->url_file != NULL)
			return bad(why, "give the share URL once");
		a->url_file = "-";
		a->url = NULL;
	}
	if (a->url != NULL && a->url_file != NULL)
		return bad(why, "give the share URL once (an argument or "
		    "--url-file)");
	if (a->url_file != NULL && a->secret_file != NULL &&
	    strcmp(a->url_file, "-") == 0 && strcmp(a->secret_file, "-") == 0)
		return bad(why, "the share URL and the Secret cannot both come "
		    "from standard input");
	if (a->cmd == CLI_ACCEPT && a->url == NULL && a->url_file == NULL)
		return bad(why, a->state != NULL ? "accept needs the share URL "
		    "(--state only names where this device's state is kept)" :
		    "accept needs the share URL (an argument, or - or "
		    "--url-file FILE to read it)");
	if (a->url == NULL && a->url_file == NULL && a->state == NULL)
		return bad(why, "%s needs the share: its URL (an argument, - or "
		    "--url-file FILE) or --state FILE", name);
	return CLIENT_OK;
}

/* The checks of required and conflicting options, after parsing. */
static enum client_err
check_args(struct cli_args *a, char *why)
{
	enum client_err err;

	if (a->cmd == CLI_NONE)
		return bad(why, "no subcommand given");
	if (a->cmd == CLI_STATUS)
		return a->url == NULL ? CLIENT_OK :
		    bad(why, "status takes no share URL");
	err = a->cmd == CLI_SHARE ? check_share(a, why) :
	    check_share_named(a, why);
	if (err != CLIENT_OK)
		return err;
	if (a->cmd == CLI_SEND && a->in == NULL)
		return bad(why, "send needs --in FILE (the message to send)");
	if ((a->notify_type == NULL) != (a->notify_token == NULL))
		return bad(why, "--notify-type and --notify-token go "
		    "together");
	if (a->insecure && a->ca != NULL)
		return bad(why, "--insecure and --ca exclude each other");
	return CLIENT_OK;
}

static void
defaults(struct cli_args *a)
{
	memset(a, 0, sizeof(*a));
	a->vertical = 'a';
	a->key_len = 32;
	a->timeout = 300;
	a->request_timeout = 30;
	a->retries = 3;
}

enum client_err
cli_parse(int argc, char **argv, struct cli_args *out, char *why)
{
	enum client_err	err;
	int		i = 1;

	defaults(out);
	why[0] = '\0';
	if (argc > 1 && argv[1][0] != '-') {
		if ((out->cmd = cmd_of(argv[1])) == CLI_NONE)
			return bad(why, "unknown subcommand %.24s%s",
			    strchr(argv[1], '#') == NULL ? argv[1] : "",
			    strlen(argv[1]) > 24 ? "..." : "");
		i = 2;
	}
	for (; i < argc; i++) {
		if (argv[i][0] == '-' && argv[i][1] != '\0') {
			if ((err = parse_opt(out, argc, argv, &i, why)))
				return err;
		} else if (out->url == NULL && out->cmd != CLI_NONE) {
			out->url = argv[i];
		} else {
			return bad(why, "unexpected extra argument");
		}
	}
	if (out->help || out->version)
		return CLIENT_OK;
	return check_args(out, why);
}
