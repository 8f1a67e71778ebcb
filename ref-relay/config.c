/*
 * config: the relay's settings.  One table lists every option with its
 * kind, its default (written as a user would give it) and the member it
 * sets; the defaults go through the same parsers as user input, and the
 * help text is built from the same DEF_ macros, so the three cannot drift.
 *
 * The command line is read twice: once to find --config, --help and
 * --version and to report malformed flags, then (after the file, so flags
 * win whatever their order) to apply the values.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "config.h"

#define DEF_LISTEN		"127.0.0.1:8443"
#define DEF_DATA_DIR		"./tigress-data"
#define DEF_PROFILE		"http-00"
#define DEF_THREADS		"0"
#define DEF_DEFAULT_TTL		"24h"
#define DEF_MAX_TTL		"7d"
#define DEF_MAX_MAILBOXES	"100000"
#define DEF_SWEEP_INTERVAL	"60s"
#define DEF_IDLE_TIMEOUT	"30"
#define DEF_HEADER_TIMEOUT	"10"
#define DEF_BODY_TIMEOUT	"30"
#define DEF_MAX_CONNECTIONS	"0"
#define DEF_MAX_WAIT		"60"
#define DEF_MAX_LONG_POLLS	"1000"
#define DEF_MAX_LONG_POLLS_CLIENT "16"
#define DEF_LOG_IDS		"hash"
#define DEF_SYNC		"normal"

#define CONFIG_LINE_MAX		4096
#define CONFIG_LINES_MAX	10000	/* lines in a config file */
#define CONFIG_PATH_MAX		1024	/* the --config path */
#define DURATION_MAX		(3650LL * 86400)	/* ten years */
#define HOST_MAX		253

enum kind {
	K_LISTEN,
	K_PATH,		/* a non-empty path */
	K_PATH_OPT,	/* a path, "" for the default */
	K_STORE,
	K_FLAG,
	K_PROFILE,
	K_URL,
	K_INT,
	K_LONG,
	K_DURATION,
	K_SYNC,
	K_LOG_IDS,
	K_CONFIG,	/* the three below: command line only */
	K_HELP,
	K_VERSION,
};

struct option {
	const char	*name;
	enum kind	 kind;
	const char	*def;		/* NULL: zero, "" or false */
	size_t		 off, size;	/* the member of struct config */
	long long	 min, max;	/* K_INT, K_LONG */
};

#define MEMBER(m)	offsetof(struct config, m), \
			sizeof(((struct config *)0)->m)
#define NONE		0, 0

