/*
 * Tests of config: defaults, every option in both forms, every error kind
 * with its message, durations, config files and their precedence.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <CUnit/Basic.h>

#include "config.h"

#define ARGS_MAX	32

/* The scratch directory for config files; made by the suite's init. */
static char tmpdir[64];

/* Parse the NULL-terminated flags over the defaults. */
static enum config_err
parse(struct config *c, char *why, size_t why_size, ...)
{
	char	*argv[ARGS_MAX + 1] = { "tigress-relay" };
	int	 argc = 1;
	va_list	 ap;

	va_start(ap, why_size);
	while (argc < ARGS_MAX && (argv[argc] = va_arg(ap, char *)) != NULL)
		argc++;
	va_end(ap);
	argv[argc] = NULL;
	config_defaults(c);
	return config_parse(c, argc, argv, why, why_size);
}

/* Write text to tmpdir/name; the path returned is overwritten next call. */
static const char *
write_file(const char *name, const char *text, size_t len)
{
	static char	 path[128];
	FILE		*fp;

	snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
	CU_ASSERT_FATAL((fp = fopen(path, "w")) != NULL);
	CU_ASSERT_FATAL(fwrite(text, 1, len, fp) == len);
	fclose(fp);
	return path;
}

static void
test_defaults(void)
{
	struct config	 c;
	char		 why[256] = "x";

	CU_ASSERT(parse(&c, why, sizeof(why), NULL) == CONFIG_OK);
	CU_ASSERT_STRING_EQUAL(why, "");
	CU_ASSERT_STRING_EQUAL(c.listen_host, "127.0.0.1");
	CU_ASSERT(c.listen_port == 8443);
	CU_ASSERT_STRING_EQUAL(c.data_dir, "./tigress-data");
	CU_ASSERT_STRING_EQUAL(c.store, "");
	CU_ASSERT_STRING_EQUAL(c.tls_cert, "");
	CU_ASSERT_STRING_EQUAL(c.tls_key, "");
	CU_ASSERT(!c.insecure_http);
	CU_ASSERT(c.profile == PROFILE_HTTP00);
	CU_ASSERT_STRING_EQUAL(c.public_url, "");
	CU_ASSERT(c.threads == 0);
	CU_ASSERT(c.default_ttl == 24 * 3600);
	CU_ASSERT(c.max_ttl == 7 * 86400);
	CU_ASSERT(c.max_mailboxes == 100000);
	CU_ASSERT(c.sweep_interval == 60);
	CU_ASSERT(c.idle_timeout == 30);
	CU_ASSERT(c.max_wait == 60);
	CU_ASSERT_STRING_EQUAL(c.notify_spool, "");
	CU_ASSERT_STRING_EQUAL(c.access_log, "");
	CU_ASSERT(!c.sync_full);
}

/* Every option with a value, in the "--x v" form and the "--x=v" form. */
static void
check_all_set(const struct config *c)
{
	CU_ASSERT_STRING_EQUAL(c->listen_host, "0.0.0.0");
	CU_ASSERT(c->listen_port == 9443);
	CU_ASSERT_STRING_EQUAL(c->data_dir, "/var/lib/tigress");
	CU_ASSERT_STRING_EQUAL(c->store, "sqlite:/srv/relay.db");
	CU_ASSERT_STRING_EQUAL(c->tls_cert, "/etc/c.pem");
	CU_ASSERT_STRING_EQUAL(c->tls_key, "/etc/k.pem");
	CU_ASSERT(c->insecure_http);
	CU_ASSERT(c->profile == PROFILE_SCT04);
	CU_ASSERT_STRING_EQUAL(c->public_url, "https://relay.example:8443/t");
	CU_ASSERT(c->threads == 64);
	CU_ASSERT(c->default_ttl == 600);
	CU_ASSERT(c->max_ttl == 2 * 86400);
	CU_ASSERT(c->max_mailboxes == 5);
	CU_ASSERT(c->sweep_interval == 90);
	CU_ASSERT(c->idle_timeout == 3600);
	CU_ASSERT(c->max_wait == 0);
	CU_ASSERT_STRING_EQUAL(c->notify_spool, "/var/spool/tg");
	CU_ASSERT_STRING_EQUAL(c->access_log, "/var/log/tg.log");
	CU_ASSERT(c->sync_full);
}

