// SPDX-License-Identifier: GPL-2.0
/* The workload endpoints a node's WorkloadEndpoints make, and their diff: see agent.h. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "agent.h"

int kp_id_fit(char id[KPLANE_ID_MAX], const char *prefix, const char *ns, const char *name)
{
	char full[2 * KP_K8S_NAME_MAX + 16];
	uint32_t h = 2166136261u;	/* FNV-1a */
	size_t i, n;

	n = (size_t)snprintf(full, sizeof(full), "%s%s%s%s", prefix, ns, ns[0] ? "/" : "", name);
	if (n < KPLANE_ID_MAX) {
		memcpy(id, full, n + 1);
		return 0;
	}
	for (i = 0; i < n && i < sizeof(full) - 1; i++)
		h = (h ^ (uint8_t)full[i]) * 16777619u;
	snprintf(id, KPLANE_ID_MAX, "%.54s.%08x", full, h);	/* '.': a character ids may hold */
	return 0;
}

/* Attachments in the kernel's order of a direction's tier, policies by id within it. */
void kp_ep_attach_sort(struct kpl_endpoint *ep)
{
	unsigned int i, j;

	for (i = 1; i < ep->n_attach; i++) {	/* insertion: stable, and tiers stay in order */
		struct kpl_ep_attach a = ep->attach[i];

		for (j = i; j && ep->attach[j - 1].dir == a.dir &&
			    !strcmp(ep->attach[j - 1].tier, a.tier) &&
			    strcmp(ep->attach[j - 1].policy, a.policy) > 0; j--)
			ep->attach[j] = ep->attach[j - 1];
		ep->attach[j] = a;
	}
}

static int kp_ep_set_add(struct kp_ep_set *set, const struct kp_want_ep *ep)
{
	if (set->n == set->cap) {
		unsigned int cap = set->cap ? set->cap * 2 : 16;
		struct kp_want_ep *p = realloc(set->eps, cap * sizeof(*p));

		if (!p)
			return -ENOMEM;
		set->eps = p;
		set->cap = cap;
	}
	set->eps[set->n++] = *ep;
	return 0;
}

int kp_k8s_want_eps(const struct kp_k8s_view *v, const struct kp_k8s_node *node,
		    struct kp_ep_set *out)
{
	unsigned int i;
	int err = 0;

	memset(out, 0, sizeof(*out));
	for (i = 0; !err && i < v->n_weps; i++) {
		const struct kp_k8s_wep *w = v->weps[i];
		struct kp_want_ep ep = { .ep = { .netns_fd = -1 } };

		if (!node->name || strcmp(w->node, node->name))
			continue;	/* another node's pod */
		kp_id_fit(ep.ep.id, "", w->ns, w->pod);
		snprintf(ep.ep.ifname, sizeof(ep.ep.ifname), "%s", w->ifname);
		ep.ep.n_addrs = w->n_addrs;
		memcpy(ep.ep.addrs, w->addrs, w->n_addrs * sizeof(*w->addrs));
		snprintf(ep.netns, sizeof(ep.netns), "%s", w->netns);
		err = kp_ep_set_add(out, &ep);
	}
	for (i = 0; !err && i < v->n_heps; i++) {
		const struct kp_cal_hep *h = v->heps[i];
		struct kp_want_ep ep = { .ep = { .netns_fd = -1, .host = true } };

		if (!node->name || strcmp(h->node, node->name))
			continue;
		kp_id_fit(ep.ep.id, "hep:", "", h->name);
		snprintf(ep.ep.ifname, sizeof(ep.ep.ifname), "%s", h->ifname);
		ep.ep.n_addrs = h->n_ips;
		memcpy(ep.ep.addrs, h->ips, h->n_ips * sizeof(*h->ips));
		err = kp_ep_set_add(out, &ep);
	}
	if (err)
		kp_ep_set_free(out);
	return err;
}

int kp_ep_set_from(const struct kpl_endpoint *eps, size_t n, struct kp_ep_set *out)
{
	size_t i;
	int err = 0;

	memset(out, 0, sizeof(*out));
	for (i = 0; !err && i < n; i++) {
		struct kp_want_ep ep = { .ep = eps[i] };

		if (eps[i].host && strncmp(eps[i].id, "hep:", 4))
			continue;	/* an operator's host endpoint, not kplaned's */
		ep.ep.attach = NULL;
		if (ep.ep.n_attach) {
			ep.ep.attach = malloc(ep.ep.n_attach * sizeof(*ep.ep.attach));
			if (!ep.ep.attach) {
				err = -ENOMEM;
				break;
			}
			memcpy(ep.ep.attach, eps[i].attach, ep.ep.n_attach * sizeof(*ep.ep.attach));
			kp_ep_attach_sort(&ep.ep);
		}
		ep.ep.has_policy = ep.ep.n_attach > 0;
		err = kp_ep_set_add(out, &ep);
		if (err)
			free(ep.ep.attach);
	}
	if (err)
		kp_ep_set_free(out);
	return err;
}

