/* payload: AES-GCM seal/open of the §7.2 object through OpenSSL EVP. */
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "b64.h"
#include "tglimits.h"
#include "payload.h"

static const char *const names[] = {
	[PAYLOAD_AES_128_GCM] = "AEAD_AES_128_GCM",
	[PAYLOAD_AES_256_GCM] = "AEAD_AES_256_GCM",
};

const char *
payload_aead_name(enum payload_aead aead)
{
	return aead == PAYLOAD_AES_256_GCM ? names[PAYLOAD_AES_256_GCM] :
	    names[PAYLOAD_AES_128_GCM];
}

bool
payload_aead_from_name(const char *name, enum payload_aead *aead)
{
	for (int a = PAYLOAD_AES_128_GCM; a <= PAYLOAD_AES_256_GCM; a++) {
		if (strcmp(name, names[a]) == 0) {
			*aead = (enum payload_aead)a;
			return true;
		}
	}
	return false;
}

size_t
payload_aead_keylen(enum payload_aead aead)
{
	return aead == PAYLOAD_AES_256_GCM ? 32 : 16;
}

bool
payload_aead_for_keylen(size_t keylen, enum payload_aead *aead)
{
	if (keylen == 16)
		*aead = PAYLOAD_AES_128_GCM;
	else if (keylen == 32)
		*aead = PAYLOAD_AES_256_GCM;
	else
		return false;
	return true;
}

static const EVP_CIPHER *
cipher_for(size_t keylen)
{
	if (keylen == 16)
		return EVP_aes_128_gcm();
	if (keylen == 32)
		return EVP_aes_256_gcm();
	return NULL;
}

/* Decode data into a new buffer (*raw) and check its length. */
static enum tgerr
decode_data(struct payload_ref *ref, uint8_t **raw)
{
	enum tgerr err;

	if ((*raw = malloc(B64_DECODED_MAX(ref->data_len) + 1)) == NULL)
		return TGERR_NOMEM;
	switch (b64_decode(ref->data, ref->data_len, B64_STANDARD, *raw,
	    &ref->raw_len)) {
	case 0:
		err = ref->raw_len < TG_IV_LEN + TG_TAG_LEN ?
		    TGERR_PAYLOAD_TRUNCATED : TGERR_OK;
		break;
	case -2:
		err = TGERR_NOMEM;
		break;
	default:
		err = TGERR_PAYLOAD_ENCODING;
	}
	if (err != TGERR_OK) {
		free(*raw);
		*raw = NULL;
	}
	return err;
}

/*
 * The checks of payload_check(); on success *raw is the decoded data
 * (IV || ciphertext || tag), which the caller frees.
 */
static enum tgerr
check_decode(const json_t *obj, struct payload_ref *out, const char **field,
    uint8_t **raw)
{
	const json_t	*type, *data;
	enum tgerr	 err;

	*raw = NULL;
	*field = "";
	if (!json_is_object(obj))
		return TGERR_FIELD_TYPE;
	*field = "type";
	if ((type = json_object_get(obj, "type")) == NULL)
		return TGERR_FIELD_MISSING;
	if (!json_is_string(type))
		return TGERR_FIELD_TYPE;
	if (!payload_aead_from_name(json_string_value(type), &out->aead))
		return TGERR_PAYLOAD_TYPE;
	*field = "data";
	if ((data = json_object_get(obj, "data")) == NULL)
		return TGERR_FIELD_MISSING;
	if (!json_is_string(data))
		return TGERR_FIELD_TYPE;
	out->data = json_string_value(data);
	out->data_len = json_string_length(data);
	if (out->data_len > TG_DATA_MAX)
		return TGERR_FIELD_TOO_LONG;
	if ((err = decode_data(out, raw)) == TGERR_OK)
		*field = "";
	return err;
}

enum tgerr
payload_check(const json_t *obj, struct payload_ref *out, const char **field)
{
	uint8_t		*raw;
	enum tgerr	 err = check_decode(obj, out, field, &raw);

	free(raw);
	return err;
}

/* Encrypt into ct (ptlen bytes) and tag; iv is 12 bytes. */
static enum tgerr
encrypt_raw(const uint8_t *key, size_t keylen, const uint8_t *iv,
    const uint8_t *pt, size_t ptlen, uint8_t *ct, uint8_t *tag)
{
	EVP_CIPHER_CTX	*ctx;
	enum tgerr	 err = TGERR_INTERNAL;
	int		 n;

	if ((ctx = EVP_CIPHER_CTX_new()) == NULL)
		return TGERR_NOMEM;
	if (EVP_EncryptInit_ex(ctx, cipher_for(keylen), NULL, key, iv) != 1)
		goto fail;
	if (ptlen > 0 && EVP_EncryptUpdate(ctx, ct, &n, pt, (int)ptlen) != 1)
		goto fail;
	if (EVP_EncryptFinal_ex(ctx, ct + ptlen, &n) != 1)
		goto fail;
	if (EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, TG_TAG_LEN, tag) != 1)
		goto fail;
	err = TGERR_OK;
