/*
 * msg: body parsing and building.  Parsing is table-free on purpose: one
 * short function per kind lists its members in checking order, so the
 * code reads like the table in spec/rules.md.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "msg.h"
#include "rfc3339.h"
#include "shareurl.h"
#include "text.h"

static const char *const kind_names[MSG_KIND_COUNT] = {
	[MSG_CREATE_REQUEST] = "create_request",
	[MSG_CREATE_RESPONSE] = "create_response",
	[MSG_UPDATE_REQUEST] = "update_request",
	[MSG_UPDATE_RESPONSE] = "update_response",
	[MSG_READ_REQUEST] = "read_request",
	[MSG_READ_RESPONSE] = "read_response",
	[MSG_DELETE_RESPONSE] = "delete_response",
	[MSG_RELINQUISH_RESPONSE] = "relinquish_response",
	[MSG_ERROR_RESPONSE] = "error_response",
	[MSG_PROVISIONING_INFO] = "provisioning_info",
};

const char *
msg_kind_name(enum msg_kind kind)
{
	return (unsigned)kind < MSG_KIND_COUNT ? kind_names[kind] : NULL;
}

bool
msg_kind_from_name(const char *name, enum msg_kind *kind)
{
	for (int k = 0; k < MSG_KIND_COUNT; k++) {
		if (strcmp(name, kind_names[k]) == 0) {
			*kind = (enum msg_kind)k;
			return true;
		}
	}
	return false;
}

/* Where a member lives: the object and the dotted path of that object. */
struct where {
	const json_t	*obj;
	const char	*path;	/* "" at the top level */
	struct msg	*m;
};

/* The dotted path of member name, kept for the error of any check after. */
static void
set_field(struct where *w, const char *name)
{
	char	*f = w->m->field;
	size_t	 n = text_copy(f, sizeof(w->m->field), w->path);

	if (n >= sizeof(w->m->field))
		return;
	if (n > 0 && *name != '\0')
		n = text_append(f, sizeof(w->m->field), n, ".");
	(void)text_append(f, sizeof(w->m->field), n, name);
}

/*
 * Fetch member name of JSON type t.  *out is NULL when an optional member
 * is absent.  Errors: TGERR_FIELD_MISSING, TGERR_FIELD_TYPE.
 */
static enum tgerr
member(struct where *w, const char *name, json_type t, bool required,
    const json_t **out)
{
	const json_t *v = json_object_get(w->obj, name);

	*out = NULL;
	set_field(w, name);
	if (v == NULL)
		return required ? TGERR_FIELD_MISSING : TGERR_OK;
	if (json_typeof(v) != t)
		return TGERR_FIELD_TYPE;
	*out = v;
	return TGERR_OK;
}

/* A required string of min..max bytes. */
static enum tgerr
string(struct where *w, const char *name, size_t min, size_t max,
    const char **out)
{
	const json_t	*v;
	enum tgerr	 err;

	if ((err = member(w, name, JSON_STRING, true, &v)) != TGERR_OK)
		return err;
	if (json_string_length(v) > max)
		return TGERR_FIELD_TOO_LONG;
	if (json_string_length(v) < min)
		return TGERR_FIELD_VALUE;
	*out = json_string_value(v);
	return TGERR_OK;
}

/* An object member; *sub is set up to check its members. */
static enum tgerr
object(struct where *w, const char *name, bool required, struct where *sub,
    bool *present)
{
	const json_t	*v;
	enum tgerr	 err;

	if ((err = member(w, name, JSON_OBJECT, required, &v)) != TGERR_OK)
		return err;
	*present = v != NULL;
	sub->obj = v;
	sub->path = name;
	sub->m = w->m;
	return TGERR_OK;
}

static enum tgerr
check_payload(struct where *w)
{
	const char	*sub = "";
	enum tgerr	 err;

	set_field(w, "payload");
	const json_t *v = json_object_get(w->obj, "payload");
	if (v == NULL)
		return TGERR_FIELD_MISSING;
	err = payload_check(v, &w->m->payload, &sub);
	if (err != TGERR_OK) {
		struct where in = { v, "payload", w->m };
		set_field(&in, sub);
	}
	return err;
}

