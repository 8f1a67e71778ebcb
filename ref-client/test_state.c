/*
 * CUnit tests of state.c: round trip, 0600, refusals, default paths, the
 * digests of what a device saw or sent.
 */
#include <sys/stat.h>

#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <CUnit/CUnit.h>

#include "state.h"
#include "test_fake.h"

#define MBOX "https://relay.example:8443/v1/m/2bba630e-519b-41ec-bf63-0242ac130002"
#define DIGEST7 "0000000000000000000000000000000000000000000000000000000000000007"

/* A fresh private directory per test. */
static void
tmpdir(char *out, size_t size)
{
	snprintf(out, size, "/tmp/tigress-test-XXXXXX");
	CU_ASSERT_FATAL(mkdtemp(out) != NULL);
}

static void
rmtree(const char *dir)
{
	char cmd[512];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	CU_ASSERT(system(cmd) == 0);
}

static void
sample(struct state *st)
{
	memset(st, 0, sizeof(*st));
	st->role = STATE_RECIPIENT;
	snprintf(st->mailbox_url, sizeof(st->mailbox_url), "%s", MBOX);
	st->vertical = 'c';
	for (size_t i = 0; i < 32; i++)
		st->secret[i] = (uint8_t)(i * 7 + 1);
	st->secret_len = 32;
	snprintf(st->claim, sizeof(st->claim),
	    "6f1c1e6e-2a6b-4c55-9d8e-0b8f1b2c3d4e");
	snprintf(st->etag, sizeof(st->etag), "\"3\"");
	state_remember(st, DIGEST7);
	st->expiration = 1893456000;	/* 2030-01-01 */
	snprintf(st->profile, sizeof(st->profile), "sct-04");
	snprintf(st->ca_file, sizeof(st->ca_file), "/etc/ca.pem");
	st->insecure = false;
}

static void
test_round_trip_0600(void)
{
	char		dir[64], path[128];
	struct state	a, b;
	struct stat	sb;

	tmpdir(dir, sizeof(dir));
	snprintf(path, sizeof(path), "%s/sub/s.json", dir);
	sample(&a);
	CU_ASSERT_EQUAL_FATAL(state_save(&a, path, true), STATE_OK);
	CU_ASSERT_EQUAL(stat(path, &sb), 0);
	CU_ASSERT_EQUAL(sb.st_mode & 0777, 0600);
	snprintf(path, sizeof(path), "%s/sub", dir);
	CU_ASSERT_EQUAL(stat(path, &sb), 0);
	CU_ASSERT_EQUAL(sb.st_mode & 0777, 0700);
	snprintf(path, sizeof(path), "%s/sub/s.json", dir);
	CU_ASSERT_EQUAL_FATAL(state_load(path, &b), STATE_OK);
	CU_ASSERT_EQUAL(b.role, STATE_RECIPIENT);
	CU_ASSERT_STRING_EQUAL(b.mailbox_url, MBOX);
	CU_ASSERT_EQUAL(b.vertical, 'c');
	CU_ASSERT_EQUAL(b.secret_len, 32);
	CU_ASSERT(memcmp(a.secret, b.secret, 32) == 0);
	CU_ASSERT_STRING_EQUAL(b.claim, a.claim);
	CU_ASSERT_STRING_EQUAL(b.etag, "\"3\"");
	CU_ASSERT_EQUAL(b.nseen, 1);
	CU_ASSERT_STRING_EQUAL(b.seen[0], DIGEST7);
	CU_ASSERT_EQUAL(b.expiration, a.expiration);
	CU_ASSERT_STRING_EQUAL(b.profile, "sct-04");
	CU_ASSERT_STRING_EQUAL(b.ca_file, "/etc/ca.pem");
	/* create_new never replaces; an update does, still 0600 */
	CU_ASSERT_EQUAL(state_save(&a, path, true), STATE_ERR_EXISTS);
	a.role = STATE_INITIATOR;
	a.secret_len = 16;
	CU_ASSERT_EQUAL(state_save(&a, path, false), STATE_OK);
	CU_ASSERT_EQUAL(stat(path, &sb), 0);
	CU_ASSERT_EQUAL(sb.st_mode & 0777, 0600);
	CU_ASSERT_EQUAL(state_load(path, &b), STATE_OK);
	CU_ASSERT_EQUAL(b.role, STATE_INITIATOR);
	CU_ASSERT_EQUAL(b.secret_len, 16);
	CU_ASSERT_EQUAL(state_remove(path), STATE_OK);
	CU_ASSERT_EQUAL(state_load(path, &b), STATE_ERR_MISSING);
	rmtree(dir);
}

