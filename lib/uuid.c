/* uuid: version 4 generation and strict canonical-form checking. */
#include <stdint.h>

#include <openssl/rand.h>

#include "uuid.h"

static const char hexdigits[] = "0123456789abcdef";

static int
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static int
is_dash_offset(size_t i)
{
	return i == 8 || i == 13 || i == 18 || i == 23;
}

enum tgerr
uuid_new_v4(char out[UUID_STR_SIZE])
{
	uint8_t	 b[16];
	size_t	 o = 0;

	if (RAND_bytes(b, sizeof(b)) != 1)
		return TGERR_INTERNAL;
	b[6] = (b[6] & 0x0f) | 0x40;	/* version 4 */
	b[8] = (b[8] & 0x3f) | 0x80;	/* variant 10 */
	for (size_t i = 0; i < sizeof(b); i++) {
		if (is_dash_offset(o))
			out[o++] = '-';
		out[o++] = hexdigits[b[i] >> 4];
		out[o++] = hexdigits[b[i] & 0x0f];
	}
	out[o] = '\0';
	return TGERR_OK;
}

enum tgerr
uuid_check(const char *s, size_t len, char canon[UUID_STR_SIZE], int *version)
{
	char	 tmp[UUID_STR_SIZE];

	if (len != UUID_STR_SIZE - 1)
		return TGERR_UUID_SYNTAX;
	for (size_t i = 0; i < len; i++) {
		if (is_dash_offset(i)) {
			if (s[i] != '-')
				return TGERR_UUID_SYNTAX;
			tmp[i] = '-';
			continue;
		}
		int v = hexval(s[i]);
		if (v < 0)
			return TGERR_UUID_SYNTAX;
		tmp[i] = hexdigits[v];
	}
	tmp[len] = '\0';
	if (version != NULL)
		*version = hexval(tmp[14]);
	if (canon != NULL)
		for (size_t i = 0; i < UUID_STR_SIZE; i++)
			canon[i] = tmp[i];
	return TGERR_OK;
}