static const struct option options[] = {
	{ "listen", K_LISTEN, DEF_LISTEN, NONE, 0, 0 },
	{ "data-dir", K_PATH, DEF_DATA_DIR, MEMBER(data_dir), 0, 0 },
	{ "store", K_STORE, NULL, MEMBER(store), 0, 0 },
	{ "tls-cert", K_PATH_OPT, NULL, MEMBER(tls_cert), 0, 0 },
	{ "tls-key", K_PATH_OPT, NULL, MEMBER(tls_key), 0, 0 },
	{ "insecure-http", K_FLAG, NULL, MEMBER(insecure_http), 0, 0 },
	{ "profile", K_PROFILE, DEF_PROFILE, NONE, 0, 0 },
	{ "public-url", K_URL, NULL, MEMBER(public_url), 0, 0 },
	{ "threads", K_INT, DEF_THREADS, MEMBER(threads), 0, 64 },
	{ "default-ttl", K_DURATION, DEF_DEFAULT_TTL, MEMBER(default_ttl),
	  0, 0 },
	{ "max-ttl", K_DURATION, DEF_MAX_TTL, MEMBER(max_ttl), 0, 0 },
	{ "max-mailboxes", K_LONG, DEF_MAX_MAILBOXES, MEMBER(max_mailboxes),
	  1, 1000000000 },
	{ "sweep-interval", K_DURATION, DEF_SWEEP_INTERVAL,
	  MEMBER(sweep_interval), 0, 0 },
	{ "idle-timeout", K_INT, DEF_IDLE_TIMEOUT, MEMBER(idle_timeout),
	  1, 3600 },
	{ "header-timeout", K_INT, DEF_HEADER_TIMEOUT, MEMBER(header_timeout),
	  1, 3600 },
	{ "body-timeout", K_INT, DEF_BODY_TIMEOUT, MEMBER(body_timeout),
	  1, 3600 },
	{ "max-connections", K_LONG, DEF_MAX_CONNECTIONS,
	  MEMBER(max_connections), 0, 10000000 },
	{ "max-wait", K_INT, DEF_MAX_WAIT, MEMBER(max_wait), 0, 3600 },
	{ "max-long-polls", K_INT, DEF_MAX_LONG_POLLS, MEMBER(max_long_polls),
	  0, 10000000 },
	{ "max-long-polls-per-client", K_INT, DEF_MAX_LONG_POLLS_CLIENT,
	  MEMBER(max_long_polls_per_client), 0, 10000000 },
	{ "notify-spool", K_PATH_OPT, NULL, MEMBER(notify_spool), 0, 0 },
	{ "access-log", K_PATH_OPT, NULL, MEMBER(access_log), 0, 0 },
	{ "access-log-ids", K_LOG_IDS, DEF_LOG_IDS, NONE, 0, 0 },
	{ "sync", K_SYNC, DEF_SYNC, NONE, 0, 0 },
	{ "config", K_CONFIG, NULL, NONE, 0, 0 },
	{ "help", K_HELP, NULL, NONE, 0, 0 },
	{ "version", K_VERSION, NULL, NONE, 0, 0 },
};

#define NOPTIONS	(sizeof(options) / sizeof(options[0]))

