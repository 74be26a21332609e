// SPDX-License-Identifier: GPL-2.0
/*
 * Making the kernel equal to the store: a partial sync diffs what is
 * wanted against what the last sync applied, a full one against a dump of
 * the kernel (repairing whatever else changed it).  Either writes one
 * transaction, or none when nothing differs.
 */
#include <errno.h>
#include <inttypes.h>
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
		kp_ptr_drop((const void **)c->ep.pol, &c->ep.n_pol, r->ep);
	}
}

/* What a sync's kernel refused, to forget from what it records as applied. */
struct kp_gone {
	struct kp_refused *r;
	unsigned int n;
	const struct kp_k8s_service **again;	/* the Services of refused frontends */
	unsigned int n_again;
};

/* Last in memory first: forgetting one moves those after it in its array. */
static int kp_refused_cmp(const void *pa, const void *pb)
{
	const struct kp_refused *a = pa, *b = pb;
	uintptr_t x = (uintptr_t)a->svc + (uintptr_t)a->ep, y = (uintptr_t)b->svc + (uintptr_t)b->ep;

	return (x < y) - (x > y);
}

/*
 * Forgets what @g says was refused from @sets (@n of them) and @eps; the
 * Services of refused frontends go to g->again (kp_settle() has them tried
 * again), a refused endpoint makes the pods judged again (r->pods_seen).
 */
static void kp_forget(struct kp_reconciler *r, struct kp_gone *g, struct kp_svc_set *sets,
		      unsigned int n, struct kp_ep_set *eps)
{
	unsigned int i, j;

	g->again = calloc(g->n + 1, sizeof(*g->again));
	qsort(g->r, g->n, sizeof(*g->r), kp_refused_cmp);
	for (i = 0; i < g->n; i++) {
		for (j = 0; g->r[i].svc && j < n; j++) {
			const struct kp_k8s_service *svc = kp_svc_set_forget(&sets[j], g->r[i].svc);

			if (svc && g->again)
				g->again[g->n_again++] = svc;
		}
		if (g->r[i].ep && eps) {
			kp_ep_set_forget(eps, g->r[i].ep);
			r->pods_seen = UINT64_MAX;	/* no count reaches it: judged again */
		}
	}
}

/* After a sync: the store's changed names are seen, but for what was refused. */
static void kp_settle(struct kp_store *s, struct kp_gone *g)
{
	unsigned int i;

	if (s->names_lost)
		kp_store_reindex(s);
	else
		kp_store_settle(s);
	/* The store's objects outlive the sync: their names still stand. */
	for (i = 0; i < g->n_again; i++)
		kp_store_touch(s, g->again[i]->ns, g->again[i]->name);
}

/*
 * Applies @c; a change the kernel refuses (a backend it finds invalid, a
 * full table, a pod whose netns is gone) is logged, left out and the rest
 * applied: one bad object must not hold back every other.  What was left
 * out goes to @g.
 */
static int kp_apply(struct kp_reconciler *r, struct kp_change *c, struct kp_gone *g)
{
	double start = kp_now();
	struct kp_refused *ref;
	int err;

	memset(g, 0, sizeof(*g));
	r->write_ms = 0;
	for (;;) {
		char name[192];

		if (!(g->n & (g->n + 1))) {	/* 0, 1, 3, 7...: room for twice as many */
			ref = realloc(g->r, (2 * g->n + 2) * sizeof(*g->r));
			if (!ref) {
				err = -ENOMEM;
				break;
			}
			g->r = ref;
		}
		ref = &g->r[g->n];
		err = kp_sync_apply(r->h, c, ref);
		if (!err || (!ref->svc && !ref->ep && !ref->settings) || g->n == KP_REFUSALS_MAX)
			break;
		kp_refused_name(ref, name, sizeof(name));
		kp_log(KP_WARN, "%s refused: %s: %s; left out", name, strerror(-err), ref->why);
		kp_leave_out(c, ref);
		g->n++;
		pthread_mutex_lock(&r->m->lock);
		r->m->refused++;
		pthread_mutex_unlock(&r->m->lock);
	}
	r->write_ms = (kp_now() - start) * 1000;
	if (err && g->r && g->r[g->n].partly)
		r->applied.stale = true;	/* the next sync diffs against a dump */
	return err;
}

/*
 * Logs and counts (as skipped objects) what of the policies @want leaves
 * out that @had did not: each once, not at every sync.
 */
