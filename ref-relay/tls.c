/*
 * tls: the relay's server context, and the self-signed certificate a
 * relay makes for itself on first start so that `tigress-relay` works
 * out of the box on a laptop.  A real deployment passes its own files.
 */
#include <sys/stat.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "tls.h"

#define TLS_CN		"tigress-relay (local)"
#define TLS_DAYS	365
#define TLS_SERIAL_BITS	128
#define TLS_HOST_MAX	253	/* longest DNS name */

/* Forward-secret AEAD suites only; TLS 1.3 suites are OpenSSL's own. */
#define TLS12_CIPHERS	"ECDHE+AESGCM:ECDHE+CHACHA20"

const char *
tls_strerror(enum tls_err err)
{
	switch (err) {
	case TLS_OK:
		return "success";
	case TLS_ENOMEM:
		return "out of memory";
	case TLS_ECERT:
		return "certificate or key unreadable or mismatched";
	case TLS_EGEN:
		return "could not generate or write a certificate";
	case TLS_ECTX:
		return "TLS settings refused";
	}
	return "unknown TLS error";
}

/* 1 when path exists, 0 when it does not, -1 when we cannot tell. */
static int
file_exists(const char *path)
{
	struct stat st;

	if (stat(path, &st) == 0)
		return 1;
	return errno == ENOENT ? 0 : -1;
}

static int
dns_name_ok(const char *s, size_t n)
{
	if (n == 0 || n > TLS_HOST_MAX || s[0] == '.' || s[0] == '-')
		return 0;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '-' || c == '.'))
			return 0;
	}
	return 1;
}

/*
 * The subjectAltName entry for host: an IP address when it reads as one
 * (IPv6 with or without [brackets]), else a DNS name.  NULL when it is neither
 * or memory ran out.
 */
static GENERAL_NAME *
host_name(const char *host)
{
	char		 bare[TLS_HOST_MAX + 1];
	unsigned char	 ip[16];
	size_t		 n = strnlen(host, sizeof(bare));
	int		 type = GEN_IPADD, len = 0, bracketed = 0;
	ASN1_STRING	*value = NULL;
	GENERAL_NAME	*gn = NULL;

	if (n >= 2 && host[0] == '[' && host[n - 1] == ']')
		host++, n -= 2, bracketed = 1;
	if (n >= sizeof(bare))
		return NULL;
	memcpy(bare, host, n);
	bare[n] = '\0';
	if (!bracketed && inet_pton(AF_INET, bare, ip) == 1)
		len = 4;
	else if (inet_pton(AF_INET6, bare, ip) == 1)
		len = 16;
	else if (!bracketed && dns_name_ok(bare, n))
		type = GEN_DNS;
	else
		return NULL;
	value = ASN1_STRING_type_new(type == GEN_DNS ? V_ASN1_IA5STRING :
	    V_ASN1_OCTET_STRING);
	if (value == NULL || (type == GEN_DNS ?
	    !ASN1_STRING_set(value, bare, (int)n) :
	    !ASN1_STRING_set(value, ip, len)) ||
	    (gn = GENERAL_NAME_new()) == NULL)
		goto fail;
	GENERAL_NAME_set0_value(gn, type, value);
	return gn;
fail:
	ASN1_STRING_free(value);
	return NULL;
}

/* Add the entry for host to gens unless an equal one is there. */
static int
add_name(GENERAL_NAMES *gens, const char *host)
{
	GENERAL_NAME *gn = host_name(host);

	if (gn == NULL)
		return 0;
	for (int i = 0; i < sk_GENERAL_NAME_num(gens); i++) {
		if (GENERAL_NAME_cmp(gn, sk_GENERAL_NAME_value(gens, i)) == 0) {
			GENERAL_NAME_free(gn);
			return 1;
		}
	}
	if (sk_GENERAL_NAME_push(gens, gn) <= 0) {
		GENERAL_NAME_free(gn);
		return 0;
	}
	return 1;
}

static int
add_san(X509 *x, const char *const *hosts)
{
	GENERAL_NAMES	*gens = sk_GENERAL_NAME_new_null();
	int		 ok;

	ok = gens != NULL && add_name(gens, "localhost") &&
	    add_name(gens, "127.0.0.1") && add_name(gens, "::1");
	for (size_t i = 0; ok && hosts != NULL && hosts[i] != NULL; i++)
		ok = add_name(gens, hosts[i]);
	ok = ok && X509_add1_ext_i2d(x, NID_subject_alt_name, gens, 0,
	    X509V3_ADD_DEFAULT) == 1;
	GENERAL_NAMES_free(gens);
	return ok;
}