static const char usage[] =
"usage: tigress-relay [options]\n"
"The reference TIGRESS relay: it keeps encrypted credential mailboxes.\n"
"\n"
"Options take --name VALUE or --name=VALUE.  A --config file holds the same\n"
"names without \"--\" as `name = value` lines (`insecure-http = true` for\n"
"the flag; # starts a comment line); the command line wins over the file.\n"
"DURATION is a positive integer with an optional unit s, m, h or d (90,\n"
"10m, 24h, 7d), at most 3650d.\n"
"\n"
"  --listen HOST:PORT       address to serve on; IPv6 as [::1]:PORT, port 0\n"
"                           picks a free one (default " DEF_LISTEN ")\n"
"  --data-dir DIR           where the relay keeps its files\n"
"                           (default " DEF_DATA_DIR ")\n"
"  --store SPEC             mailbox store: sqlite:PATH (default\n"
"                           sqlite:DIR/relay.db), redis://HOST:PORT or\n"
"                           redis+unix:PATH (several relays, one store)\n"
"  --tls-cert FILE          certificate chain, PEM; give with --tls-key\n"
"                           (default DIR/cert.pem, self-signed, made if\n"
"                           missing)\n"
"  --tls-key FILE           private key, PEM (default DIR/key.pem)\n"
"  --insecure-http          serve plain HTTP, for tests behind a TLS proxy\n"
"                           only (default off)\n"
"  --profile NAME           protocol profile: http-00 or sct-04\n"
"                           (default " DEF_PROFILE ")\n"
"  --public-url URL         https:// or http:// base of the mailbox links,\n"
"                           no trailing slash (default from --listen)\n"
"  --threads N              worker threads, 0..64; 0 is one per core\n"
"                           but one (at least one)\n"
"                           (default " DEF_THREADS ")\n"
"  --default-ttl DURATION   mailbox lifetime when the creator gives none\n"
"                           (default " DEF_DEFAULT_TTL ")\n"
"  --max-ttl DURATION       longest mailbox lifetime; not below\n"
"                           --default-ttl (default " DEF_MAX_TTL ")\n"
"  --max-mailboxes N        mailboxes held at once, 1..1000000000\n"
"                           (default " DEF_MAX_MAILBOXES ")\n"
"  --sweep-interval DURATION  how often expired mailboxes are removed\n"
"                           (default " DEF_SWEEP_INTERVAL ")\n"
"  --idle-timeout SECONDS   close a kept-alive connection idle this long,\n"
"                           1..3600 (default " DEF_IDLE_TIMEOUT ")\n"
"  --header-timeout SECONDS deadline for a request's head (and a new\n"
"                           connection's TLS handshake), however the bytes\n"
"                           trickle in; 1..3600 (default " DEF_HEADER_TIMEOUT ")\n"
"  --body-timeout SECONDS   deadline for a request's body, 1..3600\n"
"                           (default " DEF_BODY_TIMEOUT ")\n"
"  --max-connections N      open connections at once; beyond, new ones\n"
"                           wait in the kernel's queue; 0 sizes it from\n"
"                           the descriptor limit (default " DEF_MAX_CONNECTIONS ")\n"
"  --max-wait SECONDS       longest long-poll wait, 0..3600\n"
"                           (default " DEF_MAX_WAIT ")\n"
"  --max-long-polls N       reads held at once; beyond, reads answer at\n"
"                           once (default " DEF_MAX_LONG_POLLS ")\n"
"  --max-long-polls-per-client N  the same per client address\n"
"                           (default " DEF_MAX_LONG_POLLS_CLIENT ")\n"
"  --notify-spool PATH      spool push notifications here (default none)\n"
"  --access-log FILE        log requests, client addresses truncated\n"
"                           (default none)\n"
"  --access-log-ids hash|plain  mailbox ids in the access log as keyed\n"
"                           hashes (DIR/access-log.key) or as they are\n"
"                           (default " DEF_LOG_IDS ")\n"
"  --sync full|normal       SQLite synchronous mode (default " DEF_SYNC ")\n"
"  --config FILE            read options from FILE first (default none)\n"
"  --help                   show this text and exit\n"
"  --version                show the version and exit\n"
"\n"
"Exit status: 0 stopped cleanly; 1 other failure to start; 2 usage; 3 data\n"
"directory unusable; 4 cannot listen (address in use); 5 TLS certificate\n"
"or key missing or bad; 6 store (Redis) unreachable.\n"
"\n"
"Example: tigress-relay --listen 0.0.0.0:8443 --public-url\n"
"  https://relay.example.org:8443 --data-dir /var/lib/tigress\n";

const char *
config_usage(void)
{
	return usage;
}

const char *
config_strerror(enum config_err err)
{
	switch (err) {
	case CONFIG_OK:
		return "success";
	case CONFIG_HELP:
		return "help requested";
	case CONFIG_VERSION:
		return "version requested";
	case CONFIG_EUNKNOWN:
		return "unknown option";
	case CONFIG_EVALUE:
		return "bad option value";
	case CONFIG_EMISSING:
		return "option without its value";
	case CONFIG_EFILE:
		return "config file unreadable";
	}
	return "unknown configuration error";
}

/* ---- value parsers: each returns NULL or what is wrong --------------- */

/* A decimal integer in min..max: digits only, no sign or blanks. */
static const char *
parse_int(const char *s, long long min, long long max, long long *out)
{
	char	*end;

	if (s[0] < '0' || s[0] > '9')
		return "is not a number";
	errno = 0;
	*out = strtoll(s, &end, 10);
	if (*end != '\0')
		return "is not a number";
	if (errno == ERANGE || *out < min || *out > max)
		return "is out of range";
	return NULL;
}

