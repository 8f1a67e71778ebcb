/*
 * payload: the encrypted payload object of http-00 §7.2,
 *   {"type": "AEAD_AES_128_GCM" | "AEAD_AES_256_GCM",
 *    "data": base64(IV || ciphertext || tag)}
 * sealed and opened with OpenSSL's AES-GCM (spec/rules.md PAYLOAD-*).
 * Keys and plaintexts are the caller's; this module wipes its own copies.
 */
#ifndef TIGRESS_PAYLOAD_H
#define TIGRESS_PAYLOAD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "tgerr.h"

enum payload_aead {
	PAYLOAD_AES_128_GCM = 1,
	PAYLOAD_AES_256_GCM,
};

/* A checked payload object: data points into the json_t it came from. */
struct payload_ref {
	enum payload_aead	 aead;
	const char		*data;
	size_t			 data_len;
	size_t			 raw_len;	/* bytes data decodes to */
};

/* "AEAD_AES_128_GCM" or "AEAD_AES_256_GCM" (static string). */
const char *payload_aead_name(enum payload_aead aead);

/* Look up an AEAD by its name; false when unknown. */
bool payload_aead_from_name(const char *name, enum payload_aead *aead);

/* 16 or 32. */
size_t payload_aead_keylen(enum payload_aead aead);

/* The AEAD whose key is keylen bytes; false when none is. */
bool payload_aead_for_keylen(size_t keylen, enum payload_aead *aead);

/*
 * The checks that need no key (PAYLOAD-OBJECT, -TYPE, -DATA, -MIN) on the
 * object obj.  On error *field is set to "type", "data" or "" (static).
 * Errors: TGERR_FIELD_TYPE, _FIELD_MISSING, _FIELD_TOO_LONG,
 * TGERR_PAYLOAD_TYPE, _PAYLOAD_ENCODING, _PAYLOAD_TRUNCATED, TGERR_NOMEM.
 */
enum tgerr payload_check(const json_t *obj, struct payload_ref *out,
    const char **field);

/*
 * Seal pt[0..ptlen) under key with a fresh random IV, or with iv (12
 * bytes) when not NULL, which only vector checks may do.  On success
 * *out is a new {"type","data"} object the caller owns (json_decref).
 * Errors: TGERR_PAYLOAD_KEY, TGERR_TOO_LARGE, TGERR_INTERNAL, TGERR_NOMEM.
 */
enum tgerr payload_seal(enum payload_aead aead, const uint8_t *key,
    size_t keylen, const uint8_t *pt, size_t ptlen, const uint8_t *iv,
    json_t **out);

/*
 * Check and decrypt the object obj under key.  On success *pt is a new
 * buffer of *ptlen bytes (plus a NUL, for text) that the caller wipes
 * with OPENSSL_cleanse and frees.  On error *field is set as for
 * payload_check().  Errors: those of payload_check(), TGERR_PAYLOAD_KEY,
 * TGERR_PAYLOAD_AUTH, TGERR_NOMEM, TGERR_INTERNAL.
 */
enum tgerr payload_open(const json_t *obj, const uint8_t *key, size_t keylen,
    uint8_t **pt, size_t *ptlen, const char **field);

/*
 * AES-GCM decryption of ct[0..ctlen) with a 12-byte iv, 16-byte tag and
 * additional data aad, into pt (ctlen bytes).  The primitive under
 * payload_open(); exposed for third-party vectors (Wycheproof), which use
 * additional data.  Errors: TGERR_PAYLOAD_KEY, TGERR_PAYLOAD_AUTH,
 * TGERR_INTERNAL.
 */
enum tgerr payload_decrypt_raw(const uint8_t *key, size_t keylen,
    const uint8_t *iv, const uint8_t *ct, size_t ctlen, const uint8_t *tag,
    const uint8_t *aad, size_t aadlen, uint8_t *pt);

#endif