static void
test_each_option(void)
{
	char *rest[] = { "tigress-relay", "--max-mailboxes", "5",
	    "--sweep-interval", "90", "--idle-timeout", "3600", "--max-wait",
	    "0", "--notify-spool", "/var/spool/tg", "--access-log",
	    "/var/log/tg.log", "--sync", "full", NULL };
	struct config	 c;
	char		 why[256];

	CU_ASSERT(parse(&c, why, sizeof(why), "--listen", "0.0.0.0:9443",
	    "--data-dir", "/var/lib/tigress", "--store", "sqlite:/srv/relay.db",
	    "--tls-cert", "/etc/c.pem", "--tls-key", "/etc/k.pem",
	    "--insecure-http", "--profile", "sct-04", "--public-url",
	    "https://relay.example:8443/t", "--threads", "64",
	    "--default-ttl", "10m", "--max-ttl", "2d", NULL) == CONFIG_OK);
	/* The rest go on top, in a second call that keeps the first's. */
	CU_ASSERT(config_parse(&c, 15, rest, why, sizeof(why)) == CONFIG_OK);
	check_all_set(&c);
}

static void
test_each_option_eq(void)
{
	char *rest[] = { "tigress-relay", "--notify-spool=/var/spool/tg",
	    "--access-log=/var/log/tg.log", "--sync=full", NULL };
	struct config	 c;
	char		 why[256];

	CU_ASSERT(parse(&c, why, sizeof(why), "--listen=0.0.0.0:9443",
	    "--data-dir=/var/lib/tigress", "--store=sqlite:/srv/relay.db",
	    "--tls-cert=/etc/c.pem", "--tls-key=/etc/k.pem",
	    "--insecure-http", "--profile=sct-04",
	    "--public-url=https://relay.example:8443/t", "--threads=64",
	    "--default-ttl=10m", "--max-ttl=2d", "--max-mailboxes=5",
	    "--sweep-interval=90", "--idle-timeout=3600", "--max-wait=0",
	    NULL) == CONFIG_OK);
	CU_ASSERT(config_parse(&c, 4, rest, why, sizeof(why)) == CONFIG_OK);
	check_all_set(&c);
}

static void
test_values(void)
{
	struct config	 c;
	char		 why[256];

	CU_ASSERT(parse(&c, why, sizeof(why), "--profile", "http-00",
	    "--sync", "normal", "--threads", "0", NULL) == CONFIG_OK);
	CU_ASSERT(c.profile == PROFILE_HTTP00 && !c.sync_full);
	CU_ASSERT(parse(&c, why, sizeof(why), "--listen", "localhost:0",
	    NULL) == CONFIG_OK);
	CU_ASSERT_STRING_EQUAL(c.listen_host, "localhost");
	CU_ASSERT(c.listen_port == 0);
	CU_ASSERT(parse(&c, why, sizeof(why), "--public-url",
	    "http://127.0.0.1:8080", NULL) == CONFIG_OK);
	CU_ASSERT_STRING_EQUAL(c.public_url, "http://127.0.0.1:8080");
	/* An empty value puts back the "derive it" default. */
	CU_ASSERT(parse(&c, why, sizeof(why), "--store=sqlite:/x",
	    "--store=", NULL) == CONFIG_OK);
	CU_ASSERT_STRING_EQUAL(c.store, "");
	/* The last of a repeated flag wins. */
	CU_ASSERT(parse(&c, why, sizeof(why), "--threads=2", "--threads", "3",
	    NULL) == CONFIG_OK);
	CU_ASSERT(c.threads == 3);
}