static const char *
parse_duration(const char *s, int64_t *out)
{
	static const char	 units[] = "smhd";
	static const long long	 mult[] = { 1, 60, 3600, 86400 };
	char			 digits[32];
	size_t			 n = strlen(s);
	long long		 v, m = 1;
	const char		*unit;

	if (n > 0 && (unit = strchr(units, s[n - 1])) != NULL) {
		m = mult[unit - units];
		n--;
	}
	if (n == 0 || strspn(s, "0123456789") != n)
		return "is not a duration (like 90, 10m, 24h or 7d)";
	if (n >= sizeof(digits))
		return "is too large (at most 3650d)";
	memcpy(digits, s, n);
	digits[n] = '\0';
	/* The bound is divided, not the value multiplied: no overflow. */
	if (parse_int(digits, 0, DURATION_MAX / m, &v) != NULL)
		return "is too large (at most 3650d)";
	if (v == 0)
		return "must be positive";
	*out = v * m;
	return NULL;
}

static int
host_char(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || c == '-' || c == '.';
}

/* A host name or IPv4 address, or an IPv6 address without brackets. */
static const char *
check_host(const char *host, size_t n, int bracketed)
{
	unsigned char ip[16];

	if (n == 0 || n > HOST_MAX)
		return "has no valid host";
	if (bracketed)
		return inet_pton(AF_INET6, host, ip) == 1 ? NULL :
		    "has no valid IPv6 address in brackets";
	for (size_t i = 0; i < n; i++)
		if (!host_char(host[i]))
			return host[i] == ':' ?
			    "needs brackets around an IPv6 address" :
			    "has no valid host";
	return NULL;
}

/* HOST:PORT or [IPV6]:PORT into listen_host and listen_port. */
static const char *
parse_listen(struct config *c, const char *s)
{
	const char	*colon = strrchr(s, ':'), *host = s, *problem;
	char		 buf[sizeof(c->listen_host)];
	size_t		 n;
	int		 bracketed = s[0] == '[';
	long long	 port;

	if (colon == NULL)
		return "is not HOST:PORT";
	n = (size_t)(colon - s);
	if (bracketed) {
		if (n < 2 || s[n - 1] != ']')
			return "is not [IPV6]:PORT";
		host++, n -= 2;
	}
	if (n >= sizeof(c->listen_host))
		return "has no valid host";
	memcpy(buf, host, n);
	buf[n] = '\0';
	if ((problem = check_host(buf, n, bracketed)) != NULL)
		return problem;
	if (parse_int(colon + 1, 0, 65535, &port) != NULL)
		return "has no port 0..65535";
	memcpy(c->listen_host, buf, n + 1);
	c->listen_port = (uint16_t)port;
	return NULL;
}

static const char *
parse_path(char *dst, size_t size, const char *s, int may_be_empty)
{
	size_t n = strnlen(s, size);

	if (n == 0 && !may_be_empty)
		return "is empty";
	if (n >= size)
		return "is too long";
	memcpy(dst, s, n + 1);
	return NULL;
}

static const char *
parse_store(char *dst, size_t size, const char *s)
{
	static const char *const kinds[] = { "sqlite:", "redis://",
	    "redis+unix:" };
	bool known = *s == '\0';

	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
		if (strncmp(s, kinds[i], strlen(kinds[i])) == 0 &&
		    s[strlen(kinds[i])] != '\0')
			known = true;
	if (!known)
		return "is not sqlite:PATH, redis://HOST:PORT or "
		    "redis+unix:PATH";
	return parse_path(dst, size, s, 1);
}

/* An absolute http(s) base URL: scheme, host, optional port and path. */
static const char *
parse_url(char *dst, size_t size, const char *s)
{
	size_t	 n = strlen(s), skip;

	if (n == 0)
		return parse_path(dst, size, s, 1);
	if (strncasecmp(s, "https://", 8) == 0)
		skip = 8;
	else if (strncasecmp(s, "http://", 7) == 0)
		skip = 7;
	else
		return "must start with https:// or http://";
	for (size_t i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)s[i];
		if (ch <= 0x20 || ch >= 0x7f || strchr("\"'<>\\`?#@", ch))
			return "has a character not allowed in a base URL";
	}
	if (s[skip] == '\0' || s[skip] == '/' || s[skip] == ':')
		return "has no host";
	if (s[n - 1] == '/')
		return "must not end with a slash";
	return parse_path(dst, size, s, 0);
}

