/*
 * accesslog: the opt-in access log (--access-log FILE).  Off by default,
 * since the relay should learn nothing that links shares (http-00 §8.1.3);
 * when on, client addresses are truncated (IPv4 to /24, IPv6 to /48) and
 * no claim, token, attestation or body is ever written.
 */
#ifndef TIGRESS_RELAY_ACCESSLOG_H
#define TIGRESS_RELAY_ACCESSLOG_H

#include <stddef.h>
#include <stdint.h>

/*
 * Write the truncated form of the numeric address ip into out (size
 * bytes): "192.0.2.0" for "192.0.2.77", "2001:db8:1::" for any address in
 * 2001:db8:1::/48.  Anything unparsable gives "-".
 */
void accesslog_truncate_ip(const char *ip, char *out, size_t size);

/*
 * Format one log line into out: "TIME IP METHOD PATH STATUS BYTES\n",
 * TIME in RFC 3339, IP already truncated.  Returns the length.
 */
size_t accesslog_line(char *out, size_t size, int64_t now, const char *ip,
    const char *method, const char *path, int status, size_t bytes);

#endif