static void
test_listen_ipv6(void)
{
	struct config	 c;
	char		 why[256];

	CU_ASSERT(parse(&c, why, sizeof(why), "--listen", "[::1]:9000",
	    NULL) == CONFIG_OK);
	CU_ASSERT_STRING_EQUAL(c.listen_host, "::1");
	CU_ASSERT(c.listen_port == 9000);
	CU_ASSERT(parse(&c, why, sizeof(why), "--listen=[2001:db8::7]:443",
	    NULL) == CONFIG_OK);
	CU_ASSERT_STRING_EQUAL(c.listen_host, "2001:db8::7");
	CU_ASSERT(c.listen_port == 443);
	CU_ASSERT(parse(&c, why, sizeof(why), "--listen", "::1:9000", NULL) ==
	    CONFIG_EVALUE);
	CU_ASSERT(strstr(why, "brackets") != NULL);
	CU_ASSERT(parse(&c, why, sizeof(why), "--listen", "[::1]", NULL) ==
	    CONFIG_EVALUE);
	CU_ASSERT(parse(&c, why, sizeof(why), "--listen", "[127.0.0.1]:80",
	    NULL) == CONFIG_EVALUE);
	CU_ASSERT(parse(&c, why, sizeof(why), "--listen", "[::1]x:80",
	    NULL) == CONFIG_EVALUE);
}

/* value for option must fail with CONFIG_EVALUE, naming both. */
static void
bad_value(const char *option, const char *value)
{
	struct config	 c;
	char		 why[256] = "", flag[64];

	snprintf(flag, sizeof(flag), "--%s", option);
	CU_ASSERT(parse(&c, why, sizeof(why), flag, value, NULL) ==
	    CONFIG_EVALUE);
	if (strstr(why, flag) == NULL || strstr(why, value) == NULL) {
		fprintf(stderr, "\n%s %s: why is \"%s\"\n", flag, value, why);
		CU_FAIL("why does not name the option and value");
	}
}