static const char *
parse_flag(bool *dst, const char *s)
{
	if (s == NULL || strcmp(s, "true") == 0)
		*dst = true;
	else if (strcmp(s, "false") == 0)
		*dst = false;
	else
		return "is not true or false";
	return NULL;
}

static const char *
parse_profile(struct config *c, const char *s)
{
	if (strcmp(s, "http-00") == 0)
		c->profile = PROFILE_HTTP00;
	else if (strcmp(s, "sct-04") == 0)
		c->profile = PROFILE_SCT04;
	else
		return "is not http-00 or sct-04";
	return NULL;
}

static const char *
parse_log_ids(struct config *c, const char *s)
{
	if (strcmp(s, "hash") == 0)
		c->access_log_plain_ids = false;
	else if (strcmp(s, "plain") == 0)
		c->access_log_plain_ids = true;
	else
		return "is not hash or plain";
	return NULL;
}

static const char *
parse_sync(struct config *c, const char *s)
{
	if (strcmp(s, "full") == 0)
		c->sync_full = true;
	else if (strcmp(s, "normal") == 0)
		c->sync_full = false;
	else
		return "is not full or normal";
	return NULL;
}

/* ---- applying options ------------------------------------------------- */

static const char *
set_number(struct config *c, const struct option *o, const char *s)
{
	char		*dst = (char *)c + o->off;
	const char	*problem;
	long long	 v;

	if ((problem = parse_int(s, o->min, o->max, &v)) != NULL)
		return problem;
	if (o->kind == K_INT)
		*(int *)(void *)dst = (int)v;
	else
		*(long *)(void *)dst = (long)v;
	return NULL;
}

/* Set option o from value s (NULL for a flag given bare). */
static const char *
set_value(struct config *c, const struct option *o, const char *s)
{
	char *dst = (char *)c + o->off;

	switch (o->kind) {
	case K_LISTEN:
		return parse_listen(c, s);
	case K_PATH:
	case K_PATH_OPT:
		return parse_path(dst, o->size, s, o->kind == K_PATH_OPT);
	case K_STORE:
		return parse_store(dst, o->size, s);
	case K_URL:
		return parse_url(dst, o->size, s);
	case K_FLAG:
		return parse_flag((bool *)(void *)dst, s);
	case K_PROFILE:
		return parse_profile(c, s);
	case K_SYNC:
		return parse_sync(c, s);
	case K_LOG_IDS:
		return parse_log_ids(c, s);
	case K_INT:
	case K_LONG:
		return set_number(c, o, s);
	case K_DURATION:
		return parse_duration(s, (int64_t *)(void *)dst);
	default:
		return "cannot be set here";
	}
}

/* Apply o = s, saying in why where (e.g. "--threads") it went wrong. */
static enum config_err
apply(struct config *c, const struct option *o, const char *s,
    const char *where, char *why, size_t why_size)
{
	const char *problem = set_value(c, o, s);

	if (problem == NULL)
		return CONFIG_OK;
	if (s == NULL)
		s = "";
	/* Long values are cut so that the problem still fits in why. */
	if (o->kind == K_INT || o->kind == K_LONG)
		snprintf(why, why_size, "%s: \"%.64s%s\" %s (%lld..%lld)",
		    where, s, strlen(s) > 64 ? "..." : "", problem, o->min,
		    o->max);
	else
		snprintf(why, why_size, "%s: \"%.64s%s\" %s", where, s,
		    strlen(s) > 64 ? "..." : "", problem);
	return CONFIG_EVALUE;
}

static const struct option *
find_option(const char *name, size_t n)
{
	for (size_t i = 0; i < NOPTIONS; i++)
		if (strlen(options[i].name) == n &&
		    memcmp(options[i].name, name, n) == 0)
			return &options[i];
	return NULL;
}

