/*
 * limits: every size limit of the protocol rules (spec/rules.md), in one
 * place so that relay, client and tests agree.  Lengths are bytes.
 */
#ifndef TIGRESS_TGLIMITS_H
#define TIGRESS_TGLIMITS_H

#define TG_URL_MAX		2048	/* URL-LEN */
#define TG_HOST_MAX		253	/* URL-HOST, names */
#define TG_VERSION_MAX		999	/* URL-VERSION */
#define TG_UUID_LEN		36	/* UUID-FORM */
#define TG_TIME_LEN		20	/* TIME-FORM */
#define TG_KEY_MAX		32	/* AES-256 */
#define TG_IV_LEN		12	/* PAYLOAD-AEAD */
#define TG_TAG_LEN		16
#define TG_PLAINTEXT_MAX	49124	/* PAYLOAD-SEAL */
#define TG_DATA_MAX		65536	/* PAYLOAD-DATA, characters */
#define TG_BODY_MAX		98304	/* BODY-SIZE */
#define TG_DEPTH_MAX		16	/* BODY-DEPTH */
#define TG_TITLE_MAX		256	/* BODY-DISPLAY */
#define TG_DESCRIPTION_MAX	1024
#define TG_IMAGEURL_MAX		2048
#define TG_NOTIFY_TYPE_MAX	128	/* BODY-NOTIFY */
#define TG_NOTIFY_TOKEN_MAX	4096
#define TG_FORMAT_MAX		256	/* provisioning_info */
#define TG_ERROR_CODE_MAX	64	/* error_response */
#define TG_ERROR_MESSAGE_MAX	1024
#define TG_REQUEST_ID_MAX	128	/* errata E-REQID-FORM */
#define TG_ATTESTATION_MAX	4096
#define TG_FIELD_PATH_MAX	64	/* longest dotted field path */

#endif