static enum tgerr
check_display(struct where *w)
{
	struct msg_display	*d = &w->m->display;
	struct where		 in;
	bool			 present;
	enum tgerr		 err;

	if ((err = object(w, "displayInformation", true, &in, &present)) ||
	    (err = string(&in, "title", 1, TG_TITLE_MAX, &d->title)) ||
	    (err = string(&in, "description", 0, TG_DESCRIPTION_MAX,
	    &d->description)) ||
	    (err = string(&in, "imageURL", 0, TG_IMAGEURL_MAX, &d->image_url)))
		return err;
	return TGERR_OK;
}

static enum tgerr
check_notify(struct where *w)
{
	struct msg_notify	*n = &w->m->notify;
	struct where		 in;
	enum tgerr		 err;

	if ((err = object(w, "notificationToken", false, &in, &n->present)))
		return err;
	if (!n->present)
		return TGERR_OK;
	if ((err = string(&in, "type", 1, TG_NOTIFY_TYPE_MAX, &n->type)) ||
	    (err = string(&in, "tokenData", 1, TG_NOTIFY_TOKEN_MAX,
	    &n->token)))
		return err;
	return TGERR_OK;
}

unsigned
msg_rights_parse(const char *s)
{
	unsigned bits = 0, bit;

	for (; *s != '\0'; s++) {
		bit = *s == 'R' ? MSG_RIGHT_READ : *s == 'W' ? MSG_RIGHT_WRITE :
		    *s == 'D' ? MSG_RIGHT_DELETE : 0;
		if (bit == 0 || (bits & bit) != 0)
			return 0;
		bits |= bit;
	}
	return (bits & MSG_RIGHT_READ) != 0 ? bits : 0;
}

static enum tgerr
check_time(struct where *w, const char *name, int64_t *out)
{
	const json_t	*v;
	enum tgerr	 err;

	if ((err = member(w, name, JSON_STRING, true, &v)) != TGERR_OK)
		return err;
	return rfc3339_parse(json_string_value(v), json_string_length(v), out);
}

static enum tgerr
check_config(struct where *w)
{
	struct msg_config	*c = &w->m->config;
	struct where		 in;
	const json_t		*v;
	enum tgerr		 err;

	c->rights = MSG_RIGHTS_DEFAULT;
	if ((err = object(w, "mailboxConfiguration", false, &in, &c->present)))
		return err;
	if (!c->present)
		return TGERR_OK;
	if ((err = member(&in, "accessRights", JSON_STRING, false, &v)))
		return err;
	if (v != NULL) {
		if ((c->rights = msg_rights_parse(json_string_value(v))) == 0)
			return TGERR_FIELD_VALUE;
		c->rights_present = true;
	}
	return check_time(&in, "expiration", &c->expiration);
}

static enum tgerr
check_push(struct where *w)
{
	const json_t *v = json_object_get(w->obj, "isPushNotificationSupported");

	set_field(w, "isPushNotificationSupported");
	if (v == NULL)
		return TGERR_FIELD_MISSING;
	if (!json_is_boolean(v))
		return TGERR_FIELD_TYPE;
	w->m->push_supported = json_is_true(v);
	return TGERR_OK;
}

static enum tgerr
check_url_link(struct where *w)
{
	struct shareurl	 u;
	const char	*s;
	enum tgerr	 err;

	if ((err = string(w, "urlLink", 1, TG_URL_MAX, &s)) != TGERR_OK)
		return err;
	w->m->url_link = s;
	if (shareurl_parse(s, strlen(s), &u) != TGERR_OK ||
	    strchr(s, '#') != NULL || strchr(s, '?') != NULL)
		err = TGERR_FIELD_VALUE;
	shareurl_wipe(&u);
	return err;
}

