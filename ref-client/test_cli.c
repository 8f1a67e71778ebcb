/* CUnit tests of cli.c: parsing, required options, durations, exits. */
#include <string.h>

#include <CUnit/CUnit.h>

#include "cli.h"
#include "test_fake.h"

#define ARGC(v) ((int)(sizeof(v) / sizeof((v)[0])))

static void
test_share_full(void)
{
	char *argv[] = { "tigress", "share", "--relay", "https://r:1",
	    "--in", "pi.json", "--title=Car", "--description", "d",
	    "--image", "https://i", "--expires", "10m", "--vertical", "c",
	    "--stateful", "--ca", "ca.pem", "--aead", "128",
	    "--secret-separately", "--json", "--profile", "sct-04",
	    "--retries", "0", "-v" };
	struct cli_args	a;
	char		why[CLI_WHY_SIZE];

	CU_ASSERT_EQUAL_FATAL(cli_parse(ARGC(argv), argv, &a, why), CLIENT_OK);
	CU_ASSERT_EQUAL(a.cmd, CLI_SHARE);
	CU_ASSERT_STRING_EQUAL(a.relay, "https://r:1");
	CU_ASSERT_STRING_EQUAL(a.title, "Car");
	CU_ASSERT_EQUAL(a.expires, 600);
	CU_ASSERT_EQUAL(a.vertical, 'c');
	CU_ASSERT_EQUAL(a.rights, MSG_RIGHT_READ | MSG_RIGHT_WRITE |
	    MSG_RIGHT_DELETE);
	CU_ASSERT_EQUAL(a.key_len, 16);
	CU_ASSERT(a.secret_separately && a.json && a.verbose);
	CU_ASSERT(a.profile_set && a.profile == CLIENT_PROFILE_SCT04);
	CU_ASSERT_EQUAL(a.retries, 0);
}

static void
test_defaults_and_positional(void)
{
	char *argv[] = { "tigress", "accept", "https://r/v1/m/x#s", "--out",
	    "o.json", "--delete" };
	char *wait[] = { "tigress", "wait", "--state", "s.json",
	    "--timeout", "5" };
	struct cli_args	a;
	char		why[CLI_WHY_SIZE];

	CU_ASSERT_EQUAL_FATAL(cli_parse(ARGC(argv), argv, &a, why), CLIENT_OK);
	CU_ASSERT_EQUAL(a.cmd, CLI_ACCEPT);
	CU_ASSERT_STRING_EQUAL(a.url, "https://r/v1/m/x#s");
	CU_ASSERT(a.delete_after);
	CU_ASSERT_EQUAL(a.key_len, 32);
	CU_ASSERT_EQUAL(a.vertical, 'a');
	CU_ASSERT_EQUAL(a.retries, 3);
	CU_ASSERT(!a.profile_set);
	CU_ASSERT_EQUAL_FATAL(cli_parse(ARGC(wait), wait, &a, why), CLIENT_OK);
	CU_ASSERT_EQUAL(a.timeout, 5);
	CU_ASSERT_STRING_EQUAL(a.state, "s.json");
}

/* Each of these is a usage error. */
static void
test_usage_errors(void)
{
	char *bad[][6] = {
		{ "tigress", "frobnicate", NULL },
		{ "tigress", "share", "--in", "x", "--title", "t" },
		{ "tigress", "accept", "--out", "o", NULL },
		{ "tigress", "read", NULL },
		{ "tigress", "read", "--state", "s", "--relay", "https://r" },
		{ "tigress", "send", "--state", "s", NULL },
		{ "tigress", "wait", "--state", "s", "--timeout", "0" },
		{ "tigress", "wait", "--state", "s", "--timeout", "x" },
		{ "tigress", "read", "--state", NULL },
		{ "tigress", "read", "--state", "s", "--json=1", NULL },
		{ "tigress", "read", "u1", "u2", NULL },
		{ "tigress", "cancel", "u", "--ca", "c", "--insecure" },
		{ "tigress", "read", "u", "--notify-type", "t", NULL },
		{ "tigress", NULL },
	};
	struct cli_args	a;
	char		why[CLI_WHY_SIZE];

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int argc = 0;
		while (argc < 6 && bad[i][argc] != NULL)
			argc++;
		CU_ASSERT_EQUAL(cli_parse(argc, bad[i], &a, why),
		    CLIENT_ERR_USAGE);
		CU_ASSERT(why[0] != '\0');
	}
}

