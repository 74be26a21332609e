// SPDX-License-Identifier: GPL-2.0
/* What the last sync applied, by service name: see agent.h. */
#include <errno.h>
#include <search.h>
#include <stdlib.h>
#include <string.h>
#include "agent.h"

/* One service name's frontends, as applied. */
struct kp_model_svc {
	struct kp_name key;		/* first */
	struct kp_svc_set fes;		/* from[]: NULL (the store's objects come and go) */
};

static int kp_mfe_cmp(const void *a, const void *b)
{
	return kp_fe_cmp(a, b);
}

static struct kp_model_svc *kp_msvc_find(const struct kp_model *m, const char *ns,
					  const char *name)
{
	struct kp_name probe = { ns, name };
	struct kp_model_svc **slot = tfind(&probe, &m->svcs, kp_name_cmp);

	return slot ? *slot : NULL;
}

static bool kp_set_has(const struct kp_svc_set *set, const struct kpl_service *fe)
{
	return set && fe >= set->svcs && fe < set->svcs + set->n;
}

/* Indexes @ms's frontends; one that another name has already stays that name's. */
static void kp_msvc_index(struct kp_model *m, struct kp_model_svc *ms)
{
	unsigned int i;

	for (i = 0; i < ms->fes.n; i++) {
		const struct kpl_service **slot = tsearch(&ms->fes.svcs[i], &m->fes, kp_mfe_cmp);

		if (!slot)
			m->stale = true;
		else if (*slot == &ms->fes.svcs[i])
			m->n_fes++;
		else if (!kp_set_has(&ms->fes, *slot))
			m->recompute = true;	/* two names want it */
	}
}

static void kp_msvc_unindex(struct kp_model *m, struct kp_model_svc *ms)
{
	unsigned int i;

	for (i = 0; i < ms->fes.n; i++) {
		const struct kpl_service **slot = tfind(&ms->fes.svcs[i], &m->fes, kp_mfe_cmp);

		if (slot && *slot == &ms->fes.svcs[i]) {
			tdelete(&ms->fes.svcs[i], &m->fes, kp_mfe_cmp);
			m->n_fes--;
		}
	}
}

/* Puts @n frontends of @fes (taken over) in @m under @ns/@name. */
static void kp_model_put(struct kp_model *m, const char *ns, const char *name,
			 struct kpl_service *fes, unsigned int n)
{
	struct kp_model_svc *ms = kp_named_new(sizeof(*ms), ns, name), **slot = NULL;
	unsigned int i;

	if (ms) {
		ms->fes = (struct kp_svc_set){ .svcs = fes, .n = n, .cap = n };
		slot = tsearch(ms, &m->svcs, kp_name_cmp);
		if (slot && *slot == ms) {
			kp_msvc_index(m, ms);
			return;
		}
		free(ms);
	}
	/* No memory (or a name twice, which kp_k8s_want() never makes). */
	m->stale = true;
	for (i = 0; i < n; i++)
		free(fes[i].backends);
	free(fes);
}

static void kp_msvc_free(void *p)
{
	struct kp_model_svc *ms = p;

	kp_svc_set_free(&ms->fes);
	free(ms);
}

void kp_model_build(struct kp_model *m, struct kp_desired *want)
{
	struct kp_svc_set *set = &want->svcs;
	unsigned int i, j;

	memset(m, 0, sizeof(*m));
	/* kp_k8s_want() emits a service's frontends together, once per name. */
	for (i = 0; i < set->n; i = j) {
		const struct kp_k8s_service *svc = set->from[i];
		struct kpl_service *fes;

		for (j = i + 1; j < set->n && set->from[j] == svc; j++)
			;
		fes = malloc((j - i) * sizeof(*fes));
		if (!fes) {
			m->stale = true;
			while (i < j)
				free(set->svcs[i++].backends);
			continue;
		}
		memcpy(fes, &set->svcs[i], (j - i) * sizeof(*fes));
		kp_model_put(m, svc->ns, svc->name, fes, j - i);
	}
	free(set->svcs);
	free(set->from);
	m->eps = want->eps;
	m->pol = want->pol;
	m->settings = want->settings;
	m->health = want->health;
	m->orphans = want->orphans;
	memset(want, 0, sizeof(*want));
}

