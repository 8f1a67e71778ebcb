/*
 * b64: strict base64 on top of OpenSSL's EVP_EncodeBlock/EVP_DecodeBlock.
 * OpenSSL decodes permissively (whitespace, any padding); this module
 * adds the checks the protocol needs: the alphabet, padding placement and
 * canonical form (spec/rules.md PAYLOAD-DATA, URL-SECRET-B64).
 */
#ifndef TIGRESS_B64_H
#define TIGRESS_B64_H

#include <stddef.h>
#include <stdint.h>

enum b64_mode {
	B64_STANDARD,	/* RFC 4648 §4 only, padding required */
	B64_ANY,	/* standard or URL-safe (not mixed), padding optional */
};

/*
 * Characters of the padded standard encoding of n bytes, without NUL, and
 * the most bytes a len-character input can decode to.  Macros, so that
 * buffers sized with constants are ordinary arrays.
 */
#define B64_ENCODED_LEN(n)	(((size_t)(n) + 2) / 3 * 4)
#define B64_DECODED_MAX(len)	(((size_t)(len) + 3) / 4 * 3)

/*
 * Encode in[0..n) as padded standard base64 into out, which must hold
 * B64_ENCODED_LEN(n) + 1 bytes; NUL-terminated.  Returns the length.
 */
size_t b64_encode(const uint8_t *in, size_t n, char *out);

/*
 * Decode s[0..len) in the given mode into out, which must hold
 * B64_DECODED_MAX(len) bytes; store the byte count in *outlen.
 * Returns 0, or -1 when the text is not canonical base64 of that mode,
 * or -2 when memory ran out.  On failure out may hold garbage (callers
 * decoding secrets wipe it).
 */
int b64_decode(const char *s, size_t len, enum b64_mode mode, uint8_t *out,
    size_t *outlen);

/*
 * Decode s[0..len), which b64_decode() already accepted in B64_STANDARD
 * mode, without checking it again (half the cost): e.g. a store's copy of
 * a checked payload.  Same out, *outlen and returns as b64_decode(); text
 * that OpenSSL cannot decode still returns -1.
 */
int b64_decode_checked(const char *s, size_t len, uint8_t *out,
    size_t *outlen);

#endif
