// SPDX-License-Identifier: GPL-2.0
/*
 * Making the kernel equal to the store: a partial sync diffs what is
 * wanted against what the last sync applied, a full one against a dump of
 * the kernel (repairing whatever else changed it).  Either writes one
 * transaction, or none when nothing differs.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include "reconcile.h"

/*
 * At most this many single changes are refused and left out of one sync
 * (each costs a retry; a pod whose netns is gone costs no kernel request).
 */
#define KP_REFUSALS_MAX	4096

static double kp_clock(clockid_t clock)
{
	struct timespec ts;

	clock_gettime(clock, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

double kp_now(void)
{
	return kp_clock(CLOCK_REALTIME);
}

double kp_mono(void)
{
	return kp_clock(CLOCK_MONOTONIC);
}

/* Removes @p from the pointer array @arr of *@n, if there. */
static void kp_ptr_drop(const void **arr, unsigned int *n, const void *p)
{
	unsigned int i;

	for (i = 0; i < *n; i++)
		if (arr[i] == p) {
			memmove(&arr[i], &arr[i + 1], (*n - i - 1) * sizeof(*arr));
			(*n)--;
			return;
		}
}

/* Leaves what the kernel refused out of @c (out of what is applied: below). */
static void kp_leave_out(struct kp_change *c, const struct kp_refused *r)
{
	if (r->settings)
		c->settings = NULL;
	if (r->svc) {
		kp_ptr_drop((const void **)c->svc.set, &c->svc.n_set, r->svc);
		kp_ptr_drop((const void **)c->svc.del, &c->svc.n_del, r->svc);
	}
	if (r->ep) {
		kp_ptr_drop((const void **)c->ep.add, &c->ep.n_add, r->ep);
		kp_ptr_drop((const void **)c->ep.del, &c->ep.n_del, r->ep);
	}
}

/*
 * After a sync: what was left out is not applied (compacted out of @want,
 * now that @c, which points into it, is done with).
 */
static void kp_forget_refused(struct kp_desired *want, const struct kp_refused *gone,
			      unsigned int n_gone)
{
	unsigned int i, j, k;

	for (k = 0, i = 0; i < want->svcs.n; i++) {
		bool drop = false;

		for (j = 0; j < n_gone && !drop; j++)
			drop = gone[j].svc == &want->svcs.svcs[i];
		if (drop)
			free(want->svcs.svcs[i].backends);
		else
			want->svcs.svcs[k++] = want->svcs.svcs[i];
	}
	want->svcs.n = k;
	for (k = 0, i = 0; i < want->eps.n; i++) {
		bool drop = false;

		for (j = 0; j < n_gone && !drop; j++)
			drop = gone[j].ep == &want->eps.eps[i];
		if (!drop)
			want->eps.eps[k++] = want->eps.eps[i];
	}
	want->eps.n = k;
}

/*
 * Applies @c; a change the kernel refuses (a backend it finds invalid, a
 * full table, a pod whose netns is gone) is logged, left out and the rest
 * applied: one bad object must not hold back every other.
 */
static int kp_apply(struct kp_reconciler *r, struct kp_change *c, struct kp_desired *want)
{
	struct kp_refused *gone = NULL, *ref;
	unsigned int n_gone = 0;
	int err;

	for (;;) {
		char name[192];

		if (!(n_gone & (n_gone + 1))) {	/* 0, 1, 3, 7...: room for twice as many */
			ref = realloc(gone, (2 * n_gone + 2) * sizeof(*gone));
			if (!ref) {
				err = -ENOMEM;
				break;
			}
			gone = ref;
		}
		ref = &gone[n_gone];
		err = kp_sync_apply(r->h, c, ref);
		if (!err || (!ref->svc && !ref->ep && !ref->settings) || n_gone == KP_REFUSALS_MAX)
			break;
		kp_refused_name(ref, name, sizeof(name));
		kp_log(KP_WARN, "%s refused: %s: %s; left out", name, strerror(-err), ref->why);
		kp_leave_out(c, ref);
		n_gone++;
		pthread_mutex_lock(&r->m->lock);
		r->m->refused++;
		pthread_mutex_unlock(&r->m->lock);
	}
	if (!err)
		kp_forget_refused(want, gone, n_gone);
	free(gone);
	return err;
}

/* ", N ms after the change" while one is pending (for the log line). */
static const char *kp_since_change(struct kp_metrics *m)
{
	static __thread char buf[48];
	double oldest;

	pthread_mutex_lock(&m->lock);
	oldest = m->oldest_pending;
	pthread_mutex_unlock(&m->lock);
	if (!oldest)
		return "";
	snprintf(buf, sizeof(buf), ", %.1f ms after the change", (kp_now() - oldest) * 1000);
	return buf;
}

static unsigned int kp_writes(const struct kp_change *c)
{
	return c->svc.n_set + c->svc.n_del + c->ep.n_add + c->ep.n_del + !!c->settings;
}

static void kp_account(struct kp_reconciler *r, bool full, bool drift, unsigned int orphans,
		       const struct kp_change *c, double start, int err)
{
	struct kp_metrics *m = r->m;
	double end = kp_now();
	unsigned int writes = err ? 0 : kp_writes(c);

	pthread_mutex_lock(&m->lock);
	if (err) {
		m->sync_failures++;
	} else {
		m->synced = true;
		m->last_sync = end;
		m->writes += writes;
		if (drift)
			m->repaired += writes;
		if (m->oldest_pending && writes) {
			kp_observe(m->h_prog, &m->s_prog, end - m->oldest_pending);
			m->n_prog++;
		}
		m->oldest_pending = 0;
		m->changes_pending = 0;
		m->orphan_slices = orphans;
	}
	if (full) {
		m->syncs_full++;
		kp_observe(m->h_full, &m->s_full, end - start);
	} else {
		m->syncs_partial++;
		kp_observe(m->h_partial, &m->s_partial, end - start);
	}
	pthread_mutex_unlock(&m->lock);
}

/* What the diff is taken against: the last applied state, or a kernel dump. */
static int kp_have(struct kp_reconciler *r, bool full, struct kp_desired *dump,
		   const struct kp_desired **have)
{
	int err;

	memset(dump, 0, sizeof(*dump));
	*have = &r->applied;
	if (!full)
		return 0;
	err = kp_kernel_desired(r->h, dump);
	if (err)
		kp_log(KP_ERR, "cannot dump the kernel's state: %s: %s", strerror(-err),
		       kp_error(r->h));
	*have = dump;
	return err;
}

int kp_reconcile(struct kp_reconciler *r, const struct kp_store *s, bool full, bool drift)
{
	struct kp_desired want, dump;
	const struct kp_desired *have;
	struct kp_change c = { 0 };
	double start = kp_now();
	int err;

	full |= !r->have_applied;
	err = kp_store_desired(s, &r->node, &want);
	if (!err)
		err = kp_have(r, full, &dump, &have);
	if (!err)
		err = kp_desired_diff(&want, have, &c);
	if (!err)
		err = kp_apply(r, &c, &want);
	if (err) {
		kp_log(KP_ERR, "%s sync failed: %s: %s", full ? "full" : "partial",
		       strerror(-err), kp_error(r->h));
	} else {
		kp_log(kp_writes(&c) ? KP_INFO : KP_DEBUG,
		       "%s sync: %u services (frontends) and %u endpoints: %u set, %u deleted; "
		       "%u endpoints added, %u deleted%s%s; %.1f ms%s", full ? "full" : "partial",
		       want.svcs.n, want.eps.n, c.svc.n_set, c.svc.n_del, c.ep.n_add, c.ep.n_del,
		       c.settings ? "; node settings set" : "",
		       drift && kp_writes(&c) ? " (repaired drift)" : "",
		       (kp_now() - start) * 1000, kp_since_change(r->m));
	}
	kp_account(r, full, drift, want.orphans, &c, start, err);
	kp_change_free(&c);
	if (full)
		kp_desired_free(&dump);
	if (err) {
		kp_desired_free(&want);
		return err;
	}
	kp_desired_free(&r->applied);
	r->applied = want;
	r->have_applied = true;
	return 0;
}

void kp_reconciler_free(struct kp_reconciler *r)
{
	kp_desired_free(&r->applied);
}