void kp_ep_set_forget(struct kp_ep_set *set, const struct kp_want_ep *ep)
{
	if (ep >= set->eps && ep < set->eps + set->n) {
		free(ep->ep.attach);
		kp_drop(set->eps, &set->n, sizeof(*set->eps), ep - set->eps);
	}
}

void kp_ep_set_free(struct kp_ep_set *set)
{
	unsigned int i;

	for (i = 0; i < set->n; i++)
		free(set->eps[i].ep.attach);
	free(set->eps);
	memset(set, 0, sizeof(*set));
}

static int kp_ip_cmp(const void *a, const void *b)
{
	return memcmp(a, b, sizeof(struct kpl_ip));
}

/* Same interface and addresses (as sets): what the kernel keeps of a pod. */
static bool kp_ep_same(const struct kp_want_ep *a, const struct kp_want_ep *b)
{
	struct kpl_ip x[KPLANE_EP_ADDR_MAX], y[KPLANE_EP_ADDR_MAX];
	unsigned int n = a->ep.n_addrs;

	if (strcmp(a->ep.ifname, b->ep.ifname) || a->ep.host != b->ep.host || n != b->ep.n_addrs ||
	    n > KPLANE_EP_ADDR_MAX)
		return false;
	memcpy(x, a->ep.addrs, n * sizeof(*x));
	memcpy(y, b->ep.addrs, n * sizeof(*y));
	qsort(x, n, sizeof(*x), kp_ip_cmp);
	qsort(y, n, sizeof(*y), kp_ip_cmp);
	return !memcmp(x, y, n * sizeof(*x));
}

static bool kp_ep_attach_same(const struct kp_want_ep *a, const struct kp_want_ep *b)
{
	unsigned int i;

	if (a->ep.n_attach != b->ep.n_attach)
		return false;
	for (i = 0; i < a->ep.n_attach; i++)
		if (a->ep.attach[i].dir != b->ep.attach[i].dir ||
		    strcmp(a->ep.attach[i].tier, b->ep.attach[i].tier) ||
		    strcmp(a->ep.attach[i].policy, b->ep.attach[i].policy))
			return false;
	return true;
}

static int kp_ep_id_cmp(const void *pa, const void *pb)
{
	const struct kp_want_ep *a = *(const struct kp_want_ep *const *)pa;
	const struct kp_want_ep *b = *(const struct kp_want_ep *const *)pb;
	int c = strcmp(a->ep.id, b->ep.id);

	return c ? c : (a > b) - (a < b);
}

static const struct kp_want_ep **kp_ep_sorted(const struct kp_ep_set *s)
{
	const struct kp_want_ep **p = malloc((s->n ? s->n : 1) * sizeof(*p));
	unsigned int i;

	if (!p)
		return NULL;
	for (i = 0; i < s->n; i++)
		p[i] = &s->eps[i];
	qsort(p, s->n, sizeof(*p), kp_ep_id_cmp);
	return p;
}

int kp_ep_diff(const struct kp_ep_set *want, const struct kp_ep_set *have, struct kp_ep_diff *d)
{
	const struct kp_want_ep **w = kp_ep_sorted(want), **h = kp_ep_sorted(have);
	unsigned int i = 0, j = 0;

	memset(d, 0, sizeof(*d));
	d->add = malloc((want->n ? want->n : 1) * sizeof(*d->add));
	d->del = malloc((have->n ? have->n : 1) * sizeof(*d->del));
	d->pol = malloc((want->n ? want->n : 1) * sizeof(*d->pol));
	if (!w || !h || !d->add || !d->del || !d->pol) {
		free(w);
		free(h);
		kp_ep_diff_free(d);
		return -ENOMEM;
	}
	while (i < want->n || j < have->n) {
		int c = i == want->n ? 1 : j == have->n ? -1 : strcmp(w[i]->ep.id, h[j]->ep.id);

		if (i && i < want->n && !strcmp(w[i - 1]->ep.id, w[i]->ep.id)) {
			i++;	/* a pod described twice: the first stands */
		} else if (j && j < have->n && !strcmp(h[j - 1]->ep.id, h[j]->ep.id)) {
			j++;	/* the same in what was applied: one was added */
		} else if (c < 0) {
			d->add[d->n_add++] = w[i++];
		} else if (c > 0) {
			d->del[d->n_del++] = h[j++];
		} else {
			if (!kp_ep_same(w[i], h[j])) {	/* replaced: out, then in */
				d->del[d->n_del++] = h[j];
				d->add[d->n_add++] = w[i];
			} else if (!kp_ep_attach_same(w[i], h[j])) {
				d->pol[d->n_pol++] = w[i];
			}
			i++;
			j++;
		}
	}
	free(w);
	free(h);
	return 0;
}

void kp_ep_diff_free(struct kp_ep_diff *d)
{
	free(d->add);
	free(d->del);
	free(d->pol);
	memset(d, 0, sizeof(*d));
}