static void
test_bad_values(void)
{
	static const char *const bad[][2] = {
		{ "listen", "127.0.0.1" }, { "listen", "127.0.0.1:" },
		{ "listen", "127.0.0.1:65536" }, { "listen", ":8443" },
		{ "listen", "127.0.0.1:-1" }, { "listen", "127.0.0.1:8x" },
		{ "listen", "bad host:80" }, { "listen", "[]:80" },
		{ "data-dir", "" }, { "store", "redis:x" }, { "store", "sqlite:" },
		{ "profile", "http-01" }, { "profile", "HTTP-00" },
		{ "public-url", "ftp://x" }, { "public-url", "https://" },
		{ "public-url", "https://x/" }, { "public-url", "https://x y" },
		{ "public-url", "https://x/?q" }, { "public-url", "relay.example" },
		{ "threads", "65" }, { "threads", "-1" }, { "threads", "two" },
		{ "threads", "" }, { "threads", " 4" }, { "threads", "+4" },
		{ "threads", "4 " }, { "threads", "99999999999999999999999" },
		{ "max-mailboxes", "0" }, { "idle-timeout", "0" },
		{ "idle-timeout", "3601" }, { "max-wait", "3601" },
		{ "sync", "FULL" }, { "sync", "off" },
		{ "default-ttl", "0" }, { "max-ttl", "junk" },
		{ "sweep-interval", "10x" },
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		bad_value(bad[i][0], bad[i][1]);
}

/* One duration through --sweep-interval: its seconds, or -1 for EVALUE. */
static long long
duration(const char *s)
{
	struct config	 c;
	char		 why[256];

	if (parse(&c, why, sizeof(why), "--sweep-interval", s, NULL) !=
	    CONFIG_OK)
		return -1;
	return c.sweep_interval;
}

static void
test_durations(void)
{
	CU_ASSERT(duration("90") == 90);
	CU_ASSERT(duration("1s") == 1);
	CU_ASSERT(duration("10m") == 600);
	CU_ASSERT(duration("24h") == 86400);
	CU_ASSERT(duration("7d") == 604800);
	CU_ASSERT(duration("007m") == 420);
	CU_ASSERT(duration("3650d") == 3650LL * 86400);
	CU_ASSERT(duration("315360000") == 315360000);
	CU_ASSERT(duration("315360001") == -1);
	CU_ASSERT(duration("3651d") == -1);
	CU_ASSERT(duration("87601h") == -1);
	CU_ASSERT(duration("0") == -1);
	CU_ASSERT(duration("0d") == -1);
	CU_ASSERT(duration("") == -1);
	CU_ASSERT(duration("h") == -1);
	CU_ASSERT(duration("-5") == -1);
	CU_ASSERT(duration("-5m") == -1);
	CU_ASSERT(duration("+5") == -1);
	CU_ASSERT(duration(" 5") == -1);
	CU_ASSERT(duration("5 ") == -1);
	CU_ASSERT(duration("5 m") == -1);
	CU_ASSERT(duration("1.5h") == -1);
	CU_ASSERT(duration("10H") == -1);
	CU_ASSERT(duration("10ms") == -1);
	CU_ASSERT(duration("0x10") == -1);
	CU_ASSERT(duration("9223372036854775807") == -1);
	CU_ASSERT(duration("9223372036854775808") == -1);
	CU_ASSERT(duration("106751991167301d") == -1);	/* overflows * 86400 */
	CU_ASSERT(duration("99999999999999999999999999999999999999d") == -1);
}

static void
test_ttl_order(void)
{
	struct config	 c;
	char		 why[256];

	CU_ASSERT(parse(&c, why, sizeof(why), "--default-ttl", "7d", NULL) ==
	    CONFIG_OK);
	CU_ASSERT(parse(&c, why, sizeof(why), "--default-ttl", "8d", NULL) ==
	    CONFIG_EVALUE);
	CU_ASSERT(strstr(why, "--default-ttl") != NULL &&
	    strstr(why, "--max-ttl") != NULL);
	CU_ASSERT(parse(&c, why, sizeof(why), "--max-ttl", "1h", NULL) ==
	    CONFIG_EVALUE);
	CU_ASSERT(parse(&c, why, sizeof(why), "--max-ttl", "1h",
	    "--default-ttl", "30m", NULL) == CONFIG_OK);
}

static void
test_tls_pair(void)
{
	struct config	 c;
	char		 why[256];

	CU_ASSERT(parse(&c, why, sizeof(why), "--tls-cert", "c.pem", NULL) ==
	    CONFIG_EVALUE);
	CU_ASSERT(strstr(why, "--tls-key") != NULL);
	CU_ASSERT(parse(&c, why, sizeof(why), "--tls-key", "k.pem", NULL) ==
	    CONFIG_EVALUE);
	CU_ASSERT(strstr(why, "--tls-cert") != NULL);
}

static void
test_long_paths(void)
{
	struct config	 c;
	char		 why[256], path[1100], flag[1200];

	memset(path, 'a', sizeof(path));
	path[1023] = '\0';
	CU_ASSERT(parse(&c, why, sizeof(why), "--data-dir", path, NULL) ==
	    CONFIG_OK);
	CU_ASSERT(strlen(c.data_dir) == 1023);
	path[1023] = 'a';
	path[1024] = '\0';
	CU_ASSERT(parse(&c, why, sizeof(why), "--data-dir", path, NULL) ==
	    CONFIG_EVALUE);
	CU_ASSERT(strstr(why, "too long") != NULL);
	CU_ASSERT(parse(&c, why, sizeof(why), "--access-log", path, NULL) ==
	    CONFIG_EVALUE);
	CU_ASSERT(parse(&c, why, sizeof(why), "--notify-spool", path, NULL) ==
	    CONFIG_EVALUE);
	snprintf(flag, sizeof(flag), "--tls-cert=%s", path);
	CU_ASSERT(parse(&c, why, sizeof(why), flag, "--tls-key=k", NULL) ==
	    CONFIG_EVALUE);
	memset(path, 'h', 300);
	memcpy(path + 300, ":80", 4);
	CU_ASSERT(parse(&c, why, sizeof(why), "--listen", path, NULL) ==
	    CONFIG_EVALUE);
	memset(path, 'u', 600);
	memcpy(path, "https://", 8);
	path[600] = '\0';
	CU_ASSERT(parse(&c, why, sizeof(why), "--public-url", path, NULL) ==
	    CONFIG_EVALUE);
}

static void
test_arg_errors(void)
{
	struct config	 c;
	char		 why[256];

	CU_ASSERT(parse(&c, why, sizeof(why), "--bogus", NULL) ==
	    CONFIG_EUNKNOWN);
	CU_ASSERT(strstr(why, "--bogus") != NULL);
	CU_ASSERT(parse(&c, why, sizeof(why), "--bogus=1", NULL) ==
	    CONFIG_EUNKNOWN);
	CU_ASSERT(strstr(why, "--bogus") != NULL && strstr(why, "=") == NULL);
	CU_ASSERT(parse(&c, why, sizeof(why), "stray", NULL) ==
	    CONFIG_EUNKNOWN);
	CU_ASSERT(strstr(why, "stray") != NULL);
	CU_ASSERT(parse(&c, why, sizeof(why), "-h", NULL) == CONFIG_EUNKNOWN);
	CU_ASSERT(parse(&c, why, sizeof(why), "--", NULL) == CONFIG_EUNKNOWN);
	CU_ASSERT(parse(&c, why, sizeof(why), "--listen", NULL) ==
	    CONFIG_EMISSING);
	CU_ASSERT(strstr(why, "--listen") != NULL);
	CU_ASSERT(parse(&c, why, sizeof(why), "--data-dir", "--threads", "2",
	    NULL) == CONFIG_EMISSING);
	CU_ASSERT(strstr(why, "--data-dir") != NULL);
	CU_ASSERT(parse(&c, why, sizeof(why), "--insecure-http=yes", NULL) ==
	    CONFIG_EVALUE);
	CU_ASSERT(strstr(why, "--insecure-http") != NULL);
	CU_ASSERT(parse(&c, why, sizeof(why), "--help=1", NULL) ==
	    CONFIG_EVALUE);
	/* A NULL why is allowed. */
	CU_ASSERT(parse(&c, NULL, 0, "--bogus", NULL) == CONFIG_EUNKNOWN);
}

static void
test_help_version(void)
{
	struct config	 c;
	char		 why[256];

	CU_ASSERT(parse(&c, why, sizeof(why), "--help", NULL) == CONFIG_HELP);
	CU_ASSERT(parse(&c, why, sizeof(why), "--threads=99", "--help",
	    NULL) == CONFIG_HELP);
	CU_ASSERT(parse(&c, why, sizeof(why), "--config", "/nonexistent",
	    "--version", NULL) == CONFIG_VERSION);
	CU_ASSERT(parse(&c, why, sizeof(why), "--version", NULL) ==
	    CONFIG_VERSION);
}

static void
test_usage(void)
{
	static const char *const names[] = { "listen", "data-dir", "store",
	    "tls-cert", "tls-key", "insecure-http", "profile", "public-url",
	    "threads", "default-ttl", "max-ttl", "max-mailboxes",
	    "sweep-interval", "idle-timeout", "max-wait", "notify-spool",
	    "access-log", "sync", "config", "help", "version" };
	static const char *const defaults[] = { "127.0.0.1:8443",
	    "./tigress-data", "http-00", "24h", "7d", "100000", "60s",
	    "(default 30)", "(default 60)", "(default normal)" };
	const char	*u = config_usage(), *line;
	char		 flag[32];

	CU_ASSERT(strncmp(u, "usage: tigress-relay [options]\n", 31) == 0);
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		snprintf(flag, sizeof(flag), "  --%s ", names[i]);
		CU_ASSERT(strstr(u, flag) != NULL);
	}
	for (size_t i = 0; i < sizeof(defaults) / sizeof(defaults[0]); i++)
		CU_ASSERT(strstr(u, defaults[i]) != NULL);
	for (line = u; *line != '\0'; line += strcspn(line, "\n") + 1)
		CU_ASSERT(strcspn(line, "\n") <= 79);
}