static void
test_refusals(void)
{
	char		dir[64], path[128];
	struct state	a, b;
	int		fd;

	tmpdir(dir, sizeof(dir));
	snprintf(path, sizeof(path), "%s/s.json", dir);
	sample(&a);
	CU_ASSERT_EQUAL_FATAL(state_save(&a, path, true), STATE_OK);
	CU_ASSERT_EQUAL(chmod(path, 0644), 0);
	CU_ASSERT_EQUAL(state_load(path, &b), STATE_ERR_MODE);
	CU_ASSERT_EQUAL(b.secret_len, 0);	/* nothing half-loaded */
	CU_ASSERT_EQUAL(chmod(path, 0600), 0);
	/* not a state file */
	fd = open(path, O_WRONLY | O_TRUNC);
	CU_ASSERT_FATAL(fd >= 0);
	CU_ASSERT_EQUAL(write(fd, "{\"version\":1}", 13), 13);
	close(fd);
	CU_ASSERT_EQUAL(state_load(path, &b), STATE_ERR_FORMAT);
	/* too large */
	fd = open(path, O_WRONLY | O_TRUNC);
	CU_ASSERT_FATAL(fd >= 0);
	for (int i = 0; i < STATE_FILE_MAX / 1000 + 2; i++) {
		char junk[1000];
		memset(junk, ' ', sizeof(junk));
		CU_ASSERT_EQUAL(write(fd, junk, sizeof(junk)), 1000);
	}
	close(fd);
	CU_ASSERT_EQUAL(state_load(path, &b), STATE_ERR_TOO_LARGE);
	/* a bad secret length in an otherwise good file */
	a.secret_len = 24;
	CU_ASSERT_EQUAL(state_save(&a, path, false), STATE_ERR_FORMAT);
	rmtree(dir);
}

static void
test_default_path(void)
{
	char out[STATE_PATH_MAX];
	const char *id = "2BBA630E-519B-41EC-BF63-0242AC130002";

	CU_ASSERT_EQUAL(state_default_path(id, STATE_INITIATOR, "/s",
	    "/home/u", out, sizeof(out)), STATE_OK);
	CU_ASSERT_STRING_EQUAL(out,
	    "/s/2bba630e-519b-41ec-bf63-0242ac130002.initiator.json");
	CU_ASSERT_EQUAL(state_default_path(id, STATE_RECIPIENT, "",
	    "/home/u", out, sizeof(out)), STATE_OK);
	CU_ASSERT_STRING_EQUAL(out, "/home/u/.tigress/"
	    "2bba630e-519b-41ec-bf63-0242ac130002.recipient.json");
	CU_ASSERT_EQUAL(state_default_path(id, STATE_INITIATOR, NULL, NULL,
	    out, sizeof(out)), STATE_ERR_PATH);
	CU_ASSERT_EQUAL(state_default_path(id, 0, "/s", NULL, out,
	    sizeof(out)), STATE_ERR_PATH);
	/* never a path built from something that is not a UUID */
	CU_ASSERT_EQUAL(state_default_path("../../etc/passwd",
	    STATE_INITIATOR, "/s", NULL, out, sizeof(out)), STATE_ERR_PATH);
	CU_ASSERT_EQUAL(state_default_path(id, STATE_INITIATOR, "/s", NULL,
	    out, 20), STATE_ERR_PATH);
}

/* What state_list() reported, for the test below. */
struct seen_list {
	int	ok, bad;
	char	last_ok[128];
};

static void
count_visit(void *arg, const char *path, const struct state *st,
    enum state_err err)
{
	struct seen_list *l = arg;

	if (st != NULL) {
		l->ok++;
		snprintf(l->last_ok, sizeof(l->last_ok), "%s",
		    strrchr(path, '/') + 1);
		CU_ASSERT_EQUAL(st->secret_len, 32);
	} else {
		l->bad++;
		CU_ASSERT_EQUAL(err, STATE_ERR_FORMAT);
	}
}