static enum tgerr
check_members(struct where *w)
{
	struct msg	*m = w->m;
	enum tgerr	 err = TGERR_OK;

	switch (m->kind) {
	case MSG_CREATE_REQUEST:
		if ((err = check_payload(w)) || (err = check_display(w)) ||
		    (err = check_notify(w)) || (err = check_config(w)))
			return err;
		break;
	case MSG_CREATE_RESPONSE:
		if ((err = check_url_link(w)) || (err = check_push(w)))
			return err;
		break;
	case MSG_UPDATE_REQUEST:
		if ((err = check_payload(w)) || (err = check_notify(w)))
			return err;
		break;
	case MSG_UPDATE_RESPONSE:
		return check_push(w);
	case MSG_READ_REQUEST:
		return check_notify(w);
	case MSG_READ_RESPONSE:
		if ((err = check_display(w)) || (err = check_payload(w)) ||
		    (err = check_time(w, "expiration", &m->expiration)))
			return err;
		break;
	case MSG_DELETE_RESPONSE:
	case MSG_RELINQUISH_RESPONSE:
		break;
	case MSG_ERROR_RESPONSE:
		if ((err = string(w, "error", 1, TG_ERROR_CODE_MAX,
		    &m->error)) || (err = string(w, "message", 0,
		    TG_ERROR_MESSAGE_MAX, &m->message)))
			return err;
		break;
	case MSG_PROVISIONING_INFO:
		if ((err = string(w, "format", 1, TG_FORMAT_MAX, &m->format)) ||
		    (err = member(w, "content", JSON_OBJECT, true, &m->content)))
			return err;
		break;
	default:
		return TGERR_INTERNAL;
	}
	return TGERR_OK;
}

/* Depth of nested containers, counting v as 1; stops past the limit. */
static int
depth(const json_t *v, int level)
{
	const char	*key;
	json_t		*sub;
	size_t		 i;
	int		 max = level, d;

	if (!json_is_object(v) && !json_is_array(v))
		return level - 1;
	if (level > TG_DEPTH_MAX)
		return level;
	if (json_is_object(v)) {
		json_object_foreach((json_t *)v, key, sub)
			if ((d = depth(sub, level + 1)) > max)
				max = d;
	} else if (json_is_array(v)) {
		json_array_foreach(v, i, sub)
			if ((d = depth(sub, level + 1)) > max)
				max = d;
	}
	return max;
}

/* Where the parser stopped: 1-based line and column, and its reason. */
static void
syntax_at(struct msg *out, const json_error_t *jerr)
{
	out->line = jerr->line > 0 ? jerr->line : 1;
	out->column = jerr->column > 0 ? jerr->column : 1;
	(void)text_copy(out->syntax, sizeof(out->syntax), jerr->text);
}

enum tgerr
msg_parse(enum msg_kind kind, const char *text, size_t len, struct msg *out)
{
	struct where	 w;
	json_error_t	 jerr;
	enum tgerr	 err;

	memset(out, 0, sizeof(*out));
	out->kind = kind;
	if ((unsigned)kind >= MSG_KIND_COUNT)
		return TGERR_INTERNAL;
	if (len > TG_BODY_MAX)
		return TGERR_TOO_LARGE;
	if (len == 0 && kind == MSG_READ_REQUEST)
		return TGERR_OK;
	out->root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
	if (out->root == NULL || !json_is_object(out->root)) {
		/* jansson stops at its own depth limit: still json_depth. */
		err = out->root == NULL &&
		    json_error_code(&jerr) == json_error_stack_overflow ?
		    TGERR_JSON_DEPTH : TGERR_JSON_SYNTAX;
		if (out->root == NULL)
			syntax_at(out, &jerr);
		goto fail;
	}
	if (depth(out->root, 1) > TG_DEPTH_MAX) {
		err = TGERR_JSON_DEPTH;
		goto fail;
	}
	w.obj = out->root;
	w.path = "";
	w.m = out;
	if ((err = check_members(&w)) != TGERR_OK)
		goto fail;
	out->field[0] = '\0';
	return TGERR_OK;
fail:
	json_decref(out->root);
	out->root = NULL;
	return err;
}

void
msg_free(struct msg *m)
{
	json_decref(m->root);
	m->root = NULL;
}

void
msg_rights_string(unsigned rights, char out[4])
{
	size_t n = 0;

	if (rights & MSG_RIGHT_READ)
		out[n++] = 'R';
	if (rights & MSG_RIGHT_WRITE)
		out[n++] = 'W';
	if (rights & MSG_RIGHT_DELETE)
		out[n++] = 'D';
	out[n] = '\0';
}

/* Serialize and release obj; NULL in, NULL out. */
static char *
dump(json_t *obj)
{
	char *text;

	if (obj == NULL)
		return NULL;
	text = json_dumps(obj, JSON_COMPACT);
	json_decref(obj);
	return text;
}

static json_t *
payload_json(const struct payload_ref *p)
{
	return json_pack("{s:s, s:s#}", "type", payload_aead_name(p->aead),
	    "data", p->data, p->data_len);
}

