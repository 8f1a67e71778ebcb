/*
 * msg: the JSON bodies of the six relay operations (http-00 §6) and the
 * Provisioning Information envelope (§7), parsed with jansson into C
 * structs and checked as spec/rules.md BODY-* says; and the builders that
 * write the same bodies.  Unknown members are always ignored.
 */
#ifndef TIGRESS_MSG_H
#define TIGRESS_MSG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "tglimits.h"
#include "payload.h"
#include "tgerr.h"

enum msg_kind {
	MSG_CREATE_REQUEST,
	MSG_CREATE_RESPONSE,
	MSG_UPDATE_REQUEST,
	MSG_UPDATE_RESPONSE,
	MSG_READ_REQUEST,
	MSG_READ_RESPONSE,
	MSG_DELETE_RESPONSE,
	MSG_RELINQUISH_RESPONSE,
	MSG_ERROR_RESPONSE,
	MSG_PROVISIONING_INFO,
	MSG_KIND_COUNT
};

/* accessRights letters as bits (errata E-ACCESS-RIGHTS). */
#define MSG_RIGHT_READ		0x1u	/* R */
#define MSG_RIGHT_WRITE		0x2u	/* W */
#define MSG_RIGHT_DELETE	0x4u	/* D */
#define MSG_RIGHTS_DEFAULT	(MSG_RIGHT_READ | MSG_RIGHT_DELETE)

struct msg_display {
	const char	*title;
	const char	*description;
	const char	*image_url;
};

struct msg_notify {
	bool		 present;
	const char	*type;
	const char	*token;
};

struct msg_config {
	bool		 present;
	bool		 rights_present;
	unsigned	 rights;	/* MSG_RIGHT_* bits */
	int64_t		 expiration;	/* epoch seconds */
};

/*
 * A parsed body.  Every string points into root, which the struct owns:
 * release it with msg_free().  Only the members of its kind are set.
 */
struct msg {
	enum msg_kind		 kind;
	json_t			*root;	/* NULL for an empty read_request */
	struct payload_ref	 payload;
	struct msg_display	 display;
	struct msg_notify	 notify;
	struct msg_config	 config;
	const char		*url_link;
	bool			 push_supported;
	int64_t			 expiration;
	const char		*error;
	const char		*message;
	const char		*format;
	const json_t		*content;
	char			 field[TG_FIELD_PATH_MAX];	/* on error */
	/* On TGERR_JSON_SYNTAX from the JSON parser: where and what. */
	int			 line, column;	/* 1-based; 0: not parsed */
	char			 syntax[JSON_ERROR_TEXT_LENGTH];
};

/* "create_request", ... (static); NULL when out of range. */
const char *msg_kind_name(enum msg_kind kind);

/* Look a kind up by name; false when unknown. */
bool msg_kind_from_name(const char *name, enum msg_kind *kind);

/*
 * Parse and check text[0..len) as a body of the given kind into *out.
 * On error out->field holds the dotted path of the fault ("" for the
 * whole body) and nothing needs freeing; when the text is not JSON,
 * out->line, out->column and out->syntax say where and why (line 0: it
 * is JSON, but not an object).  Errors: TGERR_TOO_LARGE,
 * TGERR_JSON_SYNTAX, TGERR_JSON_DEPTH, TGERR_FIELD_*, TGERR_PAYLOAD_TYPE,
 * _ENCODING, _TRUNCATED, TGERR_TIME_SYNTAX, TGERR_NOMEM.
 */
enum tgerr msg_parse(enum msg_kind kind, const char *text, size_t len,
    struct msg *out);

/* Release what msg_parse() allocated; *m may be zeroed or parsed. */
void msg_free(struct msg *m);

/*
 * The MSG_RIGHT_* bits of an accessRights text ("RWD", "DR", ...); 0 when
 * it is not 1-3 distinct letters of R, W, D including R.
 */
unsigned msg_rights_parse(const char *s);

/*
 * "RWD"-style text of rights bits into out (4 bytes: letters and NUL),
 * in the order R, W, D.
 */
void msg_rights_string(unsigned rights, char out[4]);

/*
 * Builders.  Each returns a new compact JSON text that the caller frees
 * with free(), or NULL when memory ran out.  Pointers may be NULL where
 * the member is optional (notify, config); payload is a checked or
 * sealed {"type","data"} pair.
 */
char *msg_build_create_request(const struct payload_ref *payload,
    const struct msg_display *display, const struct msg_notify *notify,
    const struct msg_config *config);
char *msg_build_create_response(const char *url_link, bool push_supported);
char *msg_build_update_request(const struct payload_ref *payload,
    const struct msg_notify *notify);
char *msg_build_update_response(bool push_supported);
char *msg_build_read_request(const struct msg_notify *notify);
char *msg_build_read_response(const struct msg_display *display,
    const struct payload_ref *payload, int64_t expiration);
char *msg_build_empty(void);
char *msg_build_error(const char *code, const char *message);

#endif