void
config_defaults(struct config *c)
{
	memset(c, 0, sizeof(*c));
	/* The defaults are constants that test_config checks parse. */
	for (size_t i = 0; i < NOPTIONS; i++)
		if (options[i].def != NULL)
			(void)set_value(c, &options[i], options[i].def);
}

/* ---- the command line ------------------------------------------------- */

/* One flag of argv at *i: its option and value; *i moves past both. */
static enum config_err
next_flag(int argc, char **argv, int *i, const struct option **opt,
    const char **value, char *why, size_t why_size)
{
	const char	*arg = argv[*i], *name = arg + 2, *eq;
	size_t		 n;

	if (strncmp(arg, "--", 2) != 0 || arg[2] == '\0') {
		snprintf(why, why_size, "unexpected argument \"%s\"", arg);
		return CONFIG_EUNKNOWN;
	}
	eq = strchr(name, '=');
	n = eq != NULL ? (size_t)(eq - name) : strlen(name);
	if ((*opt = find_option(name, n)) == NULL) {
		snprintf(why, why_size, "unknown option --%.*s",
		    (int)(n > 64 ? 64 : n), name);
		return CONFIG_EUNKNOWN;
	}
	(*i)++;
	*value = eq != NULL ? eq + 1 : NULL;
	if ((*opt)->kind == K_FLAG || (*opt)->kind == K_HELP ||
	    (*opt)->kind == K_VERSION) {
		if (eq == NULL)
			return CONFIG_OK;
		snprintf(why, why_size, "--%s takes no value", (*opt)->name);
		return CONFIG_EVALUE;
	}
	if (eq != NULL)
		return CONFIG_OK;
	if (*i >= argc || strncmp(argv[*i], "--", 2) == 0) {
		snprintf(why, why_size, "--%s needs a value", (*opt)->name);
		return CONFIG_EMISSING;
	}
	*value = argv[(*i)++];
	return CONFIG_OK;
}

/*
 * First pass: check the flags' form, stop at --help or --version, and
 * find the last --config.
 */
static enum config_err
scan_flags(int argc, char **argv, const char **file, char *why,
    size_t why_size)
{
	const struct option	*o;
	const char		*v;
	enum config_err		 err;

	*file = NULL;
	for (int i = 1; i < argc; ) {
		if ((err = next_flag(argc, argv, &i, &o, &v, why,
		    why_size)) != CONFIG_OK)
			return err;
		if (o->kind == K_HELP)
			return CONFIG_HELP;
		if (o->kind == K_VERSION)
			return CONFIG_VERSION;
		if (o->kind == K_CONFIG)
			*file = v;
	}
	return CONFIG_OK;
}

static enum config_err
apply_flags(struct config *c, int argc, char **argv, char *why,
    size_t why_size)
{
	const struct option	*o;
	const char		*v;
	char			 where[80];
	enum config_err		 err;

	for (int i = 1; i < argc; ) {
		if ((err = next_flag(argc, argv, &i, &o, &v, why,
		    why_size)) != CONFIG_OK)
			return err;
		if (o->kind == K_CONFIG)
			continue;
		snprintf(where, sizeof(where), "--%s", o->name);
		if ((err = apply(c, o, v, where, why, why_size)) != CONFIG_OK)
			return err;
	}
	return CONFIG_OK;
}

/* ---- the config file -------------------------------------------------- */

/*
 * One line without its newline into buf (CONFIG_LINE_MAX + 1 bytes).
 * Returns 1 for a line, 0 at the end of the file, -1 for a line too long
 * or holding a NUL byte, -2 on a read error.
 */
static int
read_line(FILE *fp, char *buf)
{
	size_t	 n = 0;
	int	 ch;

	while ((ch = getc(fp)) != EOF && ch != '\n') {
		if (ch == '\0' || n == CONFIG_LINE_MAX)
			return -1;
		buf[n++] = (char)ch;
	}
	if (ferror(fp))
		return -2;
	if (ch == EOF && n == 0)
		return 0;
	if (n > 0 && buf[n - 1] == '\r')
		n--;
	buf[n] = '\0';
	return 1;
}

