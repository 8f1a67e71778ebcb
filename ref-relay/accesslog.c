/* accesslog: address truncation, escaping, id hashing, line format. */
#include <arpa/inet.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "accesslog.h"
#include "rfc3339.h"
#include "uuid.h"

#define FIELD_MAX	400	/* an escaped method or path, at most */

void
accesslog_truncate_ip(const char *ip, char *out, size_t size)
{
	unsigned char	addr[16];

	snprintf(out, size, "-");
	if (inet_pton(AF_INET, ip, addr) == 1) {
		addr[3] = 0;
		(void)inet_ntop(AF_INET, addr, out, (socklen_t)size);
	} else if (inet_pton(AF_INET6, ip, addr) == 1) {
		memset(addr + 6, 0, sizeof(addr) - 6);
		(void)inet_ntop(AF_INET6, addr, out, (socklen_t)size);
	}
}

int
accesslog_hash_id(const char *key, const char *id, char *out)
{
	unsigned char	md[EVP_MAX_MD_SIZE];
	unsigned int	mdlen = 0;

	if (HMAC(EVP_sha256(), key, (int)strlen(key),
	    (const unsigned char *)id, strlen(id), md, &mdlen) == NULL ||
	    mdlen * 2 < ACCESSLOG_HASH_LEN)
		return -1;
	out[0] = '#';
	for (int i = 0; i < ACCESSLOG_HASH_LEN / 2; i++)
		snprintf(out + 1 + 2 * i, 3, "%02x", md[i]);
	return 0;
}

/* Append s[0..n) escaped to out at *len (stopping short of size). */
static void
put_escaped(char *out, size_t size, size_t *len, const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		unsigned char	ch = (unsigned char)s[i];
		char		esc[5];
		bool		plain = ch > 0x20 && ch < 0x7f && ch != '\\';
		size_t		need = plain ? 1 : 4;

		if (*len + need >= size)
			return;
		if (plain)
			out[(*len)++] = (char)ch;
		else {
			snprintf(esc, sizeof(esc), "\\x%02x", ch);
			memcpy(out + *len, esc, 4);
			*len += 4;
		}
	}
}

/* s escaped into out, every UUID in it hashed when key is given. */
static void
escape_field(const char *s, const char *key, char *out, size_t size)
{
	char	canon[UUID_STR_SIZE], hashed[ACCESSLOG_HASH_LEN + 2];
	size_t	len = 0, n = strlen(s);

	for (size_t i = 0; i < n; ) {
		if (key != NULL && n - i >= 36 &&
		    uuid_check(s + i, 36, canon, NULL) == TGERR_OK &&
		    accesslog_hash_id(key, canon, hashed) == 0) {
			put_escaped(out, size, &len, hashed, strlen(hashed));
			i += 36;
		} else
			put_escaped(out, size, &len, s + i++, 1);
	}
	out[len < size ? len : size - 1] = '\0';
	if (len == 0)
		snprintf(out, size, "-");
}

size_t
accesslog_line(char *out, size_t size, int64_t now, const char *ip,
    const char *method, const char *path, int status, size_t bytes,
    const char *key)
{
	char	when[RFC3339_STR_SIZE] = "-";
	char	m[FIELD_MAX], p[FIELD_MAX];
	int	n;

	(void)rfc3339_format(now, when);
	escape_field(method, NULL, m, sizeof(m));
	escape_field(path, key, p, sizeof(p));
	n = snprintf(out, size, "%s %s %s %s %d %zu\n", when, ip, m, p, status,
	    bytes);
	if (n < 0)
		return 0;
	return (size_t)n < size ? (size_t)n : size - 1;
}