static void
test_strerror(void)
{
	for (int e = CONFIG_OK; e <= CONFIG_EFILE; e++)
		CU_ASSERT(config_strerror((enum config_err)e)[0] != '\0');
	CU_ASSERT(config_strerror((enum config_err)99)[0] != '\0');
}

static void
test_file(void)
{
	static const char text[] =
	    "# a relay for the lab\n"
	    "\n"
	    "listen = [::1]:9001\r\n"
	    "  threads=4  \n"
	    "\tinsecure-http = true\n"
	    "data-dir = /srv/tigress data\n"
	    "default-ttl = 1h\n"
	    "access-log =\n"
	    "sync = full";
	struct config	 c;
	const char	*path = write_file("ok.conf", text, sizeof(text) - 1);
	char		 why[256];

	CU_ASSERT(parse(&c, why, sizeof(why), "--config", path, NULL) ==
	    CONFIG_OK);
	CU_ASSERT_STRING_EQUAL(c.listen_host, "::1");
	CU_ASSERT(c.listen_port == 9001);
	CU_ASSERT(c.threads == 4);
	CU_ASSERT(c.insecure_http);
	CU_ASSERT_STRING_EQUAL(c.data_dir, "/srv/tigress data");
	CU_ASSERT(c.default_ttl == 3600);
	CU_ASSERT_STRING_EQUAL(c.access_log, "");
	CU_ASSERT(c.sync_full);
}