struct kp_flat_walk {
	struct kpl_service *svcs;
	unsigned int n;
};

static void kp_flat_visit(const void *node, VISIT which, void *arg)
{
	const struct kpl_service *fe = *(const struct kpl_service *const *)node;
	struct kp_flat_walk *w = arg;

	if (which == postorder || which == leaf)
		w->svcs[w->n++] = *fe;
}

int kp_model_flat(const struct kp_model *m, struct kp_desired *flat)
{
	struct kp_flat_walk w = { .n = 0 };

	memset(flat, 0, sizeof(*flat));
	w.svcs = malloc((m->n_fes ? m->n_fes : 1) * sizeof(*w.svcs));
	if (!w.svcs)
		return -ENOMEM;
	twalk_r(m->fes, kp_flat_visit, &w);
	flat->svcs = (struct kp_svc_set){ .svcs = w.svcs, .n = w.n, .cap = w.n };
	flat->eps = m->eps;
	flat->pol = m->pol;
	flat->settings = m->settings;
	flat->orphans = m->orphans;
	return 0;
}

void kp_model_flat_free(struct kp_desired *flat)
{
	free(flat->svcs.svcs);	/* the backends and the rest are the model's */
	memset(flat, 0, sizeof(*flat));
}

static void kp_noop(void *p)
{
	(void)p;
}

void kp_model_free(struct kp_model *m)
{
	tdestroy(m->fes, kp_noop);
	tdestroy(m->svcs, kp_msvc_free);
	kp_ep_set_free(&m->eps);
	kp_pol_want_free(&m->pol);
	free(m->health.hp);
	memset(m, 0, sizeof(*m));
}

/* Appends @add's arrays to @d's (@caps: their room, doubled as needed). */
static int kp_svc_diff_append(struct kp_svc_diff *d, unsigned int caps[2],
			      const struct kp_svc_diff *add)
{
	unsigned int n_set = add->n_set, n_del = add->n_del;

	return kp_append((void **)&d->set, &d->n_set, &caps[0], add->set, &n_set,
			 sizeof(*d->set)) &&
	       kp_append((void **)&d->del, &d->n_del, &caps[1], add->del, &n_del,
			 sizeof(*d->del)) ? 0 : -ENOMEM;
}

/*
 * Whether each frontend @want wants is free for it: not another name's in
 * @m, nor wanted by another dirty name (@claims, a tree of those so far).
 */
static int kp_claim(const struct kp_model *m, const struct kp_svc_set *have,
		    const struct kp_svc_set *want, void **claims)
{
	unsigned int i;

	for (i = 0; i < want->n; i++) {
		const struct kpl_service *fe = &want->svcs[i], **slot;

		slot = tfind(fe, &m->fes, kp_mfe_cmp);
		if (slot && !kp_set_has(have, *slot))
			return -EAGAIN;
		slot = tsearch(fe, claims, kp_mfe_cmp);
		if (!slot)
			return -ENOMEM;
		if (!kp_set_has(want, *slot))
			return -EAGAIN;
	}
	return 0;
}

/* One dirty name: what it wants (nc->want[i]) and its share of @d. */
static int kp_name_diff(const struct kp_model *m, const struct kp_k8s_node *node,
			struct kp_names_change *nc, unsigned int i, void **claims,
			struct kp_svc_diff *d, unsigned int caps[2])
{
	const struct kp_store_name *nm = nc->names[i];
	struct kp_model_svc *ms = kp_msvc_find(m, nm->key.ns, nm->key.name);
	const struct kp_svc_set *have = ms ? &ms->fes : NULL;
	struct kp_svc_diff one;
	int err;