static int
add_ext(X509 *x, int nid, const char *value)
{
	X509V3_CTX	 ctx;
	X509_EXTENSION	*ext;
	int		 ok;

	X509V3_set_ctx(&ctx, x, x, NULL, NULL, 0);
	if ((ext = X509V3_EXT_conf_nid(NULL, &ctx, nid, value)) == NULL)
		return 0;
	ok = X509_add_ext(x, ext, -1);
	X509_EXTENSION_free(ext);
	return ok;
}

/* A random positive serial of exactly TLS_SERIAL_BITS bits. */
static int
set_serial(X509 *x)
{
	BIGNUM	*bn = BN_new();
	int	 ok;

	ok = bn != NULL &&
	    BN_rand(bn, TLS_SERIAL_BITS, BN_RAND_TOP_ONE, BN_RAND_BOTTOM_ANY) &&
	    BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x)) != NULL;
	BN_free(bn);
	return ok;
}

static int
set_name_and_dates(X509 *x)
{
	X509_NAME *name = X509_get_subject_name(x);

	return X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
	    (const unsigned char *)TLS_CN, -1, -1, 0) &&
	    X509_set_issuer_name(x, name) &&
	    X509_gmtime_adj(X509_getm_notBefore(x), 0) != NULL &&
	    X509_time_adj_ex(X509_getm_notAfter(x), TLS_DAYS, 0, NULL) != NULL;
}

/*
 * A self-signed end-entity certificate for key.  No keyUsage: a self-
 * signed certificate whose keyUsage lacks keyCertSign is not taken as
 * its own issuer by OpenSSL, so clients could not pin it as a CA file.
 */
static X509 *
make_cert(EVP_PKEY *key, const char *const *hosts)
{
	X509 *x = X509_new();

	if (x == NULL)
		return NULL;
	if (!X509_set_version(x, X509_VERSION_3) || !set_serial(x) ||
	    !set_name_and_dates(x) || !X509_set_pubkey(x, key) ||
	    !add_ext(x, NID_basic_constraints, "critical,CA:FALSE") ||
	    !add_ext(x, NID_ext_key_usage, "serverAuth") ||
	    !add_ext(x, NID_subject_key_identifier, "hash") ||
	    !add_san(x, hosts) || X509_sign(x, key, EVP_sha256()) <= 0) {
		X509_free(x);
		return NULL;
	}
	return x;
}

/*
 * Write key (when not NULL) or cert as PEM to a new file: O_EXCL, so a
 * file that appeared meanwhile, or a planted symlink, is never written
 * through.  Returns 0 when the file was not created, 1 when it was
 * created but writing failed (the caller removes it), 2 on success.
 */
static int
write_pem(const char *path, mode_t mode, EVP_PKEY *key, X509 *cert)
{
	FILE	*fp;
	int	 fd, ok;

	fd = open(path, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, mode);
	if (fd == -1)
		return 0;
	if (fchmod(fd, mode) == -1 || (fp = fdopen(fd, "w")) == NULL) {
		close(fd);
		return 1;
	}
	ok = key != NULL ?
	    PEM_write_PrivateKey(fp, key, NULL, NULL, 0, NULL, NULL) :
	    PEM_write_X509(fp, cert);
	ok = ok && fflush(fp) == 0 && fsync(fileno(fp)) == 0;
	if (fclose(fp) != 0)
		ok = 0;
	return ok ? 2 : 1;
}

static enum tls_err
generate(const char *cert_path, const char *key_path,
    const char *const *hosts)
{
	EVP_PKEY	*key = NULL;
	X509		*cert = NULL;
	enum tls_err	 err = TLS_EGEN;
	int		 wrote_key = 0, wrote_cert = 0;

	if ((key = EVP_EC_gen("P-256")) == NULL ||
	    (cert = make_cert(key, hosts)) == NULL)
		goto fail;
	if ((wrote_key = write_pem(key_path, 0600, key, NULL)) != 2 ||
	    (wrote_cert = write_pem(cert_path, 0600, NULL, cert)) != 2)
		goto fail;
	err = TLS_OK;
fail:
	if (err != TLS_OK && wrote_key > 0)
		unlink(key_path);
	if (err != TLS_OK && wrote_cert > 0)
		unlink(cert_path);
	X509_free(cert);
	EVP_PKEY_free(key);
	ERR_clear_error();
	return err;
}