static void kp_log_refused(struct kp_reconciler *r, const struct kp_pol_want *want,
			   const struct kp_pol_want *had)
{
	unsigned int i, j;

	for (i = 0; i < want->n_refused; i++) {
		for (j = 0; j < had->n_refused && strcmp(had->refused[j], want->refused[i]); j++)
			;
		if (j < had->n_refused)
			continue;
		kp_log(KP_WARN, "%s", want->refused[i]);
		pthread_mutex_lock(&r->m->lock);
		r->m->skipped++;
		pthread_mutex_unlock(&r->m->lock);
	}
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

static unsigned int kp_pol_writes(const struct kp_change *c)
{
	return c->pol.n_set_new + c->pol.n_set_upd + c->pol.n_set_del + c->pol.n_pol_set +
	       c->pol.n_pol_del;
}

static unsigned int kp_writes(const struct kp_change *c)
{
	return c->svc.n_set + c->svc.n_del + c->ep.n_add + c->ep.n_del + c->ep.n_pol +
	       kp_pol_writes(c) + !!c->settings;
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

/* What a whole diff is taken against: the last applied state, or a kernel dump. */
static int kp_have(struct kp_reconciler *r, bool full, struct kp_desired *have)
{
	int err;

	if (!full)
		return kp_model_flat(&r->applied, have);
	err = kp_kernel_desired(r->h, have);
	if (err)
		kp_log(KP_ERR, "cannot dump the kernel's state: %s: %s", strerror(-err),
		       kpl_error(r->h));
	return err;
}

static void kp_log_sync(struct kp_reconciler *r, const char *how, const struct kp_change *c,
			bool drift, double start, int err)
{
	if (err) {
		kp_log(KP_ERR, "%s sync failed: %s: %s", how, strerror(-err), kpl_error(r->h));
		return;
	}
	uint64_t evals = r->polidx.lx.evaluations - r->evaluations_seen;

	r->evaluations_seen = r->polidx.lx.evaluations;
	kp_log(kp_writes(c) ? KP_INFO : KP_DEBUG,
	       "%s sync: %u services (frontends) and %u endpoints: %u set, %u deleted; "
	       "%u endpoints added, %u deleted, %u repoliced; %u sets, %u policies changed, "
	       "%" PRIu64 " selectors evaluated%s%s; %.1f ms (%.1f writing)%s", how,
	       r->applied.n_fes, r->applied.eps.n, c->svc.n_set, c->svc.n_del, c->ep.n_add,
	       c->ep.n_del, c->ep.n_pol, c->pol.n_set_new + c->pol.n_set_upd + c->pol.n_set_del,
	       c->pol.n_pol_set + c->pol.n_pol_del, evals, c->settings ? "; node settings set" : "",
	       drift && kp_writes(c) ? " (repaired drift)" : "",
	       (kp_now() - start) * 1000, r->write_ms, kp_since_change(r->m));
}

static uint64_t kp_pod_changes(const struct kp_store *s)
{
	return s->wep_changes + s->cfg_changes + s->pol_changes;
}

/*
 * Everything the store makes, against the kernel (@full) or the last
 * applied state; the model is then rebuilt from it, and the index of
 * changed names starts afresh.
 */
static int kp_sync_whole(struct kp_reconciler *r, struct kp_store *s, bool full, bool drift)
{
	struct kp_desired want, have = { 0 };
	struct kp_change c = { 0 };
	struct kp_gone g = { 0 };
	double start = kp_now();
	unsigned int orphans;
	int err;

	err = kp_store_desired_idx(s, &r->node, &want, &r->polidx);
	kp_store_items_settle(s);	/* the index has seen them, or starts anew */
	if (err) {	/* half brought along: the next sync starts it anew */
		kp_polidx_free(&r->polidx);
		kp_polidx_init(&r->polidx);
	}
	orphans = want.orphans;
	if (!err)
		kp_log_refused(r, &want.pol, &r->applied.pol);
	if (!err)
		err = kp_have(r, full, &have);
	if (!err)
		err = kp_desired_diff(&want, &have, &c);
	if (!err)
		err = kp_apply(r, &c, &g);
	if (!err) {
		r->pods_seen = kp_pod_changes(s);
		kp_forget(r, &g, &want.svcs, 1, &want.eps);
		kp_model_free(&r->applied);
		kp_model_build(&r->applied, &want);
		r->have_applied = true;
		kp_settle(s, &g);
	}
	kp_log_sync(r, full ? "full" : "partial", &c, drift, start, err);
	kp_account(r, full, drift, orphans, &c, start, err);
	free(g.r);
	free(g.again);
	kp_change_free(&c);
	if (full)
		kp_desired_free(&have);
	else
		kp_model_flat_free(&have);
	kp_desired_free(&want);
	return err;
}

/* The endpoints and settings the store makes (its pods or NodeConfigs changed). */
static int kp_pods_want(struct kp_reconciler *r, struct kp_store *s, struct kp_desired *want,
			struct kp_change *c)
{
	struct kp_k8s_view v;
	bool seen = false;
	int err;

	err = kp_store_view_pods(s, &v);
	if (err)
		return err;
	err = kp_k8s_want_eps(&v, &r->node, &want->eps);
	if (!err) {
		err = kp_k8s_want_policy(&v, &r->node, &want->pol, &want->eps, &r->polidx);
		seen = true;
		if (err) {	/* half brought along: the next sync starts it anew */
			kp_polidx_free(&r->polidx);
			kp_polidx_init(&r->polidx);
		}
	}
	kp_k8s_want_settings(&v, &r->node, &want->settings);
	kp_k8s_view_free(&v);
	if (seen)	/* the index has seen what left, or starts anew */
		kp_store_items_settle(s);
	if (!err)
		err = kp_ep_diff(&want->eps, &r->applied.eps, &c->ep);
	if (!err) {
		kp_log_refused(r, &want->pol, &r->applied.pol);
		err = kp_pol_diff(&want->pol, &r->applied.pol, &c->pol);
	}
	if (!err && !kp_settings_same(&want->settings, &r->applied.settings))
		c->settings = &want->settings;
	return err;
}

/* kp_sync_names() could not judge the change name by name (no errno is positive). */
#define KP_JUDGE_WHOLE 1

/*
 * Only the service names changed since the last sync, and the pods if they
 * changed: what one EndpointSlice costs at 100k services.
 */
static int kp_sync_names(struct kp_reconciler *r, struct kp_store *s)
{
	struct kp_desired pods = { 0 };
	struct kp_names_change nc;
	struct kp_change c = { 0 };
	struct kp_gone g = { 0 };
	bool pods_changed = kp_pod_changes(s) != r->pods_seen;
	double start = kp_now();
	int err;

	err = kp_model_names_diff(&r->applied, s, &r->node, &nc, &c.svc);
	if (err == -EAGAIN)
		return KP_JUDGE_WHOLE;
	if (!err && pods_changed)
		err = kp_pods_want(r, s, &pods, &c);
	if (!err)
		err = kp_apply(r, &c, &g);
	if (!err) {
		r->applied.orphans = s->orphans;
		if (pods_changed)
			r->pods_seen = kp_pod_changes(s);
		kp_forget(r, &g, nc.want, nc.n, &pods.eps);
		kp_model_names_apply(&r->applied, &nc);
		kp_settle(s, &g);
		if (pods_changed) {
			kp_ep_set_free(&r->applied.eps);
			r->applied.eps = pods.eps;
			memset(&pods.eps, 0, sizeof(pods.eps));
			kp_pol_want_free(&r->applied.pol);
			r->applied.pol = pods.pol;
			memset(&pods.pol, 0, sizeof(pods.pol));
			r->applied.settings = pods.settings;
		}
	}
	kp_log_sync(r, "partial", &c, false, start, err);
	kp_account(r, false, false, s->orphans, &c, start, err);
	free(g.r);
	free(g.again);
	kp_change_free(&c);
	kp_names_change_free(&nc);
	kp_ep_set_free(&pods.eps);
	kp_pol_want_free(&pods.pol);
	return err;
}

int kp_reconcile(struct kp_reconciler *r, struct kp_store *s, bool full, bool drift)
{
	/* What was kept without memory may not be the kernel's: ask the kernel. */
	full |= !r->have_applied || r->applied.stale;
	if (!full) {
		int err = kp_sync_names(r, s);

		if (err != KP_JUDGE_WHOLE)
			return err;
	}
	return kp_sync_whole(r, s, full, drift);
}

void kp_reconciler_free(struct kp_reconciler *r)
{
	kp_model_free(&r->applied);
	kp_polidx_free(&r->polidx);
}
