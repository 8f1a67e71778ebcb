/*
 * tls: the relay's TLS server context (OpenSSL, TLS 1.2 or newer) and,
 * for local use, a self-signed certificate made on first start.
 */
#ifndef TIGRESS_RELAY_TLS_H
#define TIGRESS_RELAY_TLS_H

#include <stddef.h>

#include <openssl/ssl.h>

enum tls_err {
	TLS_OK = 0,
	TLS_ENOMEM,
	TLS_ECERT,	/* certificate or key unreadable or mismatched */
	TLS_EGEN,	/* could not generate or write a certificate */
	TLS_ECTX,	/* OpenSSL refused the context settings */
};

const char *tls_strerror(enum tls_err err);

/*
 * Make sure cert_path and key_path exist: when neither file exists,
 * generate an ECDSA P-256 key and a self-signed certificate valid for one
 * year with subjectAltName DNS:localhost, IP:127.0.0.1, IP:::1 and each
 * host name or IP address of hosts (a NULL-terminated list; NULL for
 * none), writing both files with mode 0600.  *generated is set to 1 when
 * files were made.  TLS_EGEN also when a host is neither a DNS name nor
 * an IP address.
 */
enum tls_err tls_ensure_selfsigned(const char *cert_path,
    const char *key_path, const char *const *hosts, int *generated);

/*
 * A new server SSL_CTX with the certificate chain and key loaded,
 * minimum protocol TLS 1.2, no compression, no session tickets that
 * outlive the process.  The caller frees it with SSL_CTX_free().  On
 * error *ctx is NULL and why (why_size bytes) says in one line which file
 * is wrong and how (never OpenSSL's own text).
 */
enum tls_err tls_server_ctx(const char *cert_path, const char *key_path,
    SSL_CTX **ctx, char *why, size_t why_size);

#endif
