/*
 * notify: how the relay tells a device that its mailbox changed (http-00
 * §4.3, §8.2.2).  A notifier gets only the token the device gave and the
 * kind of event: never the mailbox, the claim or anything else.  The
 * reference relay ships one notifier, a spool file for tests and local
 * use; an APNs, FCM or Web Push notifier implements the same struct
 * (see ref-relay/README.md).
 */
#ifndef TIGRESS_RELAY_NOTIFY_H
#define TIGRESS_RELAY_NOTIFY_H

enum notify_err {
	NOTIFY_OK = 0,
	NOTIFY_EOPEN,	/* spool could not be opened */
	NOTIFY_EWRITE,	/* a notification could not be written */
	NOTIFY_ENOMEM,
};

struct notifier {
	/* Deliver one notification; called from any worker thread. */
	enum notify_err	(*send)(void *impl, const char *type,
			    const char *token, const char *event);
	void		(*close)(void *impl);
	void		*impl;
};

const char *notify_strerror(enum notify_err err);

/*
 * A notifier appending one JSON line per notification to path (created
 * 0600 if missing).  Errors: NOTIFY_EOPEN, NOTIFY_ENOMEM.
 */
enum notify_err notify_spool_open(const char *path, struct notifier *out);

/* Send through n if it has a send function; a NULL n sends nothing. */
enum notify_err notify_send(const struct notifier *n, const char *type,
    const char *token, const char *event);

void notify_close(struct notifier *n);

#endif
