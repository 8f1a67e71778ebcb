/*
 * Tests of tls: the self-signed certificate is made once, with a private
 * key file, the right names and a usable trust anchor; the server context
 * refuses missing and mismatched files.  Runs in a mkdtemp() directory.
 */
#include <sys/stat.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <CUnit/Basic.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "tls.h"

/* A one-name list for tls_ensure_selfsigned(). */
#define HOSTS(h)	((const char *const[]){ (h), NULL })

/* Two directories, each with its own pair; made by the suite's init. */
struct pair {
	char	 dir[64];
	char	 cert[96];
	char	 key[96];
};

static struct pair a, b;

static int
make_dir(struct pair *p)
{
	snprintf(p->dir, sizeof(p->dir), "/tmp/test_tls.XXXXXX");
	if (mkdtemp(p->dir) == NULL)
		return -1;
	snprintf(p->cert, sizeof(p->cert), "%s/cert.pem", p->dir);
	snprintf(p->key, sizeof(p->key), "%s/key.pem", p->dir);
	return 0;
}

static void
remove_dir(struct pair *p)
{
	unlink(p->cert);
	unlink(p->key);
	rmdir(p->dir);
}

static int
suite_init(void)
{
	return make_dir(&a) == 0 && make_dir(&b) == 0 ? 0 : -1;
}

static int
suite_clean(void)
{
	remove_dir(&a);
	remove_dir(&b);
	return 0;
}

static X509 *
read_cert(const char *path)
{
	FILE	*fp = fopen(path, "r");
	X509	*x;

	if (fp == NULL)
		return NULL;
	x = PEM_read_X509(fp, NULL, NULL, NULL);
	fclose(fp);
	return x;
}

/* The SAN holds an IP address entry equal to ip[0..len). */
static int
san_has_ip(X509 *x, const unsigned char *ip, int len)
{
	GENERAL_NAMES	*gens = X509_get_ext_d2i(x, NID_subject_alt_name,
			    NULL, NULL);
	int		 found = 0;

	for (int i = 0; i < sk_GENERAL_NAME_num(gens); i++) {
		const GENERAL_NAME *gn = sk_GENERAL_NAME_value(gens, i);
		if (gn->type == GEN_IPADD &&
		    ASN1_STRING_length(gn->d.ip) == len &&
		    memcmp(ASN1_STRING_get0_data(gn->d.ip), ip, len) == 0)
			found = 1;
	}
	GENERAL_NAMES_free(gens);
	return found;
}

static int
san_count(X509 *x)
{
	GENERAL_NAMES	*gens = X509_get_ext_d2i(x, NID_subject_alt_name,
			    NULL, NULL);
	int		 n = sk_GENERAL_NAME_num(gens);

	GENERAL_NAMES_free(gens);
	return n;
}

static void
test_generate(void)
{
	struct stat	 st;
	int		 generated = -1;

	CU_ASSERT_FATAL(tls_ensure_selfsigned(a.cert, a.key,
	    HOSTS("192.0.2.7"), &generated) == TLS_OK);
	CU_ASSERT(generated == 1);
	CU_ASSERT(stat(a.cert, &st) == 0 && S_ISREG(st.st_mode));
	CU_ASSERT(stat(a.key, &st) == 0 && (st.st_mode & 07777) == 0600);
	CU_ASSERT_FATAL(tls_ensure_selfsigned(b.cert, b.key, NULL,
	    &generated) == TLS_OK);
	CU_ASSERT(generated == 1);
}

static void
test_not_regenerated(void)
{
	struct stat	 before, after;
	int		 generated = -1;

	CU_ASSERT_FATAL(stat(a.cert, &before) == 0);
	CU_ASSERT(tls_ensure_selfsigned(a.cert, a.key, HOSTS("192.0.2.7"),
	    &generated) == TLS_OK);
	CU_ASSERT(generated == 0);
	CU_ASSERT(stat(a.cert, &after) == 0 && after.st_ino == before.st_ino &&
	    after.st_mtime == before.st_mtime);
}