static char *
trim(char *s)
{
	size_t n;

	while (*s == ' ' || *s == '\t')
		s++;
	n = strlen(s);
	while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t'))
		s[--n] = '\0';
	return s;
}

/* "key = value" at line number lineno of path. */
static enum config_err
apply_line(struct config *c, char *line, const char *path, int lineno,
    char *why, size_t why_size)
{
	const struct option	*o;
	char			*key = trim(line), *eq, where[CONFIG_PATH_MAX + 80];

	if (*key == '\0' || *key == '#')
		return CONFIG_OK;
	if ((eq = strchr(key, '=')) == NULL) {
		snprintf(why, why_size, "%s:%d: not a `key = value` line",
		    path, lineno);
		return CONFIG_EFILE;
	}
	*eq = '\0';
	key = trim(key);
	o = find_option(key, strlen(key));
	if (o == NULL || o->kind == K_CONFIG || o->kind == K_HELP ||
	    o->kind == K_VERSION) {
		snprintf(why, why_size, "%s:%d: unknown key \"%.64s\"", path,
		    lineno, key);
		return CONFIG_EUNKNOWN;
	}
	snprintf(where, sizeof(where), "%s:%d: %s", path, lineno, o->name);
	return apply(c, o, trim(eq + 1), where, why, why_size);
}

static enum config_err
apply_file(struct config *c, const char *path, char *why, size_t why_size)
{
	char		 line[CONFIG_LINE_MAX + 1];
	FILE		*fp;
	enum config_err	 err = CONFIG_OK;
	int		 lineno = 0, r;

	if (strlen(path) >= CONFIG_PATH_MAX) {
		snprintf(why, why_size, "--config: path is too long");
		return CONFIG_EVALUE;
	}
	if ((fp = fopen(path, "r")) == NULL) {
		snprintf(why, why_size, "--config %s: cannot read it: %s", path,
		    strerror(errno));
		return CONFIG_EFILE;
	}
	while (err == CONFIG_OK && (r = read_line(fp, line)) != 0) {
		lineno++;
		if (r < 0 || lineno > CONFIG_LINES_MAX) {
			snprintf(why, why_size, "%s:%d: %s", path, lineno,
			    r == -2 ? "read error" : r == -1 ?
			    "line too long or holds a NUL byte" :
			    "too many lines");
			err = CONFIG_EFILE;
		} else {
			err = apply_line(c, line, path, lineno, why, why_size);
		}
	}
	fclose(fp);
	return err;
}

/* ---- checks across options -------------------------------------------- */

static enum config_err
check(const struct config *c, char *why, size_t why_size)
{
	if ((c->tls_cert[0] == '\0') != (c->tls_key[0] == '\0')) {
		snprintf(why, why_size, "--tls-cert and --tls-key go together:"
		    " %s is missing", c->tls_cert[0] == '\0' ? "--tls-cert" :
		    "--tls-key");
		return CONFIG_EVALUE;
	}
	if (c->default_ttl > c->max_ttl) {
		snprintf(why, why_size, "--default-ttl (%llds) exceeds "
		    "--max-ttl (%llds)", (long long)c->default_ttl,
		    (long long)c->max_ttl);
		return CONFIG_EVALUE;
	}
	return CONFIG_OK;
}

enum config_err
config_parse(struct config *c, int argc, char **argv, char *why,
    size_t why_size)
{
	const char	*file;
	char		 scratch[1];
	enum config_err	 err;

	if (why == NULL || why_size == 0)
		why = scratch, why_size = sizeof(scratch);
	why[0] = '\0';
	if ((err = scan_flags(argc, argv, &file, why, why_size)) != CONFIG_OK)
		return err;
	if (file != NULL &&
	    (err = apply_file(c, file, why, why_size)) != CONFIG_OK)
		return err;
	if ((err = apply_flags(c, argc, argv, why, why_size)) != CONFIG_OK)
		return err;
	return check(c, why, why_size);
}