static void
test_list_and_remove(void)
{
	char		 dir[64], path[128], junk[128], buf[128];
	struct state	 a;
	struct seen_list l = { 0, 0, "" };
	size_t		 n = 99;
	int		 fd;

	tmpdir(dir, sizeof(dir));
	sample(&a);
	snprintf(path, sizeof(path), "%s/a.json", dir);
	CU_ASSERT_EQUAL(state_save(&a, path, true), STATE_OK);
	snprintf(junk, sizeof(junk), "%s/notes.json", dir);
	fd = open(junk, O_WRONLY | O_CREAT, 0600);
	CU_ASSERT(fd >= 0 && write(fd, "{}", 2) == 2);
	close(fd);
	snprintf(buf, sizeof(buf), "%s/other.txt", dir);
	fd = open(buf, O_WRONLY | O_CREAT, 0600);
	close(fd);
	CU_ASSERT_EQUAL(state_list(dir, count_visit, &l, &n), STATE_OK);
	CU_ASSERT_EQUAL(n, 2);		/* *.json only */
	CU_ASSERT(l.ok == 1 && l.bad == 1);
	CU_ASSERT_STRING_EQUAL(l.last_ok, "a.json");
	/* removal overwrites first: a second link shows the bytes */
	snprintf(buf, sizeof(buf), "%s/link", dir);
	CU_ASSERT_EQUAL(link(path, buf), 0);
	CU_ASSERT_EQUAL(state_remove(path), STATE_OK);
	CU_ASSERT_EQUAL(access(path, F_OK), -1);
	fd = open(buf, O_RDONLY);
	CU_ASSERT_FATAL(fd >= 0);
	memset(junk, 'x', sizeof(junk));
	CU_ASSERT(read(fd, junk, 64) == 64);
	close(fd);
	for (size_t i = 0; i < 64; i++)
		CU_ASSERT_EQUAL(junk[i], 0);
	CU_ASSERT_EQUAL(state_remove(path), STATE_OK);	/* already gone */
	snprintf(buf, sizeof(buf), "%s/none", dir);
	CU_ASSERT_EQUAL(state_list(buf, count_visit, &l, &n),
	    STATE_ERR_MISSING);
	CU_ASSERT_EQUAL(state_dir("", "/home/u", buf, sizeof(buf)), STATE_OK);
	CU_ASSERT_STRING_EQUAL(buf, "/home/u/.tigress");
	CU_ASSERT_EQUAL(state_dir(NULL, NULL, buf, sizeof(buf)),
	    STATE_ERR_PATH);
	state_wipe(&a);
	rmtree(dir);
}

/* Write text as the state file path (0600). */
static void
write_text(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);

	CU_ASSERT_FATAL(fd >= 0);
	CU_ASSERT_EQUAL(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
}

/* A state file whose digests are given as members: "seen" or "digest". */
static void
write_with_digests(const char *path, const char *members)
{
	char text[STATE_FILE_MAX];

	snprintf(text, sizeof(text), "{\"version\": 1, \"role\": "
	    "\"recipient\", \"mailboxUrl\": \"%s\", \"vertical\": \"c\", "
	    "\"secret\": \"AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=\", "
	    "\"claim\": \"6f1c1e6e-2a6b-4c55-9d8e-0b8f1b2c3d4e\", "
	    "\"etag\": \"\", %s}", MBOX, members);
	write_text(path, text);
}