static void
test_certificate(void)
{
	static const unsigned char lo4[4] = { 127, 0, 0, 1 };
	static const unsigned char lo6[16] = { [15] = 1 };
	static const unsigned char extra[4] = { 192, 0, 2, 7 };
	X509		*x = read_cert(a.cert);
	EVP_PKEY	*pub;
	BIGNUM		*serial;
	char		 cn[64] = "";
	int		 days = 0, secs = 0;

	CU_ASSERT_FATAL(x != NULL);
	CU_ASSERT(san_has_ip(x, lo4, 4));
	CU_ASSERT(san_has_ip(x, lo6, 16));
	CU_ASSERT(san_has_ip(x, extra, 4));
	CU_ASSERT(X509_check_host(x, "localhost", 0, 0, NULL) == 1);
	CU_ASSERT(X509_check_host(x, "example.com", 0, 0, NULL) == 0);
	CU_ASSERT(X509_NAME_get_text_by_NID(X509_get_subject_name(x),
	    NID_commonName, cn, sizeof(cn)) > 0);
	CU_ASSERT_STRING_EQUAL(cn, "tigress-relay (local)");
	pub = X509_get0_pubkey(x);
	CU_ASSERT(pub != NULL && EVP_PKEY_is_a(pub, "EC") &&
	    EVP_PKEY_get_bits(pub) == 256);
	CU_ASSERT(X509_verify(x, pub) == 1);
	serial = ASN1_INTEGER_to_BN(X509_get0_serialNumber(x), NULL);
	CU_ASSERT(serial != NULL && BN_num_bits(serial) == 128);
	BN_free(serial);
	CU_ASSERT(ASN1_TIME_diff(&days, &secs, X509_get0_notBefore(x),
	    X509_get0_notAfter(x)) == 1 && days == 365);
	X509_free(x);
}

static void
test_extra_hosts(void)
{
	static const unsigned char v6[16] = { 0x20, 0x01, 0x0d, 0xb8,
	    [15] = 1 };
	struct pair	 p;
	X509		*x;
	int		 generated;

	CU_ASSERT_FATAL(make_dir(&p) == 0);
	CU_ASSERT(tls_ensure_selfsigned(p.cert, p.key,
	    HOSTS("[2001:db8::1]"), &generated) == TLS_OK);
	CU_ASSERT_FATAL((x = read_cert(p.cert)) != NULL);
	CU_ASSERT(san_has_ip(x, v6, 16));
	CU_ASSERT(san_count(x) == 4);
	X509_free(x);
	remove_dir(&p);

	CU_ASSERT_FATAL(make_dir(&p) == 0);
	CU_ASSERT(tls_ensure_selfsigned(p.cert, p.key,
	    HOSTS("relay.example"), &generated) == TLS_OK);
	CU_ASSERT_FATAL((x = read_cert(p.cert)) != NULL);
	CU_ASSERT(X509_check_host(x, "relay.example", 0, 0, NULL) == 1);
	X509_free(x);
	remove_dir(&p);

	/* Already present names are not repeated. */
	CU_ASSERT_FATAL(make_dir(&p) == 0);
	CU_ASSERT(tls_ensure_selfsigned(p.cert, p.key, HOSTS("::1"),
	    &generated) == TLS_OK);
	CU_ASSERT_FATAL((x = read_cert(p.cert)) != NULL);
	CU_ASSERT(san_count(x) == 3);
	X509_free(x);
	remove_dir(&p);
}

static void
test_bad_host(void)
{
	struct pair	 p;
	struct stat	 st;
	int		 generated = -1;

	CU_ASSERT_FATAL(make_dir(&p) == 0);
	CU_ASSERT(tls_ensure_selfsigned(p.cert, p.key,
	    HOSTS("bad host,DNS:x"), &generated) == TLS_EGEN);
	CU_ASSERT(tls_ensure_selfsigned(p.cert, p.key,
	    HOSTS("[relay.example]"), &generated) == TLS_EGEN);
	CU_ASSERT(generated == 0);
	CU_ASSERT(stat(p.cert, &st) == -1 && stat(p.key, &st) == -1);
	remove_dir(&p);
}

