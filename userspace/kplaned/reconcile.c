// SPDX-License-Identifier: GPL-2.0
/*
 * Making the kernel equal to the store: a partial sync diffs the wanted
 * services against those last applied, a full one against a dump of the
 * kernel (repairing whatever else changed it).  Either writes one
 * transaction, or none when nothing differs.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include "reconcile.h"

/* At most this many single changes are refused and left out of one sync. */
#define KP_REFUSALS_MAX	64

double kp_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void kp_fe_name(const struct kp_service *svc, char *buf, size_t size)
{
	char ip[INET6_ADDRSTRLEN] = "?";

	inet_ntop(svc->addr.family, svc->addr.ip, ip, sizeof(ip));
	snprintf(buf, size, "%s%s%s:%u/%s (%s)", svc->addr.family == AF_INET6 ? "[" : "", ip,
		 svc->addr.family == AF_INET6 ? "]" : "", svc->port,
		 svc->proto == IPPROTO_UDP ? "udp" : "tcp", svc->id[0] ? svc->id : "-");
}

/* Drops entry @i of the diff (deletes first, then sets); returns the set dropped, if one. */
static const struct kp_service *kp_diff_drop(struct kp_svc_diff *d, size_t i)
{
	const struct kp_service *set = NULL;

	if (i < d->n_del) {
		memmove(&d->del[i], &d->del[i + 1], (d->n_del - i - 1) * sizeof(*d->del));
		d->n_del--;
		return NULL;
	}
	i -= d->n_del;
	set = d->set[i];
	memmove(&d->set[i], &d->set[i + 1], (d->n_set - i - 1) * sizeof(*d->set));
	d->n_set--;
	return set;
}

/* Leaves frontends the kernel refused out of what counts as applied. */
static void kp_want_drop(struct kp_svc_set *want, const struct kp_service *const *gone,
			 unsigned int n_gone)
{
	unsigned int i, j, k = 0;

	for (i = 0; i < want->n; i++) {
		bool drop = false;

		for (j = 0; j < n_gone && !drop; j++)
			drop = gone[j] == &want->svcs[i];
		if (drop)
			free(want->svcs[i].backends);
		else
			want->svcs[k++] = want->svcs[i];
	}
	want->n = k;
}

/*
 * Applies @d; a change the kernel refuses (a backend it finds invalid, a
 * full table) is logged, left out and the rest applied: one bad service
 * must not hold back every other.
 */
static int kp_apply(struct kp_reconciler *r, struct kp_svc_diff *d, struct kp_svc_set *want)
{
	const struct kp_service *gone[KP_REFUSALS_MAX];
	unsigned int n_gone = 0;
	size_t refused;
	int err;

	for (;;) {
		const struct kp_service *svc;
		char name[160];

		err = kp_sync_apply(r->h, d, &refused);
		if (!err || refused == SIZE_MAX || n_gone == KP_REFUSALS_MAX)
			break;
		svc = refused < d->n_del ? d->del[refused] : d->set[refused - d->n_del];
		kp_fe_name(svc, name, sizeof(name));
		kp_log(KP_WARN, "service %s refused by the kernel: %s: %s; left out",
		       name, strerror(-err), kp_error(r->h));
		svc = kp_diff_drop(d, refused);
		if (svc)
			gone[n_gone++] = svc;
		pthread_mutex_lock(&r->m->lock);
		r->m->refused++;
		pthread_mutex_unlock(&r->m->lock);
	}
	if (!err)
		kp_want_drop(want, gone, n_gone);
	return err;
}

static int kp_diff_against(struct kp_reconciler *r, bool full, const struct kp_svc_set *want,
			   struct kp_svc_diff *d, struct kp_service **have, size_t *n_have)
{
	int err;

	*have = NULL;
	*n_have = 0;
	if (!full)
		return kp_svc_diff(want->svcs, want->n, r->applied.svcs, r->applied.n, d);
	err = kp_service_list(r->h, have, n_have);
	if (err) {
		kp_log(KP_ERR, "cannot dump the kernel's services: %s: %s", strerror(-err),
		       kp_error(r->h));
		return err;
	}
	return kp_svc_diff(want->svcs, want->n, *have, *n_have, d);
}

static void kp_account(struct kp_reconciler *r, bool full, bool drift, unsigned int orphans,
		       const struct kp_svc_diff *d, double start, int err)
{
	struct kp_metrics *m = r->m;
	double end = kp_now();

	pthread_mutex_lock(&m->lock);
	if (err) {
		m->sync_failures++;
	} else {
		m->synced = true;
		m->last_sync = end;
		m->writes += d->n_set + d->n_del;
		if (drift)
			m->repaired += d->n_set + d->n_del;
		if (m->oldest_pending && (d->n_set || d->n_del)) {
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

int kp_reconcile(struct kp_reconciler *r, const struct kp_store *s, bool full, bool drift)
{
	struct kp_svc_set want;
	struct kp_svc_diff d = { 0 };
	struct kp_service *have = NULL;
	double start = kp_now();
	unsigned int orphans = 0;
	size_t n_have = 0;
	int err;

	full |= !r->have_applied;
	err = kp_store_want(s, &r->node, &want, &orphans);
	if (!err)
		err = kp_diff_against(r, full, &want, &d, &have, &n_have);
	if (!err)
		err = kp_apply(r, &d, &want);
	if (err) {
		kp_log(KP_ERR, "%s sync failed: %s: %s", full ? "full" : "partial",
		       strerror(-err), kp_error(r->h));
		kp_svc_set_free(&want);
	} else {
		kp_log(d.n_set || d.n_del ? KP_INFO : KP_DEBUG,
		       "%s sync: %u services (frontends), %u set, %u deleted%s",
		       full ? "full" : "partial", want.n, d.n_set, d.n_del,
		       drift && (d.n_set || d.n_del) ? " (repaired drift)" : "");
		kp_svc_set_free(&r->applied);
		r->applied = want;
		r->have_applied = true;
	}
	kp_account(r, full, drift, orphans, &d, start, err);
	kp_svc_diff_free(&d);
	kp_services_free(have, n_have);
	return err;
}

void kp_reconciler_free(struct kp_reconciler *r)
{
	kp_svc_set_free(&r->applied);
}