	err = kp_k8s_name_want(nm, node, &nc->want[i]);
	if (!err)
		err = kp_claim(m, have, &nc->want[i], claims);
	if (!err)
		err = kp_svc_diff(nc->want[i].svcs, nc->want[i].n, have ? have->svcs : NULL,
				  have ? have->n : 0, &one);
	if (!err) {
		err = kp_svc_diff_append(d, caps, &one);
		kp_svc_diff_free(&one);
	}
	return err;
}

int kp_model_names_diff(const struct kp_model *m, const struct kp_store *s,
			const struct kp_k8s_node *node, struct kp_names_change *nc,
			struct kp_svc_diff *d)
{
	unsigned int i, caps[2] = { 0, 0 };
	void *claims = NULL;
	int err = 0;

	memset(nc, 0, sizeof(*nc));
	memset(d, 0, sizeof(*d));
	if (m->recompute || m->stale || s->names_lost)
		return -EAGAIN;
	nc->names = malloc((s->n_dirty ? s->n_dirty : 1) * sizeof(*nc->names));
	nc->want = calloc(s->n_dirty ? s->n_dirty : 1, sizeof(*nc->want));
	if (!nc->names || !nc->want)
		err = -ENOMEM;
	for (i = 0; !err && i < s->n_dirty; i++) {
		nc->names[i] = s->dirty[i];
		nc->n++;
		err = kp_name_diff(m, node, nc, i, &claims, d, caps);
	}
	tdestroy(claims, kp_noop);
	if (err) {
		kp_names_change_free(nc);
		kp_svc_diff_free(d);
	}
	return err;
}

/*
 * Replaces @nm's health check port in @m by what @want makes of it, the
 * ports kept in name order as kp_k8s_want_health() makes them.
 */
static void kp_name_health(struct kp_model *m, const struct kp_store_name *nm,
			   const struct kp_svc_set *want)
{
	struct kp_health_ports *hs = &m->health;
	struct kp_health_port hp;
	unsigned int i;
	int c = 1;

	for (i = 0; i < hs->n; i++) {
		c = kp_name_cmp(&(struct kp_name){ hs->hp[i].ns, hs->hp[i].name }, &nm->key);
		if (c >= 0)
			break;
	}
	if (!c)
		memmove(&hs->hp[i], &hs->hp[i + 1], (--hs->n - i) * sizeof(*hs->hp));
	if (!nm->n_svcs || !kp_k8s_health(nm->svcs[0].svc, want, &hp))
		return;
	if (kp_health_ports_add(hs, &hp)) {
		m->stale = true;
		return;
	}
	memmove(&hs->hp[i + 1], &hs->hp[i], (hs->n - 1 - i) * sizeof(*hs->hp));
	hs->hp[i] = hp;
}

void kp_model_names_apply(struct kp_model *m, struct kp_names_change *nc)
{
	unsigned int i;

	for (i = 0; i < nc->n; i++) {
		const struct kp_store_name *nm = nc->names[i];
		struct kp_model_svc *ms = kp_msvc_find(m, nm->key.ns, nm->key.name);
		struct kp_svc_set *want = &nc->want[i];

		kp_name_health(m, nm, want);
		if (ms) {
			kp_msvc_unindex(m, ms);
			tdelete(&ms->key, &m->svcs, kp_name_cmp);
			kp_msvc_free(ms);
		}
		free(want->from);
		if (want->n)
			kp_model_put(m, nm->key.ns, nm->key.name, want->svcs, want->n);
		else
			free(want->svcs);
		memset(want, 0, sizeof(*want));
	}
}

void kp_names_change_free(struct kp_names_change *nc)
{
	unsigned int i;

	for (i = 0; nc->want && i < nc->n; i++)
		kp_svc_set_free(&nc->want[i]);
	free(nc->want);
	free(nc->names);
	memset(nc, 0, sizeof(*nc));
}
