/*
 * libFuzzer harness for the parsers of lib/ (make fuzz): every input goes
 * through shareurl_parse, uuid_check, rfc3339_parse, every msg_parse kind
 * and preview_parse.  Nothing may crash, leak or read out of bounds.
 */
#include <stddef.h>
#include <stdint.h>

#include "msg.h"
#include "preview.h"
#include "rfc3339.h"
#include "shareurl.h"
#include "uuid.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char		*s = (const char *)data;
	struct shareurl		 u;
	struct msg		 m;
	struct preview_parsed	 p;
	char			 canon[UUID_STR_SIZE];
	int64_t			 t;
	int			 v;

	(void)shareurl_parse(s, size, &u);
	shareurl_wipe(&u);
	(void)uuid_check(s, size, canon, &v);
	(void)rfc3339_parse(s, size, &t);
	for (int k = 0; k < MSG_KIND_COUNT; k++) {
		(void)msg_parse((enum msg_kind)k, s, size, &m);
		msg_free(&m);
	}
	if (preview_parse(s, size, &p) == TGERR_OK)
		preview_parsed_free(&p);
	return 0;
}