static void
test_file_override(void)
{
	static const char text[] = "threads = 4\ninsecure-http = true\n"
	    "max-wait = 10\nsync = full\n";
	struct config	 c;
	const char	*path = write_file("over.conf", text, sizeof(text) - 1);
	char		 flag[160], why[256];

	/* Flags before --config still win. */
	CU_ASSERT(parse(&c, why, sizeof(why), "--threads", "8", "--config",
	    path, "--sync=normal", NULL) == CONFIG_OK);
	CU_ASSERT(c.threads == 8);
	CU_ASSERT(c.max_wait == 10);
	CU_ASSERT(c.insecure_http);
	CU_ASSERT(!c.sync_full);
	snprintf(flag, sizeof(flag), "--config=%s", path);
	CU_ASSERT(parse(&c, why, sizeof(why), "--max-wait=5", flag, NULL) ==
	    CONFIG_OK);
	CU_ASSERT(c.max_wait == 5 && c.threads == 4);
	path = write_file("off.conf", "insecure-http = false\n", 22);
	CU_ASSERT(parse(&c, why, sizeof(why), "--insecure-http", "--config",
	    path, NULL) == CONFIG_OK);
	CU_ASSERT(c.insecure_http);
}

/* A file with text must fail with err, and why must hold want. */
static void
bad_file(const char *text, size_t len, enum config_err err,
    const char *want)
{
	struct config	 c;
	const char	*path = write_file("bad.conf", text, len);
	char		 why[1200] = "";

	CU_ASSERT(parse(&c, why, sizeof(why), "--config", path, NULL) == err);
	if (strstr(why, want) == NULL || strstr(why, "bad.conf") == NULL) {
		fprintf(stderr, "\nwant \"%s\" in \"%s\"\n", want, why);
		CU_FAIL("why");
	}
}

#define BAD_FILE(text, err, want) \
	bad_file(text, sizeof(text) - 1, err, want)

