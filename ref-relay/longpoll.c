/*
 * longpoll: waiters in hash buckets by mailbox id, and a count per client
 * address in a second small hash table, all under one mutex (held only
 * for list operations, never while a callback runs).
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "longpoll.h"

#define BUCKETS		1024	/* of waiters, by mailbox id */
#define ADDR_BUCKETS	256	/* of per-address counts */

LIST_HEAD(waiters, longpoll_waiter);

struct addr_count {
	char			 addr[LONGPOLL_ADDR_MAX];
	int			 n;
	struct addr_count	*next;
};

struct longpoll {
	pthread_mutex_t		 mu;
	int			 max_total, max_per_addr, total;
	struct waiters		 by_id[BUCKETS];
	unsigned		 epoch[BUCKETS];	/* wakes, by bucket */
	struct addr_count	*by_addr[ADDR_BUCKETS];
};

/* FNV-1a: spreads mailbox ids and addresses well enough. */
static unsigned
hash(const char *s)
{
	unsigned h = 2166136261u;

	for (; *s != '\0'; s++)
		h = (h ^ (unsigned char)*s) * 16777619u;
	return h;
}

struct longpoll *
longpoll_new(int max_total, int max_per_addr)
{
	struct longpoll *lp = calloc(1, sizeof(*lp));

	if (lp == NULL)
		return NULL;
	if (pthread_mutex_init(&lp->mu, NULL) != 0) {
		free(lp);
		return NULL;
	}
	lp->max_total = max_total;
	lp->max_per_addr = max_per_addr;
	for (int i = 0; i < BUCKETS; i++)
		LIST_INIT(&lp->by_id[i]);
	return lp;
}

void
longpoll_free(struct longpoll *lp)
{
	if (lp == NULL)
		return;
	for (int i = 0; i < ADDR_BUCKETS; i++) {
		struct addr_count *a, *next;
		for (a = lp->by_addr[i]; a != NULL; a = next) {
			next = a->next;
			free(a);
		}
	}
	pthread_mutex_destroy(&lp->mu);
	free(lp);
}

/* The count of addr, made when create; NULL when absent or ENOMEM. */
static struct addr_count *
addr_slot(struct longpoll *lp, const char *addr, bool create)
{
	struct addr_count **p = &lp->by_addr[hash(addr) % ADDR_BUCKETS];

	for (; *p != NULL; p = &(*p)->next)
		if (strcmp((*p)->addr, addr) == 0)
			return *p;
	if (!create || (*p = calloc(1, sizeof(**p))) == NULL)
		return NULL;
	memcpy((*p)->addr, addr, sizeof((*p)->addr));
	return *p;
}

/* Drop one from addr's count, and the entry when it reaches zero. */
static void
addr_put(struct longpoll *lp, const char *addr)
{
	struct addr_count **p = &lp->by_addr[hash(addr) % ADDR_BUCKETS], *a;

	for (; (a = *p) != NULL; p = &a->next) {
		if (strcmp(a->addr, addr) != 0)
			continue;
		if (--a->n <= 0) {
			*p = a->next;
			free(a);
		}
		return;
	}
}

bool
longpoll_add(struct longpoll *lp, struct longpoll_waiter *w)
{
	struct addr_count	*a;
	bool			 ok = false;

	w->addr[sizeof(w->addr) - 1] = '\0';
	if (pthread_mutex_lock(&lp->mu) != 0)
		return false;
	if (lp->total < lp->max_total &&
	    (a = addr_slot(lp, w->addr, true)) != NULL) {
		if (a->n < lp->max_per_addr) {
			a->n++;
			lp->total++;
			w->woken = false;
			w->linked = true;
			LIST_INSERT_HEAD(&lp->by_id[hash(w->id) % BUCKETS], w,
			    link);
			ok = true;
			if (lp->epoch[hash(w->id) % BUCKETS] != w->since) {
				w->woken = true;	/* woken meanwhile */
				event_active(w->ev, EV_READ, 0);
			}
		} else if (a->n == 0)
			addr_put(lp, w->addr);
	}
	pthread_mutex_unlock(&lp->mu);
	return ok;
}

void
longpoll_remove(struct longpoll *lp, struct longpoll_waiter *w)
{
	if (pthread_mutex_lock(&lp->mu) != 0)
		return;
	if (w->linked) {
		LIST_REMOVE(w, link);
		w->linked = false;
		w->woken = true;
		lp->total--;
		addr_put(lp, w->addr);
	}
	pthread_mutex_unlock(&lp->mu);
}

unsigned
longpoll_epoch(struct longpoll *lp, const char *id)
{
	unsigned epoch = 0;

	if (pthread_mutex_lock(&lp->mu) != 0)
		return 0;
	epoch = lp->epoch[hash(id) % BUCKETS];
	pthread_mutex_unlock(&lp->mu);
	return epoch;
}

void
longpoll_wake(struct longpoll *lp, const char *id)
{
	struct longpoll_waiter *w;

	if (pthread_mutex_lock(&lp->mu) != 0)
		return;
	lp->epoch[hash(id) % BUCKETS]++;
	LIST_FOREACH(w, &lp->by_id[hash(id) % BUCKETS], link) {
		if (!w->woken && strcmp(w->id, id) == 0) {
			w->woken = true;
			event_active(w->ev, EV_READ, 0);
		}
	}
	pthread_mutex_unlock(&lp->mu);
}

void
longpoll_wake_base(struct longpoll *lp, struct event_base *base)
{
	struct longpoll_waiter *w;

	if (pthread_mutex_lock(&lp->mu) != 0)
		return;
	for (int i = 0; i < BUCKETS; i++) {
		LIST_FOREACH(w, &lp->by_id[i], link) {
			if (!w->woken && event_get_base(w->ev) == base) {
				w->woken = true;
				event_active(w->ev, EV_READ, 0);
			}
		}
	}
	pthread_mutex_unlock(&lp->mu);
}

int
longpoll_count(struct longpoll *lp)
{
	int n = 0;

	if (pthread_mutex_lock(&lp->mu) == 0) {
		n = lp->total;
		pthread_mutex_unlock(&lp->mu);
	}
	return n;
}
