/*
 * longpoll: the held reads of spec/extensions.md X-LONG-POLL, shared by
 * every event-loop thread: who waits for which mailbox, so that an update
 * on any thread wakes them, and how many wait in all and per client
 * address, so that nobody can hold more than their share.
 *
 * A waiter belongs to one event loop: its event runs its callback there
 * when its time is up or its mailbox changes.  Thread-safe.
 *
 * A change committed after a read has read its mailbox, but woken before
 * that read is held, must not be lost (else the read waits its whole
 * time, depending on which thread or node was faster): the caller notes
 * the mailbox's wake epoch before it reads, and a hold given an older
 * epoch is woken at once.
 */
#ifndef TIGRESS_RELAY_LONGPOLL_H
#define TIGRESS_RELAY_LONGPOLL_H

#include <sys/queue.h>

#include <stdbool.h>

#include <event2/event.h>

#include "uuid.h"

#define LONGPOLL_ADDR_MAX	64	/* a numeric address as text */

struct longpoll_waiter {
	struct event	*ev;		/* the owner's; fired on wake */
	char		 id[UUID_STR_SIZE];
	char		 addr[LONGPOLL_ADDR_MAX];
	unsigned	 since;		/* longpoll_epoch() before the read */
	bool		 woken;
	bool		 linked;
	LIST_ENTRY(longpoll_waiter) link;
};

struct longpoll;

/* Caps: held reads in all, and per client address.  NULL on ENOMEM. */
struct longpoll *longpoll_new(int max_total, int max_per_addr);
void longpoll_free(struct longpoll *lp);

/*
 * The wake epoch of mailbox id (it moves at every longpoll_wake of id, and
 * maybe of others): note it in a waiter's since before reading the
 * mailbox.
 */
unsigned longpoll_epoch(struct longpoll *lp, const char *id);

/*
 * Hold w (its ev, id, addr and since set by the caller) until woken; at
 * once when id was woken after since.  False when a cap is reached: then
 * answer the read at once.
 */
bool longpoll_add(struct longpoll *lp, struct longpoll_waiter *w);

/* Forget w; call on its own thread before freeing its event. */
void longpoll_remove(struct longpoll *lp, struct longpoll_waiter *w);

/* Wake the reads held for mailbox id (their events become active). */
void longpoll_wake(struct longpoll *lp, const char *id);

/* Wake every read held on event loop base (shutdown). */
void longpoll_wake_base(struct longpoll *lp, struct event_base *base);

/* How many reads are held. */
int longpoll_count(struct longpoll *lp);

#endif