static void
test_values(void)
{
	char *access[] = { "tigress", "share", "--relay", "https://r",
	    "--in", "i", "--title", "t", "--access", "RR" };
	char *vert[] = { "tigress", "share", "--relay", "https://r",
	    "--in", "i", "--title", "t", "--vertical", "x" };
	char *help[] = { "tigress", "share", "--help" };
	char *secret[] = { "tigress", "https://r/v1/m/x#SECRET" };
	struct cli_args	a;
	char		why[CLI_WHY_SIZE];

	CU_ASSERT_EQUAL(cli_parse(ARGC(access), access, &a, why),
	    CLIENT_ERR_USAGE);
	access[9] = "RD";
	CU_ASSERT_EQUAL(cli_parse(ARGC(access), access, &a, why), CLIENT_OK);
	CU_ASSERT_EQUAL(a.rights, MSG_RIGHT_READ | MSG_RIGHT_DELETE);
	access[9] = "WD";
	CU_ASSERT_EQUAL(cli_parse(ARGC(access), access, &a, why),
	    CLIENT_ERR_USAGE);
	CU_ASSERT_EQUAL(cli_parse(ARGC(vert), vert, &a, why),
	    CLIENT_ERR_USAGE);
	CU_ASSERT_EQUAL(cli_parse(ARGC(help), help, &a, why), CLIENT_OK);
	CU_ASSERT(a.help);
	/* a misplaced share URL is never echoed */
	CU_ASSERT_EQUAL(cli_parse(ARGC(secret), secret, &a, why),
	    CLIENT_ERR_USAGE);
	CU_ASSERT(strstr(why, "SECRET") == NULL);
}

/* The message of a usage error names what is missing. */
static const char *
why_of(int argc, char **argv)
{
	static char	why[CLI_WHY_SIZE];
	struct cli_args	a;

	CU_ASSERT_EQUAL(cli_parse(argc, argv, &a, why), CLIENT_ERR_USAGE);
	return why;
}

static void
test_precise_messages(void)
{
	char *share[] = { "tigress", "share", "--in", "x", "--title", "t" };
	char *none[] = { "tigress", "share" };
	char *accept[] = { "tigress", "accept" };
	char *accept_st[] = { "tigress", "accept", "--state", "s" };
	char *read[] = { "tigress", "read" };
	char *two_stdin[] = { "tigress", "accept", "-", "--secret-file",
	    "-" };
	char *status[] = { "tigress", "status", "https://r/v1/m/x" };
	char *status_ca[] = { "tigress", "status", "--ca", "c" };

	CU_ASSERT_STRING_EQUAL(why_of(ARGC(share), share),
	    "share needs --relay https://HOST[:PORT]");
	CU_ASSERT_STRING_EQUAL(why_of(ARGC(none), none), "share needs --relay "
	    "https://HOST[:PORT], --in FILE and --title TEXT");
	CU_ASSERT(strstr(why_of(ARGC(accept), accept), "the share URL") !=
	    NULL);
	CU_ASSERT(strstr(why_of(ARGC(accept_st), accept_st), "--state only")
	    != NULL);
	CU_ASSERT(strstr(why_of(ARGC(read), read), "--url-file") != NULL);
	CU_ASSERT(strstr(why_of(ARGC(two_stdin), two_stdin), "both") != NULL);
	CU_ASSERT(strstr(why_of(ARGC(status), status), "no share URL") !=
	    NULL);
	CU_ASSERT(strstr(why_of(ARGC(status_ca), status_ca), "--ca") != NULL);
}

