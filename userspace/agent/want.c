// SPDX-License-Identifier: GPL-2.0
/* What a node's objects make, and what changes it: see agent.h. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "agent.h"

/* Slices ordered by the service they belong to (namespace, then name). */
static int kp_slice_owner_cmp(const void *pa, const void *pb)
{
	const struct kp_k8s_slice *a = *(const struct kp_k8s_slice *const *)pa;
	const struct kp_k8s_slice *b = *(const struct kp_k8s_slice *const *)pb;
	int c = strcmp(a->ns, b->ns);

	return c ? c : strcmp(a->service, b->service);
}

/* The first of @slices (sorted) that belongs to @svc, or @n. */
static unsigned int kp_slices_of(const struct kp_k8s_service *svc,
				 const struct kp_k8s_slice *const *slices, unsigned int n)
{
	unsigned int lo = 0, hi = n;

	while (lo < hi) {
		unsigned int mid = lo + (hi - lo) / 2;
		int c = strcmp(slices[mid]->ns, svc->ns);

		if (!c)
			c = strcmp(slices[mid]->service, svc->name);
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static bool kp_slice_of(const struct kp_k8s_slice *sl, const struct kp_k8s_service *svc)
{
	return !strcmp(sl->ns, svc->ns) && !strcmp(sl->service, svc->name);
}

/* kp_k8s_frontends' emit into a set: a copy of the frontend, its backends, its service. */
struct kp_want_to {
	struct kp_svc_set *set;
	const struct kp_k8s_service *svc;
};

static int kp_want_add(const struct kpl_service *fe, void *arg)
{
	struct kp_want_to *to = arg;
	struct kp_svc_set *set = to->set;
	struct kpl_service *svc;

	if (set->n == set->cap) {
		unsigned int cap = set->cap ? set->cap * 2 : 4;
		struct kpl_service *p = realloc(set->svcs, cap * sizeof(*p));
		const struct kp_k8s_service **from;

		if (!p)
			return -ENOMEM;
		set->svcs = p;
		from = realloc(set->from, cap * sizeof(*from));
		if (!from)
			return -ENOMEM;
		set->from = from;
		set->cap = cap;
	}
	svc = &set->svcs[set->n];
	*svc = *fe;
	svc->backends = NULL;
	if (fe->n_backends) {
		svc->backends = malloc(fe->n_backends * sizeof(*svc->backends));
		if (!svc->backends)
			return -ENOMEM;
		memcpy(svc->backends, fe->backends, fe->n_backends * sizeof(*svc->backends));
	}
	set->from[set->n++] = to->svc;
	return 0;
}

static bool kp_same_name(const struct kp_k8s_service *a, const struct kp_k8s_service *b)
{
	return !strcmp(a->ns, b->ns) && !strcmp(a->name, b->name);
}

/* Whether @v's i-th service is the first of its name (sorted: a later one is a duplicate). */
static bool kp_view_first(const struct kp_k8s_view *v, unsigned int i)
{
	return !i || !kp_same_name(v->svcs[i - 1], v->svcs[i]);
}

int kp_k8s_want(const struct kp_k8s_view *v, const struct kp_k8s_node *node,
		struct kp_svc_set *out, unsigned int *orphans)
{
	const struct kp_k8s_slice **slices;
	unsigned int i, used = 0;
	int err = 0;

	memset(out, 0, sizeof(*out));
	*orphans = 0;
	slices = malloc((v->n_slices ? v->n_slices : 1) * sizeof(*slices));
	if (!slices)
		return -ENOMEM;
	memcpy(slices, v->slices, v->n_slices * sizeof(*slices));
	qsort(slices, v->n_slices, sizeof(*slices), kp_slice_owner_cmp);
	for (i = 0; !err && i < v->n_svcs; i++) {
		const struct kp_k8s_service *svc = v->svcs[i];
		unsigned int first = kp_slices_of(svc, slices, v->n_slices), n = 0;
		struct kp_want_to to = { out, svc };

		/* A name under two keys: the first key's Service stands alone. */
		if (!kp_view_first(v, i))
			continue;
		while (first + n < v->n_slices && kp_slice_of(slices[first + n], svc))
			n++;
		used += n;
		err = kp_k8s_frontends(svc, slices + first, n, node, kp_want_add, &to);
	}
	free(slices);
	if (err) {
		kp_svc_set_free(out);
		return err;
	}
	*orphans = v->n_slices - used;
	return 0;
}

int kp_k8s_name_want(const struct kp_store_name *nm, const struct kp_k8s_node *node,
		     struct kp_svc_set *out)
{
	struct kp_want_to to = { out, nm->n_svcs ? nm->svcs[0].svc : NULL };
	int err;

	memset(out, 0, sizeof(*out));
	if (!to.svc)
		return 0;
	err = kp_k8s_frontends(to.svc, nm->slices, nm->n_slices, node, kp_want_add, &to);
	if (err)
		kp_svc_set_free(out);
	return err;
}

const struct kp_k8s_service *kp_svc_set_forget(struct kp_svc_set *set,
					       const struct kpl_service *fe)
{
	const struct kp_k8s_service *from;
	unsigned int i, n = set->n;

	if (fe < set->svcs || fe >= set->svcs + set->n)
		return NULL;
	i = fe - set->svcs;
	from = set->from ? set->from[i] : NULL;
	free(set->svcs[i].backends);
	kp_drop(set->svcs, &set->n, sizeof(*set->svcs), i);
	if (set->from)
		kp_drop(set->from, &n, sizeof(*set->from), i);
	return from;
}

void kp_svc_set_free(struct kp_svc_set *set)
{
	unsigned int i;

	for (i = 0; i < set->n; i++)
		free(set->svcs[i].backends);
	free(set->svcs);
	free(set->from);
	memset(set, 0, sizeof(*set));
}

int kp_store_desired(const struct kp_store *s, const struct kp_k8s_node *node,
		     struct kp_desired *out)
{
	return kp_store_desired_idx(s, node, out, NULL);
}

int kp_store_desired_idx(const struct kp_store *s, const struct kp_k8s_node *node,
			 struct kp_desired *out, struct kp_polidx *idx)
{
	struct kp_k8s_view v;
	int err = kp_store_view(s, &v);

	memset(out, 0, sizeof(*out));
	if (err)
		return err;
	err = kp_k8s_want(&v, node, &out->svcs, &out->orphans);
	if (!err)
		err = kp_k8s_want_eps(&v, node, &out->eps);
	if (!err)
		err = kp_k8s_want_policy(&v, node, &out->pol, &out->eps, idx);
	if (!err)
		err = kp_k8s_want_health(&v, &out->svcs, &out->health);
	kp_k8s_want_settings(&v, node, &out->settings);
	kp_k8s_view_free(&v);
	if (err)
		kp_desired_free(out);
	return err;
}

void kp_desired_free(struct kp_desired *d)
{
	kp_svc_set_free(&d->svcs);
	kp_ep_set_free(&d->eps);
	kp_pol_want_free(&d->pol);
	free(d->health.hp);
	memset(&d->health, 0, sizeof(d->health));
}

int kp_desired_diff(const struct kp_desired *want, const struct kp_desired *have,
		    struct kp_change *c)
{
	int err = kp_svc_diff(want->svcs.svcs, want->svcs.n, have->svcs.svcs, have->svcs.n,
			      &c->svc);

	memset(&c->ep, 0, sizeof(c->ep));
	memset(&c->pol, 0, sizeof(c->pol));
	c->settings = kp_settings_same(&want->settings, &have->settings) ? NULL : &want->settings;
	if (!err)
		err = kp_ep_diff(&want->eps, &have->eps, &c->ep);
	if (!err)
		err = kp_pol_diff(&want->pol, &have->pol, &c->pol);
	if (err)
		kp_change_free(c);
	return err;
}

void kp_change_free(struct kp_change *c)
{
	kp_svc_diff_free(&c->svc);
	kp_ep_diff_free(&c->ep);
	kp_pol_diff_free(&c->pol);
}

/* @from's fields named in from->has, over @to. */
static void kp_settings_over(struct kpl_node_settings *to, const struct kpl_node_settings *from)
{
	if (from->has & KPL_SET_MAX_ENDPOINTS)
		to->max_endpoints = from->max_endpoints;
	if (from->has & KPL_SET_MAX_SERVICES)
		to->max_services = from->max_services;
	if (from->has & KPL_SET_MAX_FLOWS)
		to->max_flows = from->max_flows;
	if (from->has & KPL_SET_POLICY_REJECT)
		to->policy_reject = from->policy_reject;
	if (from->has & KPL_SET_BYPASS_CONNTRACK)
		to->bypass_conntrack = from->bypass_conntrack;
	if (from->has & KPL_SET_FAST_FORWARD)
		to->fast_forward = from->fast_forward;
	if (from->has & KPL_SET_FAILSAFE_IN)
		memcpy(to->failsafe_in, from->failsafe_in, sizeof(to->failsafe_in));
	if (from->has & KPL_SET_FAILSAFE_OUT)
		memcpy(to->failsafe_out, from->failsafe_out, sizeof(to->failsafe_out));
}

void kp_k8s_want_settings(const struct kp_k8s_view *v, const struct kp_k8s_node *node,
			  struct kpl_node_settings *out)
{
	char mine[KP_K8S_NAME_MAX + 8];
	unsigned int i;

	memset(out, 0, sizeof(*out));
	out->has = KPL_SET_ALL;
	strcpy(out->failsafe_in, "default");
	strcpy(out->failsafe_out, "default");
	snprintf(mine, sizeof(mine), "node.%s", node->name ? node->name : "");
	/* The first of each name stands, as for any object under two keys. */
	for (i = 0; i < v->n_cfgs; i++)
		if (!strcmp(v->cfgs[i]->name, "default")) {
			kp_settings_over(out, &v->cfgs[i]->set);
			break;
		}
	for (i = 0; i < v->n_cfgs; i++)
		if (!strcmp(v->cfgs[i]->name, mine)) {
			kp_settings_over(out, &v->cfgs[i]->set);
			break;
		}
}

bool kp_settings_same(const struct kpl_node_settings *a, const struct kpl_node_settings *b)
{
	return a->max_endpoints == b->max_endpoints && a->max_services == b->max_services &&
	       a->max_flows == b->max_flows && a->policy_reject == b->policy_reject &&
	       a->bypass_conntrack == b->bypass_conntrack && a->fast_forward == b->fast_forward &&
	       !strcmp(a->failsafe_in, b->failsafe_in) && !strcmp(a->failsafe_out, b->failsafe_out);
}

/* The most local ready backends any of @svc's frontends in @set has. */
static unsigned int kp_local_ready(const struct kp_k8s_service *svc, const struct kp_svc_set *set)
{
	unsigned int i, j, most = 0;

	for (i = 0; i < set->n; i++) {
		const struct kpl_service *fe = &set->svcs[i];
		unsigned int local = 0;

		if (set->from[i] != svc)
			continue;
		for (j = 0; j < fe->n_backends; j++)
			local += fe->backends[j].local && fe->backends[j].state == KPLANE_BE_ACTIVE;
		most = local > most ? local : most;
	}
	return most;
}

bool kp_k8s_health(const struct kp_k8s_service *svc, const struct kp_svc_set *fes,
		   struct kp_health_port *hp)
{
	if (!svc->health_port || svc->ext_policy != KPLANE_POLICY_LOCAL ||
	    svc->type == KPLANE_SVC_CLUSTER_IP)
		return false;
	hp->port = svc->health_port;
	hp->local = kp_local_ready(svc, fes);
	snprintf(hp->ns, sizeof(hp->ns), "%s", svc->ns);
	snprintf(hp->name, sizeof(hp->name), "%s", svc->name);
	return true;
}

int kp_health_ports_add(struct kp_health_ports *ports, const struct kp_health_port *hp)
{
	struct kp_health_port *p = realloc(ports->hp, (ports->n + 1) * sizeof(*p));

	if (!p)
		return -ENOMEM;
	ports->hp = p;
	ports->hp[ports->n++] = *hp;
	return 0;
}

int kp_k8s_want_health(const struct kp_k8s_view *v, const struct kp_svc_set *svcs,
		       struct kp_health_ports *out)
{
	struct kp_health_port hp;
	unsigned int i;

	memset(out, 0, sizeof(*out));
	for (i = 0; i < v->n_svcs; i++) {
		if (!kp_view_first(v, i) || !kp_k8s_health(v->svcs[i], svcs, &hp))
			continue;
		if (kp_health_ports_add(out, &hp)) {
			free(out->hp);
			memset(out, 0, sizeof(*out));
			return -ENOMEM;
		}
	}
	return 0;
}