static void
test_seen_digests(void)
{
	char		dir[64], path[128], d[STATE_DIGEST_SIZE];
	struct state	a, b;

	sample(&a);
	/* every digest kept once; the oldest goes when the list is full */
	state_remember(&a, DIGEST7);
	state_remember(&a, "not a digest");
	CU_ASSERT_EQUAL(a.nseen, 1);
	for (int i = 0; i < STATE_SEEN_MAX; i++) {
		snprintf(d, sizeof(d), "%064x", i + 100);
		state_remember(&a, d);
	}
	CU_ASSERT_EQUAL(a.nseen, STATE_SEEN_MAX);
	CU_ASSERT(!state_seen(&a, DIGEST7));
	CU_ASSERT(state_seen(&a, d));
	snprintf(d, sizeof(d), "%064x", 100);
	CU_ASSERT_STRING_EQUAL(a.seen[0], d);
	/* all of them survive a round trip, in order */
	tmpdir(dir, sizeof(dir));
	snprintf(path, sizeof(path), "%s/s.json", dir);
	CU_ASSERT_EQUAL_FATAL(state_save(&a, path, true), STATE_OK);
	CU_ASSERT_EQUAL_FATAL(state_load(path, &b), STATE_OK);
	CU_ASSERT_EQUAL(b.nseen, STATE_SEEN_MAX);
	CU_ASSERT(memcmp(a.seen, b.seen, sizeof(a.seen)) == 0);
	/* a file written before the list: its last digest */
	write_with_digests(path, "\"digest\": \"" DIGEST7 "\"");
	CU_ASSERT_EQUAL_FATAL(state_load(path, &b), STATE_OK);
	CU_ASSERT(b.nseen == 1 && state_seen(&b, DIGEST7));
	write_with_digests(path, "\"digest\": \"\"");
	CU_ASSERT_EQUAL(state_load(path, &b), STATE_OK);
	CU_ASSERT_EQUAL(b.nseen, 0);
	/* refused: what is no digest */
	write_with_digests(path, "\"seen\": [\"0007\"]");
	CU_ASSERT_EQUAL(state_load(path, &b), STATE_ERR_FORMAT);
	write_with_digests(path, "\"seen\": \"" DIGEST7 "\"");
	CU_ASSERT_EQUAL(state_load(path, &b), STATE_ERR_FORMAT);
	write_with_digests(path, "\"digest\": \"xyz\"");
	CU_ASSERT_EQUAL(state_load(path, &b), STATE_ERR_FORMAT);
	state_wipe(&a);
	state_wipe(&b);
	rmtree(dir);
}

/*
 * share checks the state directory before it creates a mailbox: made
 * 0700 when missing, a file can be created in it, nothing left behind.
 */
/* What another run saved is merged in, never from another share. */
static void
test_merge_seen(void)
{
	static const char d8[] = "00000000000000000000000000000000000000000"
	    "00000000000000000000008";
	struct state	a, b;

	sample(&a);
	sample(&b);
	state_remember(&b, d8);
	state_merge_seen(&a, &b);
	CU_ASSERT_EQUAL(a.nseen, 2);
	CU_ASSERT(state_seen(&a, DIGEST7) && state_seen(&a, d8));
	state_merge_seen(&a, &b);		/* nothing twice */
	CU_ASSERT_EQUAL(a.nseen, 2);
	sample(&a);
	a.claim[0] = '7';			/* another claim: ignored */
	state_merge_seen(&a, &b);
	CU_ASSERT(a.nseen == 1 && !state_seen(&a, d8));
	state_wipe(&a);
	state_wipe(&b);
}

static void
test_dir_ready(void)
{
	char		dir[64], path[160], file[160];
	struct stat	sb;
	DIR		*d;
	struct dirent	*ent;
	int		n = 0;

	tmpdir(dir, sizeof(dir));
	snprintf(path, sizeof(path), "%s/new/share", dir);
	CU_ASSERT_EQUAL(state_dir_ready(path), STATE_OK);
	snprintf(file, sizeof(file), "%s/new", dir);
	CU_ASSERT_FATAL(stat(file, &sb) == 0);
	CU_ASSERT(S_ISDIR(sb.st_mode) && (sb.st_mode & 0777) == 0700);
	CU_ASSERT_FATAL((d = opendir(file)) != NULL);
	while ((ent = readdir(d)) != NULL)
		n += ent->d_name[0] != '.';
	closedir(d);
	CU_ASSERT_EQUAL(n, 0);			/* the probe is gone */
	/* one level only, as state_save(); under a file: refused */
	snprintf(path, sizeof(path), "%s/a/b/share", dir);
	CU_ASSERT_EQUAL(state_dir_ready(path), STATE_ERR_IO);
	snprintf(file, sizeof(file), "%s/plain", dir);
	write_text(file, "x");
	snprintf(path, sizeof(path), "%s/plain/share", dir);
	CU_ASSERT_EQUAL(state_dir_ready(path), STATE_ERR_IO);
	rmtree(dir);
}

void
ct_suite_state(void)
{
	CU_pSuite s = CU_add_suite("state", NULL, NULL);

	CU_add_test(s, "round trip, mode 0600, no replace", test_round_trip_0600);
	CU_add_test(s, "refuses open modes, junk, size", test_refusals);
	CU_add_test(s, "default path", test_default_path);
	CU_add_test(s, "list the directory; removal wipes",
	    test_list_and_remove);
	CU_add_test(s, "digests seen or sent: bounded, kept, read from old "
	    "files", test_seen_digests);
	CU_add_test(s, "seen lists merge within one share", test_merge_seen);
	CU_add_test(s, "the directory is checked before a share",
	    test_dir_ready);
}