static void
test_half_pair(void)
{
	struct pair	 p;
	FILE		*fp;
	int		 generated = -1;

	CU_ASSERT_FATAL(make_dir(&p) == 0);
	CU_ASSERT_FATAL((fp = fopen(p.cert, "w")) != NULL);
	fclose(fp);
	CU_ASSERT(tls_ensure_selfsigned(p.cert, p.key, NULL, &generated) ==
	    TLS_ECERT);
	CU_ASSERT(generated == 0);
	remove_dir(&p);
	CU_ASSERT(tls_ensure_selfsigned("/nonexistent/dir/cert.pem",
	    "/nonexistent/dir/key.pem", NULL, &generated) == TLS_EGEN);
}

static void
test_server_ctx(void)
{
	SSL_CTX		*ctx = NULL;
	char		 why[256] = "x";

	CU_ASSERT_FATAL(tls_server_ctx(a.cert, a.key, &ctx, why,
	    sizeof(why)) == TLS_OK);
	CU_ASSERT_FATAL(ctx != NULL);
	CU_ASSERT_STRING_EQUAL(why, "");
	CU_ASSERT(SSL_CTX_get_min_proto_version(ctx) == TLS1_2_VERSION);
	CU_ASSERT((SSL_CTX_get_options(ctx) & SSL_OP_NO_COMPRESSION) != 0);
	CU_ASSERT((SSL_CTX_get_options(ctx) & SSL_OP_NO_TICKET) != 0);
	SSL_CTX_free(ctx);
}

static void
test_server_ctx_errors(void)
{
	SSL_CTX		*ctx = (SSL_CTX *)&ctx;
	char		 missing[128], why[256] = "";

	snprintf(missing, sizeof(missing), "%s/none.pem", a.dir);
	CU_ASSERT(tls_server_ctx(missing, a.key, &ctx, why, sizeof(why)) ==
	    TLS_ECERT);
	CU_ASSERT(ctx == NULL);
	CU_ASSERT(strstr(why, missing) != NULL);
	CU_ASSERT(strstr(why, "No such file") != NULL);
	CU_ASSERT(tls_server_ctx(a.cert, missing, &ctx, why, sizeof(why)) ==
	    TLS_ECERT);
	CU_ASSERT(strstr(why, missing) != NULL);
	CU_ASSERT(tls_server_ctx(a.cert, b.key, &ctx, why, sizeof(why)) ==
	    TLS_ECERT);
	CU_ASSERT(ctx == NULL);
	CU_ASSERT(strstr(why, "does not belong to certificate") != NULL);
	CU_ASSERT(tls_server_ctx(b.cert, a.key, &ctx, why, sizeof(why)) ==
	    TLS_ECERT);
	/* A key where the certificate should be; never OpenSSL's text. */
	CU_ASSERT(tls_server_ctx(a.key, a.key, &ctx, why, sizeof(why)) ==
	    TLS_ECERT);
	CU_ASSERT(strstr(why, "holds no PEM certificate") != NULL);
	CU_ASSERT(strstr(why, "error:") == NULL);
	CU_ASSERT(tls_server_ctx(a.cert, a.cert, &ctx, why, sizeof(why)) ==
	    TLS_ECERT);
	CU_ASSERT(strstr(why, "holds no unencrypted PEM private key") != NULL);
}

/* Run one step of a handshake; 1 done, 0 not yet, -1 failed. */
static int
step(SSL *ssl)
{
	int r = SSL_do_handshake(ssl), e;

	if (r == 1)
		return 1;
	e = SSL_get_error(ssl, r);
	return e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE ? 0 : -1;
}

/*
 * A client that trusts only cert_file connects over a memory BIO pair,
 * checking the server is ip (an address) or name.  1 when it succeeded.
 */