/*
 * Whether a payload's text is base64 (either alphabet), which JSON holds
 * as it is: no byte to escape.
 */
static bool
json_safe_b64(const char *s, size_t n)
{
	if (s == NULL || n > INT_MAX)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];

		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		    (c >= '0' && c <= '9') || c == '+' || c == '/' ||
		    c == '=' || c == '-' || c == '_'))
			return false;
	}
	return true;
}

/* A read's answer, as jansson writes it (JSON_COMPACT, insertion order). */
#define READ_ANSWER	"{\"displayInformation\":%s,\"payload\":{\"type\":" \
	"\"%s\",\"data\":\"%.*s\"},\"expiration\":\"%s\"}"

static json_t *
display_json(const struct msg_display *d)
{
	return json_pack("{s:s, s:s, s:s}", "title", d->title,
	    "description", d->description, "imageURL", d->image_url);
}

/* Add "notificationToken" to obj when n says one is present. */
static json_t *
with_notify(json_t *obj, const struct msg_notify *n)
{
	if (obj == NULL || n == NULL || !n->present)
		return obj;
	if (json_object_set_new(obj, "notificationToken", json_pack(
	    "{s:s, s:s}", "type", n->type, "tokenData", n->token)) != 0) {
		json_decref(obj);
		return NULL;
	}
	return obj;
}

char *
msg_build_create_request(const struct payload_ref *payload,
    const struct msg_display *display, const struct msg_notify *notify,
    const struct msg_config *config)
{
	json_t	*obj;
	char	 rights[4], when[RFC3339_STR_SIZE];

	obj = with_notify(json_pack("{s:o, s:o}", "payload",
	    payload_json(payload), "displayInformation",
	    display_json(display)), notify);
	if (obj == NULL || config == NULL || !config->present)
		return dump(obj);
	msg_rights_string(config->rights, rights);
	if (rfc3339_format(config->expiration, when) != TGERR_OK ||
	    json_object_set_new(obj, "mailboxConfiguration", json_pack(
	    "{s:s, s:s}", "accessRights", rights, "expiration", when)) != 0) {
		json_decref(obj);
		return NULL;
	}
	return dump(obj);
}

char *
msg_build_create_response(const char *url_link, bool push_supported)
{
	return dump(json_pack("{s:s, s:b}", "urlLink", url_link,
	    "isPushNotificationSupported", push_supported));
}

char *
msg_build_update_request(const struct payload_ref *payload,
    const struct msg_notify *notify)
{
	return dump(with_notify(json_pack("{s:o}", "payload",
	    payload_json(payload)), notify));
}

char *
msg_build_update_response(bool push_supported)
{
	return dump(json_pack("{s:b}", "isPushNotificationSupported",
	    push_supported));
}

char *
msg_build_read_request(const struct msg_notify *notify)
{
	return dump(with_notify(json_object(), notify));
}

char *
msg_build_read_response(const struct msg_display *display,
    const struct payload_ref *payload, int64_t expiration)
{
	char	 when[RFC3339_STR_SIZE];
	char	*shown, *text;
	size_t	 n;

	if (rfc3339_format(expiration, when) != TGERR_OK)
		return NULL;
	if (!json_safe_b64(payload->data, payload->data_len))
		return dump(json_pack("{s:o, s:o, s:s}", "displayInformation",
		    display_json(display), "payload", payload_json(payload),
		    "expiration", when));
	/* The same bytes as jansson's, without escaping the payload's
	 * characters one by one: a third of the cost of a read. */
	if ((shown = dump(display_json(display))) == NULL)
		return NULL;
	/* the format is longer than its fixed characters */
	n = sizeof(READ_ANSWER) + strlen(shown) +
	    strlen(payload_aead_name(payload->aead)) + payload->data_len +
	    strlen(when);
	if ((text = malloc(n)) != NULL)
		snprintf(text, n, READ_ANSWER, shown,
		    payload_aead_name(payload->aead), (int)payload->data_len,
		    payload->data, when);
	free(shown);
	return text;
}

char *
msg_build_empty(void)
{
	return dump(json_object());
}

char *
msg_build_error(const char *code, const char *message)
{
	return dump(json_pack("{s:s, s:s}", "error", code, "message",
	    message));
}