static void
test_url_from_file_status_version(void)
{
	char *dash[] = { "tigress", "accept", "-", "--out", "o" };
	char *file[] = { "tigress", "cancel", "--url-file", "u.txt" };
	char *status[] = { "tigress", "status", "--prune", "--json" };
	char *version[] = { "tigress", "--version" };
	char *sub_version[] = { "tigress", "read", "--version" };
	struct cli_args	a;
	char		why[CLI_WHY_SIZE];

	CU_ASSERT_EQUAL_FATAL(cli_parse(ARGC(dash), dash, &a, why), CLIENT_OK);
	CU_ASSERT_PTR_NULL(a.url);
	CU_ASSERT_STRING_EQUAL(a.url_file, "-");
	CU_ASSERT_EQUAL_FATAL(cli_parse(ARGC(file), file, &a, why), CLIENT_OK);
	CU_ASSERT_STRING_EQUAL(a.url_file, "u.txt");
	CU_ASSERT_EQUAL_FATAL(cli_parse(ARGC(status), status, &a, why),
	    CLIENT_OK);
	CU_ASSERT(a.cmd == CLI_STATUS && a.prune && a.json);
	CU_ASSERT_EQUAL(cli_parse(ARGC(version), version, &a, why), CLIENT_OK);
	CU_ASSERT(a.version);
	CU_ASSERT_EQUAL(cli_parse(ARGC(sub_version), sub_version, &a, why),
	    CLIENT_OK);
	CU_ASSERT(a.version);
	CU_ASSERT(strncmp(cli_version(), "tigress ", 8) == 0);
	CU_ASSERT(strstr(cli_usage(CLI_NONE), "Exit codes:") != NULL);
	for (int c = CLI_NONE; c < CLI_CMD_COUNT; c++)
		CU_ASSERT(strstr(cli_usage((enum cli_cmd)c), "Example") !=
		    NULL);
}

static void
test_durations(void)
{
	int64_t s = 0;

	CU_ASSERT(cli_duration("90", &s) && s == 90);
	CU_ASSERT(cli_duration("30s", &s) && s == 30);
	CU_ASSERT(cli_duration("10m", &s) && s == 600);
	CU_ASSERT(cli_duration("2h", &s) && s == 7200);
	CU_ASSERT(cli_duration("7d", &s) && s == 604800);
	CU_ASSERT(!cli_duration("", &s));
	CU_ASSERT(!cli_duration("m", &s));
	CU_ASSERT(!cli_duration("0", &s));
	CU_ASSERT(!cli_duration("-5", &s));
	CU_ASSERT(!cli_duration("1w", &s));
	CU_ASSERT(!cli_duration("5 m", &s));
	CU_ASSERT(!cli_duration("99999999999d", &s));
}

static void
test_exit_codes(void)
{
	static const int want[CLIENT_ERR_COUNT] = { 0, 1, 2, 3, 4, 5, 6, 7, 8,
	    9, 10 };

	for (int i = 0; i < CLIENT_ERR_COUNT; i++)
		CU_ASSERT_EQUAL(cli_exit_code((enum client_err)i), want[i]);
	CU_ASSERT_EQUAL(cli_exit_code(CLIENT_ERR_COUNT), 1);
	for (int c = CLI_NONE; c < CLI_CMD_COUNT; c++)
		CU_ASSERT(strncmp(cli_usage((enum cli_cmd)c), "usage: tigress",
		    14) == 0);
}

void
ct_suite_cli(void)
{
	CU_pSuite s = CU_add_suite("cli", NULL, NULL);

	CU_add_test(s, "share with every option", test_share_full);
	CU_add_test(s, "defaults and the URL argument",
	    test_defaults_and_positional);
	CU_add_test(s, "usage errors", test_usage_errors);
	CU_add_test(s, "option values", test_values);
	CU_add_test(s, "durations", test_durations);
	CU_add_test(s, "messages name what is missing", test_precise_messages);
	CU_add_test(s, "URL from a file, status, --version",
	    test_url_from_file_status_version);
	CU_add_test(s, "exit codes and help texts", test_exit_codes);
}
