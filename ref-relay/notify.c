/*
 * notify: the spool notifier.  One write(2) per line on an O_APPEND file
 * keeps lines whole when several workers notify at once.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "notify.h"

struct spool {
	int	fd;
};

const char *
notify_strerror(enum notify_err err)
{
	switch (err) {
	case NOTIFY_OK:
		return "no error";
	case NOTIFY_EOPEN:
		return "cannot open the notification spool";
	case NOTIFY_EWRITE:
		return "cannot write to the notification spool";
	case NOTIFY_ENOMEM:
		return "out of memory";
	}
	return "unknown notifier error";
}

static enum notify_err
spool_send(void *impl, const char *type, const char *token,
    const char *event)
{
	struct spool	*s = impl;
	json_t		*o = json_pack("{s:s, s:s, s:s}", "type", type,
	    "tokenData", token, "event", event);
	char		*line = o != NULL ? json_dumps(o, JSON_COMPACT) : NULL;
	enum notify_err	 err = NOTIFY_ENOMEM;

	json_decref(o);
	if (line == NULL)
		return err;
	size_t n = strlen(line);
	line[n] = '\n';	/* json_dumps leaves room only for the NUL */
	ssize_t w;
	do {
		w = write(s->fd, line, n + 1);
	} while (w < 0 && errno == EINTR);
	err = w == (ssize_t)(n + 1) ? NOTIFY_OK : NOTIFY_EWRITE;
	free(line);
	return err;
}

static void
spool_close(void *impl)
{
	struct spool *s = impl;

	if (s != NULL)
		close(s->fd);
	free(s);
}

enum notify_err
notify_spool_open(const char *path, struct notifier *out)
{
	struct spool *s = malloc(sizeof(*s));

	memset(out, 0, sizeof(*out));
	if (s == NULL)
		return NOTIFY_ENOMEM;
	s->fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
	if (s->fd < 0) {
		free(s);
		return NOTIFY_EOPEN;
	}
	out->send = spool_send;
	out->close = spool_close;
	out->impl = s;
	return NOTIFY_OK;
}

enum notify_err
notify_send(const struct notifier *n, const char *type, const char *token,
    const char *event)
{
	if (n == NULL || n->send == NULL || type == NULL || token == NULL)
		return NOTIFY_OK;
	return n->send(n->impl, type, token, event);
}

void
notify_close(struct notifier *n)
{
	if (n != NULL && n->close != NULL)
		n->close(n->impl);
	if (n != NULL)
		memset(n, 0, sizeof(*n));
}