static int
handshake(SSL_CTX *server, const char *cert_file, const char *ip,
    const char *name)
{
	SSL_CTX	*cctx = SSL_CTX_new(TLS_client_method());
	SSL	*c = NULL, *s = NULL;
	BIO	*cb = NULL, *sb = NULL;
	int	 cdone = 0, sdone = 0, ok = 0;

	if (cctx == NULL ||
	    SSL_CTX_load_verify_locations(cctx, cert_file, NULL) != 1)
		goto done;
	SSL_CTX_set_verify(cctx, SSL_VERIFY_PEER, NULL);
	if ((c = SSL_new(cctx)) == NULL || (s = SSL_new(server)) == NULL ||
	    BIO_new_bio_pair(&cb, 0, &sb, 0) != 1)
		goto done;
	SSL_set_bio(c, cb, cb);
	SSL_set_bio(s, sb, sb);
	if ((ip != NULL && X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(c),
	    ip) != 1) || (name != NULL && SSL_set1_host(c, name) != 1))
		goto done;
	SSL_set_connect_state(c);
	SSL_set_accept_state(s);
	for (int i = 0; i < 20 && (cdone != 1 || sdone != 1); i++) {
		if (cdone == 0)
			cdone = step(c);
		if (sdone == 0)
			sdone = step(s);
		if (cdone < 0 || sdone < 0)
			goto done;
	}
	ok = cdone == 1 && sdone == 1 &&
	    SSL_get_verify_result(c) == X509_V_OK &&
	    SSL_version(c) >= TLS1_2_VERSION;
done:
	SSL_free(c);
	SSL_free(s);
	SSL_CTX_free(cctx);
	ERR_clear_error();
	return ok;
}

static void
test_handshake(void)
{
	SSL_CTX *ctx = NULL;

	CU_ASSERT_FATAL(tls_server_ctx(a.cert, a.key, &ctx, NULL, 0) ==
	    TLS_OK);
	CU_ASSERT(handshake(ctx, a.cert, "127.0.0.1", NULL));
	CU_ASSERT(handshake(ctx, a.cert, "::1", NULL));
	CU_ASSERT(handshake(ctx, a.cert, "192.0.2.7", NULL));
	CU_ASSERT(handshake(ctx, a.cert, NULL, "localhost"));
	CU_ASSERT(!handshake(ctx, a.cert, "10.0.0.1", NULL));
	CU_ASSERT(!handshake(ctx, a.cert, NULL, "example.com"));
	CU_ASSERT(!handshake(ctx, b.cert, "127.0.0.1", NULL));
	SSL_CTX_free(ctx);
}

static void
test_strerror(void)
{
	for (int e = TLS_OK; e <= TLS_ECTX; e++)
		CU_ASSERT(tls_strerror((enum tls_err)e)[0] != '\0');
	CU_ASSERT(tls_strerror((enum tls_err)99)[0] != '\0');
}

int
main(void)
{
	CU_pSuite	 s;
	unsigned	 failed;

	if (CU_initialize_registry() != CUE_SUCCESS)
		return 2;
	s = CU_add_suite("tls", suite_init, suite_clean);
	if (s == NULL ||
	    CU_add_test(s, "generate", test_generate) == NULL ||
	    CU_add_test(s, "not regenerated", test_not_regenerated) == NULL ||
	    CU_add_test(s, "certificate", test_certificate) == NULL ||
	    CU_add_test(s, "extra hosts", test_extra_hosts) == NULL ||
	    CU_add_test(s, "bad host", test_bad_host) == NULL ||
	    CU_add_test(s, "half a pair", test_half_pair) == NULL ||
	    CU_add_test(s, "server context", test_server_ctx) == NULL ||
	    CU_add_test(s, "server context errors",
	    test_server_ctx_errors) == NULL ||
	    CU_add_test(s, "handshake", test_handshake) == NULL ||
	    CU_add_test(s, "strerror", test_strerror) == NULL)
		return 2;
	CU_basic_set_mode(CU_BRM_VERBOSE);
	CU_basic_run_tests();
	failed = CU_get_number_of_failures() + CU_get_number_of_tests_failed() +
	    CU_get_number_of_suites_failed();
	CU_cleanup_registry();
	return failed == 0 ? 0 : 1;
}
