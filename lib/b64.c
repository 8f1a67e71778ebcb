/* b64: alphabet and canonical-form checks around OpenSSL's codec. */
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "b64.h"

size_t
b64_encode(const uint8_t *in, size_t n, char *out)
{
	/* EVP_EncodeBlock takes an int length; callers stay far below. */
	return (size_t)EVP_EncodeBlock((unsigned char *)out, in, (int)n);
}

static int
is_common(char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
	    (c >= '0' && c <= '9');
}

/*
 * Copy s into norm as padded standard base64 (norm holds len + 3 bytes).
 * Returns the normalized length, or 0 if the alphabet or padding is wrong.
 */
static size_t
normalize(const char *s, size_t len, enum b64_mode mode, char *norm)
{
	int	 std = 0, safe = 0;
	size_t	 body = len, pad = 0;

	while (body > 0 && s[body - 1] == '=')
		body--;
	pad = len - body;
	if (pad > 2 || body == 0)
		return 0;
	for (size_t i = 0; i < body; i++) {
		char c = s[i];

		if (c == '+' || c == '/')
			std = 1, norm[i] = c;
		else if (mode == B64_ANY && (c == '-' || c == '_'))
			safe = 1, norm[i] = c == '-' ? '+' : '/';
		else if (is_common(c))
			norm[i] = c;
		else
			return 0;
	}
	if (std && safe)
		return 0;
	if (body % 4 == 1)
		return 0;
	if (pad > 0 && len % 4 != 0)
		return 0;
	if (mode == B64_STANDARD && len % 4 != 0)
		return 0;
	size_t n = body;
	while (n % 4 != 0)
		norm[n++] = '=';
	return n;
}

int
b64_decode(const char *s, size_t len, enum b64_mode mode, uint8_t *out,
    size_t *outlen)
{
	char	*norm = NULL, *again = NULL;
	int	 rc = -1;

	*outlen = 0;
	if (len == 0)
		return 0;
	if ((norm = malloc(len + 4)) == NULL ||
	    (again = malloc(len + 4)) == NULL) {
		rc = -2;
		goto fail;
	}
	size_t nlen = normalize(s, len, mode, norm);
	if (nlen == 0)
		goto fail;
	int got = EVP_DecodeBlock(out, (unsigned char *)norm, (int)nlen);
	if (got < 0)
		goto fail;
	size_t pads = (norm[nlen - 1] == '=') + (norm[nlen - 2] == '=');
	size_t n = (size_t)got - pads;
	/* Canonical: re-encoding gives back exactly the normalized text. */
	if (b64_encode(out, n, again) != nlen || memcmp(again, norm, nlen) != 0)
		goto fail;
	*outlen = n;
	rc = 0;
fail:
	if (norm != NULL)
		OPENSSL_cleanse(norm, len + 4);
	if (again != NULL)
		OPENSSL_cleanse(again, len + 4);
	free(norm);
	free(again);
	return rc;
}

int
b64_decode_checked(const char *s, size_t len, uint8_t *out, size_t *outlen)
{
	int got;

	*outlen = 0;
	if (len == 0)
		return 0;
	if (len % 4 != 0 || len > INT_MAX)
		return -1;
	if ((got = EVP_DecodeBlock(out, (const unsigned char *)s,
	    (int)len)) < 0)
		return -1;
	*outlen = (size_t)got - (s[len - 1] == '=') - (s[len - 2] == '=');
	return 0;
}