static void
test_file_errors(void)
{
	struct config	 c;
	const char	*path;
	char		 why[256], line[5000];

	BAD_FILE("threads = 2\n# ok\nbogus = 1\n", CONFIG_EUNKNOWN,
	    ":3: unknown key \"bogus\"");
	BAD_FILE("threads = 99\n", CONFIG_EVALUE, ":1: threads: \"99\"");
	BAD_FILE("\n\nlisten 127.0.0.1:80\n", CONFIG_EFILE, ":3:");
	BAD_FILE("insecure-http = yes\n", CONFIG_EVALUE, ":1:");
	BAD_FILE("insecure-http\n", CONFIG_EFILE, ":1:");
	BAD_FILE("config = other.conf\n", CONFIG_EUNKNOWN, ":1:");
	BAD_FILE("help = true\n", CONFIG_EUNKNOWN, ":1:");
	BAD_FILE("--threads = 2\n", CONFIG_EUNKNOWN, ":1:");
	BAD_FILE("threads = 2\nsync = fu\0ll\n", CONFIG_EFILE, ":2:");
	memset(line, '#', sizeof(line));
	bad_file(line, sizeof(line), CONFIG_EFILE, ":1: line too long");

	/* A line of exactly 4096 bytes fits. */
	memset(line, ' ', sizeof(line));
	memcpy(line, "threads = 2", 11);
	memcpy(line + 4096, "\nthreads = 3\n", 13);
	path = write_file("bad.conf", line, 4096 + 13);
	CU_ASSERT(parse(&c, why, sizeof(why), "--config", path, NULL) ==
	    CONFIG_OK);
	CU_ASSERT(c.threads == 3);

	/* Checks across options hold for the file too. */
	path = write_file("bad.conf", "default-ttl = 8d\n", 17);
	CU_ASSERT(parse(&c, why, sizeof(why), "--config", path, NULL) ==
	    CONFIG_EVALUE);
	CU_ASSERT(parse(&c, why, sizeof(why), "--config",
	    "/nonexistent/relay.conf", NULL) == CONFIG_EFILE);
	CU_ASSERT_STRING_EQUAL(why, "--config /nonexistent/relay.conf: "
	    "cannot read it: No such file or directory");
	CU_ASSERT(parse(&c, why, sizeof(why), "--config", tmpdir, NULL) ==
	    CONFIG_EFILE);
	CU_ASSERT(parse(&c, why, sizeof(why), "--config", NULL) ==
	    CONFIG_EMISSING);
}

static int
suite_init(void)
{
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/test_config.XXXXXX");
	return mkdtemp(tmpdir) == NULL ? -1 : 0;
}

static int
suite_clean(void)
{
	static const char *const files[] = { "ok.conf", "over.conf",
	    "off.conf", "bad.conf" };
	char path[128];

	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", tmpdir, files[i]);
		unlink(path);
	}
	return rmdir(tmpdir);
}

int
main(void)
{
	static const struct {
		const char	*name;
		CU_TestFunc	 fn;
	} tests[] = {
		{ "defaults", test_defaults },
		{ "each option, --x v", test_each_option },
		{ "each option, --x=v", test_each_option_eq },
		{ "other values", test_values },
		{ "IPv6 listen", test_listen_ipv6 },
		{ "bad values", test_bad_values },
		{ "durations", test_durations },
		{ "default-ttl within max-ttl", test_ttl_order },
		{ "tls-cert with tls-key", test_tls_pair },
		{ "long paths", test_long_paths },
		{ "argument errors", test_arg_errors },
		{ "help and version", test_help_version },
		{ "usage text", test_usage },
		{ "strerror", test_strerror },
		{ "config file", test_file },
		{ "config file overridden", test_file_override },
		{ "config file errors", test_file_errors },
	};
	CU_pSuite	 s;
	unsigned	 failed;

	if (CU_initialize_registry() != CUE_SUCCESS ||
	    (s = CU_add_suite("config", suite_init, suite_clean)) == NULL)
		return 2;
	for (size_t i = 0; i < sizeof(tests) / sizeof(tests[0]); i++)
		if (CU_add_test(s, tests[i].name, tests[i].fn) == NULL)
			return 2;
	CU_basic_set_mode(CU_BRM_VERBOSE);
	CU_basic_run_tests();
	failed = CU_get_number_of_failures() + CU_get_number_of_tests_failed() +
	    CU_get_number_of_suites_failed();
	CU_cleanup_registry();
	return failed == 0 ? 0 : 1;
}