fail:
	EVP_CIPHER_CTX_free(ctx);
	return err;
}

enum tgerr
payload_decrypt_raw(const uint8_t *key, size_t keylen, const uint8_t *iv,
    const uint8_t *ct, size_t ctlen, const uint8_t *tag, const uint8_t *aad,
    size_t aadlen, uint8_t *pt)
{
	EVP_CIPHER_CTX	*ctx;
	enum tgerr	 err = TGERR_INTERNAL;
	uint8_t		 tagcopy[TG_TAG_LEN];
	int		 n;

	if (cipher_for(keylen) == NULL)
		return TGERR_PAYLOAD_KEY;
	if ((ctx = EVP_CIPHER_CTX_new()) == NULL)
		return TGERR_NOMEM;
	memcpy(tagcopy, tag, sizeof(tagcopy));
	if (EVP_DecryptInit_ex(ctx, cipher_for(keylen), NULL, key, iv) != 1)
		goto fail;
	if (aadlen > 0 &&
	    EVP_DecryptUpdate(ctx, NULL, &n, aad, (int)aadlen) != 1)
		goto fail;
	if (ctlen > 0 && EVP_DecryptUpdate(ctx, pt, &n, ct, (int)ctlen) != 1)
		goto fail;
	if (EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, TG_TAG_LEN,
	    tagcopy) != 1)
		goto fail;
	/* The tag is compared by OpenSSL here, in constant time. */
	err = EVP_DecryptFinal_ex(ctx, pt + ctlen, &n) == 1 ? TGERR_OK :
	    TGERR_PAYLOAD_AUTH;
	if (err != TGERR_OK && ctlen > 0)
		OPENSSL_cleanse(pt, ctlen);
fail:
	EVP_CIPHER_CTX_free(ctx);
	return err;
}

enum tgerr
payload_seal(enum payload_aead aead, const uint8_t *key, size_t keylen,
    const uint8_t *pt, size_t ptlen, const uint8_t *iv, json_t **out)
{
	uint8_t		*raw = NULL;
	char		*text = NULL;
	size_t		 rawlen = TG_IV_LEN + ptlen + TG_TAG_LEN;
	enum tgerr	 err;

	*out = NULL;
	if (keylen != payload_aead_keylen(aead))
		return TGERR_PAYLOAD_KEY;
	if (ptlen > TG_PLAINTEXT_MAX)
		return TGERR_TOO_LARGE;
	if ((raw = malloc(rawlen)) == NULL ||
	    (text = malloc(B64_ENCODED_LEN(rawlen) + 1)) == NULL) {
		err = TGERR_NOMEM;
		goto fail;
	}
	if (iv != NULL)
		memcpy(raw, iv, TG_IV_LEN);
	else if (RAND_bytes(raw, TG_IV_LEN) != 1) {
		err = TGERR_INTERNAL;
		goto fail;
	}
	err = encrypt_raw(key, keylen, raw, pt, ptlen, raw + TG_IV_LEN,
	    raw + TG_IV_LEN + ptlen);
	if (err != TGERR_OK)
		goto fail;
	b64_encode(raw, rawlen, text);
	*out = json_pack("{s:s, s:s}", "type", payload_aead_name(aead),
	    "data", text);
	err = *out == NULL ? TGERR_NOMEM : TGERR_OK;
fail:
	free(raw);
	free(text);
	return err;
}

enum tgerr
payload_open(const json_t *obj, const uint8_t *key, size_t keylen,
    uint8_t **pt, size_t *ptlen, const char **field)
{
	struct payload_ref	 ref;
	uint8_t			*raw = NULL, *plain = NULL;
	size_t			 ctlen = 0;
	enum tgerr		 err;

	*pt = NULL;
	*ptlen = 0;
	if ((err = check_decode(obj, &ref, field, &raw)) != TGERR_OK)
		return err;
	if (keylen != payload_aead_keylen(ref.aead)) {
		*field = "type";
		err = TGERR_PAYLOAD_KEY;
		goto fail;
	}
	ctlen = ref.raw_len - TG_IV_LEN - TG_TAG_LEN;
	if ((plain = malloc(ctlen + 1)) == NULL) {
		err = TGERR_NOMEM;
		goto fail;
	}
	err = payload_decrypt_raw(key, keylen, raw, raw + TG_IV_LEN, ctlen,
	    raw + TG_IV_LEN + ctlen, NULL, 0, plain);
	if (err != TGERR_OK) {
		*field = "data";
		goto fail;
	}
	plain[ctlen] = '\0';
	*pt = plain;
	*ptlen = ctlen;
	plain = NULL;
fail:
	free(raw);
	if (plain != NULL) {
		OPENSSL_cleanse(plain, ctlen + 1);
		free(plain);
	}
	return err;
}