enum tls_err
tls_ensure_selfsigned(const char *cert_path, const char *key_path,
    const char *const *hosts, int *generated)
{
	int		 have_cert, have_key;
	enum tls_err	 err;

	if (generated != NULL)
		*generated = 0;
	have_cert = file_exists(cert_path);
	have_key = file_exists(key_path);
	if (have_cert == 1 && have_key == 1)
		return TLS_OK;
	/* One file without the other is an operator's half-finished setup. */
	if (have_cert != 0 || have_key != 0)
		return TLS_ECERT;
	if ((err = generate(cert_path, key_path, hosts)) == TLS_OK &&
	    generated != NULL)
		*generated = 1;
	return err;
}

/* One line for people (OpenSSL's queue is dropped, never shown). */
static void __attribute__((format(printf, 3, 4)))
set_why(char *why, size_t why_size, const char *fmt, ...)
{
	va_list ap;

	ERR_clear_error();
	if (why == NULL || why_size == 0)
		return;
	va_start(ap, fmt);
	(void)vsnprintf(why, why_size, fmt, ap);
	va_end(ap);
}

/* 0 when path can be read, else -1 with why. */
static int
readable(const char *what, const char *path, char *why, size_t why_size)
{
	FILE	*fp = fopen(path, "r");
	int	 e = errno;

	if (fp != NULL) {
		fclose(fp);
		return 0;
	}
	set_why(why, why_size, "%s %s: %s", what, path, strerror(e));
	return -1;
}

static enum tls_err
configure(SSL_CTX *c, char *why, size_t why_size)
{
	if (SSL_CTX_set_min_proto_version(c, TLS1_2_VERSION) != 1 ||
	    SSL_CTX_set_cipher_list(c, TLS12_CIPHERS) != 1) {
		set_why(why, why_size, "this OpenSSL refuses TLS 1.2 with "
		    "AEAD ciphers");
		return TLS_ECTX;
	}
	/* Tickets would carry session keys beyond the process's memory. */
	SSL_CTX_set_options(c, SSL_OP_NO_COMPRESSION | SSL_OP_NO_TICKET |
	    SSL_OP_NO_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE);
	return TLS_OK;
}

/* An encrypted key is refused, never prompted for. */
static int
no_password(char *buf, int size, int rwflag, void *u)
{
	(void)buf, (void)size, (void)rwflag, (void)u;
	return -1;
}

static enum tls_err
load(SSL_CTX *c, const char *cert_path, const char *key_path, char *why,
    size_t why_size)
{
	EVP_PKEY	*key = NULL;
	FILE		*fp;
	int		 ok;

	if (readable("certificate", cert_path, why, why_size) != 0)
		return TLS_ECERT;
	if (SSL_CTX_use_certificate_chain_file(c, cert_path) != 1) {
		set_why(why, why_size, "certificate %s holds no PEM certificate "
		    "(chain)", cert_path);
		return TLS_ECERT;
	}
	if (readable("key", key_path, why, why_size) != 0)
		return TLS_ECERT;
	if ((fp = fopen(key_path, "r")) != NULL) {
		key = PEM_read_PrivateKey(fp, NULL, no_password, NULL);
		fclose(fp);
	}
	if (key == NULL) {
		set_why(why, why_size, "key %s holds no unencrypted PEM private "
		    "key", key_path);
		return TLS_ECERT;
	}
	ok = SSL_CTX_use_PrivateKey(c, key) == 1 &&
	    SSL_CTX_check_private_key(c) == 1;
	EVP_PKEY_free(key);
	if (!ok) {
		set_why(why, why_size, "key %s does not belong to certificate "
		    "%s", key_path, cert_path);
		return TLS_ECERT;
	}
	return TLS_OK;
}

enum tls_err
tls_server_ctx(const char *cert_path, const char *key_path, SSL_CTX **ctx,
    char *why, size_t why_size)
{
	SSL_CTX		*c;
	enum tls_err	 err;

	*ctx = NULL;
	if (why != NULL && why_size > 0)
		why[0] = '\0';
	if ((c = SSL_CTX_new(TLS_server_method())) == NULL) {
		set_why(why, why_size, "cannot create a TLS context (out of "
		    "memory?)");
		return TLS_ENOMEM;
	}
	if ((err = configure(c, why, why_size)) != TLS_OK ||
	    (err = load(c, cert_path, key_path, why, why_size)) != TLS_OK)
		goto fail;
	*ctx = c;
	return TLS_OK;
fail:
	SSL_CTX_free(c);
	return err;
}
