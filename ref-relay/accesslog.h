/*
 * accesslog: the opt-in access log's lines (--access-log FILE).  Off by
 * default, since the relay should learn nothing that links shares
 * (http-00 §8.1.3); when on, client addresses are truncated (IPv4 to /24,
 * IPv6 to /48), every byte of the request outside printable ASCII is
 * escaped, mailbox ids appear only as keyed hashes (by default), and no
 * claim, token, attestation or body is ever written.  No I/O here: the
 * caller writes the line.
 */
#ifndef TIGRESS_RELAY_ACCESSLOG_H
#define TIGRESS_RELAY_ACCESSLOG_H

#include <stddef.h>
#include <stdint.h>

#define ACCESSLOG_KEY_LEN	64	/* hex characters of a log key */
#define ACCESSLOG_HASH_LEN	16	/* hex characters logged per id */
#define ACCESSLOG_LINE_MAX	1024

/*
 * Write the truncated form of the numeric address ip into out (size
 * bytes): "192.0.2.0" for "192.0.2.77", "2001:db8:1::" for any address in
 * 2001:db8:1::/48.  Anything unparsable gives "-".
 */
void accesslog_truncate_ip(const char *ip, char *out, size_t size);

/*
 * The keyed hash of a mailbox id as the log shows it: "#" and the first
 * ACCESSLOG_HASH_LEN hex digits of HMAC-SHA256(key, id), key being the
 * text of the key file, so that an operator can recompute it for one id:
 *   printf %s ID | openssl dgst -sha256 -hmac "$(cat DIR/access-log.key)"
 * out holds ACCESSLOG_HASH_LEN + 2 bytes.  Returns -1 if OpenSSL fails.
 */
int accesslog_hash_id(const char *key, const char *id, char *out);

/*
 * Format one line into out: "TIME IP METHOD PATH STATUS BYTES\n", TIME in
 * RFC 3339, IP already truncated, METHOD and PATH escaped (\xHH for every
 * byte outside 0x21..0x7e and for the backslash), every UUID in PATH
 * replaced by its keyed hash when key is not NULL.  Returns the length.
 */
size_t accesslog_line(char *out, size_t size, int64_t now, const char *ip,
    const char *method, const char *path, int status, size_t bytes,
    const char *key);

#endif
