// SPDX-License-Identifier: GPL-2.0
/*
 * The label index kplaned keeps from one sync to the next (see agent.h):
 * each sync brings it to the store's items, namespaces and selectors,
 * putting only what changed, so a pod's label change evaluates the
 * selectors that can concern it and no other.
 */
#include <errno.h>
#include <search.h>
#include <sys/socket.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "agent.h"
#include "pol_int.h"

#define KP_NS_LABEL	"projectcalico.org/namespace"
#define KP_POD_LABEL	"projectcalico.org/orchestrator"

/* What was put under a key ("i" item, "p" parent, "s" selector + id), and when last seen. */
struct kp_known {
	char *key;			/* first: the tree's key */
	uint64_t hash, epoch;
	unsigned int n_addrs;
	struct kplane_prefix *addrs;	/* an item's: what the sets it is in hold */
};

static int kp_known_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void kp_known_free(void *p)
{
	struct kp_known *k = p;

	free(k->key);
	free(k->addrs);
	free(k);
}

/* The pairs are read after each sync (kp_lx_pairs()): changes need no bookkeeping here. */
static void kp_pair_changed(const char *sel_id, const char *item_id, bool matches, void *arg)
{
	struct kp_polidx *x = arg;

	(void)sel_id;
	(void)item_id;
	(void)matches;
	x->pair_changes++;
}

void kp_polidx_init(struct kp_polidx *x)
{
	memset(x, 0, sizeof(*x));
	kp_lx_init(&x->lx, "pcns.", kp_pair_changed, x);
}

void kp_polidx_free(struct kp_polidx *x)
{
	kp_lx_free(&x->lx);
	tdestroy(x->known, kp_known_free);
	memset(x, 0, sizeof(*x));
}

static uint64_t kp_hash(uint64_t h, const void *p, size_t n)
{
	const uint8_t *b = p;

	while (n--)
		h = (h ^ *b++) * 1099511628211ull;
	return h;
}

static uint64_t kp_hash_str(uint64_t h, const char *s)
{
	return kp_hash(h, s ? s : "", s ? strlen(s) + 1 : 1);
}

/*
 * The entry for @kind@id, marked seen; *@changed when new or last put
 * with another @hash (the caller records it once put).  NULL: no memory.
 */
static struct kp_known *kp_known_get(struct kp_polidx *x, char kind, const char *id,
				     uint64_t hash, bool *changed)
{
	struct kp_known *k, **slot;
	char key[2 * KP_K8S_NAME_MAX + 8];
	const char *pk = key;

	snprintf(key, sizeof(key), "%c%s", kind, id);
	slot = tfind(&pk, &x->known, kp_known_cmp);
	if (slot) {
		k = *slot;
		*changed = k->hash != hash;
	} else {
		k = calloc(1, sizeof(*k));
		if (!k || !(k->key = strdup(key)) || !tsearch(k, &x->known, kp_known_cmp)) {
			if (k)
				free(k->key);
			free(k);
			return NULL;
		}
		*changed = true;
	}
	k->epoch = x->epoch;
	return k;
}

/* --- items --- */

#define KP_ITEM_LABELS_MAX	(KP_K8S_LABELS_MAX + 2)

struct kp_item_in {
	char id[2 * KP_K8S_NAME_MAX + 8];
	const char *parent;		/* its namespace, or NULL */
	struct kp_label labels[KP_ITEM_LABELS_MAX];
	unsigned int n_labels, n_addrs;
	struct kplane_prefix addrs[KP_CAL_NETS_MAX];
};

/* Labels only kplaned gives: an object's own of these names would claim another's place. */
static bool kp_reserved(const char *key)
{
	return !strncmp(key, "projectcalico.org/", 18) || !strncmp(key, "pcns.", 5);
}

/* An item's labels: its own (reserved ones dropped), its namespace's, @pod: a pod's mark. */
static void kp_item_labels(struct kp_item_in *in, const char *ns, const struct kp_k8s_label *l,
			   unsigned int n, bool pod)
{
	unsigned int i;

	in->parent = ns;
	in->n_labels = 0;
	for (i = 0; i < n && i < KP_K8S_LABELS_MAX; i++)
		if (!kp_reserved(l[i].key))
			in->labels[in->n_labels++] = (struct kp_label){ l[i].key, l[i].value };
	if (ns)
		in->labels[in->n_labels++] = (struct kp_label){ KP_NS_LABEL, ns };
	if (pod)	/* NetworkPolicy peers take pods only, as Calico's converter has them */
		in->labels[in->n_labels++] = (struct kp_label){ KP_POD_LABEL, "k8s" };
}

void kp_host_prefix(const struct kp_ip *ip, struct kplane_prefix *p)
{
	memset(p, 0, sizeof(*p));
	p->family = ip->family;
	p->len = ip->family == AF_INET ? 32 : 128;
	memcpy(p->addr, ip->ip, ip->family == AF_INET ? 4 : 16);
}

static void kp_item_ips(struct kp_item_in *in, const struct kp_ip *ips, unsigned int n)
{
	for (in->n_addrs = 0; in->n_addrs < n; in->n_addrs++)
		kp_host_prefix(&ips[in->n_addrs], &in->addrs[in->n_addrs]);
}

/* Puts the item if it changed since the last sync, and keeps its addresses. */
static int kp_item_sync(struct kp_polidx *x, const struct kp_item_in *in)
{
	uint64_t h = kp_hash_str(14695981039346656037ull, in->parent);
	struct kp_known *k;
	unsigned int i;
	bool changed;

	for (i = 0; i < in->n_labels; i++)
		h = kp_hash_str(kp_hash_str(h, in->labels[i].key), in->labels[i].value);
	h = kp_hash(h, in->addrs, in->n_addrs * sizeof(*in->addrs));
	k = kp_known_get(x, 'i', in->id, h, &changed);
	if (!k)
		return -ENOMEM;
	if (!changed)
		return 0;
	free(k->addrs);
	k->n_addrs = 0;
	k->addrs = malloc((in->n_addrs ? in->n_addrs : 1) * sizeof(*k->addrs));
	if (!k->addrs)
		return -ENOMEM;
	memcpy(k->addrs, in->addrs, in->n_addrs * sizeof(*in->addrs));
	k->n_addrs = in->n_addrs;
	if (kp_lx_item_put(&x->lx, in->id, in->parent, in->labels, in->n_labels))
		return -ENOMEM;
	k->hash = h;
	return 0;
}

/* Whether item @id was put by this sync already (a Pod before its WorkloadEndpoint). */
static bool kp_item_seen(const struct kp_polidx *x, const char *id)
{
	const struct kp_known *k = kp_polidx_item(x, id);

	return k && k->epoch == x->epoch;
}

/* Pods (and this node's pods known by their WorkloadEndpoint alone), network sets, host endpoints. */
static int kp_items_sync(struct kp_polidx *x, const struct kp_k8s_view *v,
			 const struct kp_k8s_node *node)
{
	struct kp_item_in *in = malloc(sizeof(*in));
	unsigned int i, j;
	int err = 0;

	if (!in)
		return -ENOMEM;
	for (i = 0; !err && i < v->n_pods; i++) {
		const struct kp_k8s_pod *p = v->pods[i];

		snprintf(in->id, sizeof(in->id), "p:%s/%s", p->ns, p->name);
		kp_item_labels(in, p->ns, p->labels, p->n_labels, true);
		kp_item_ips(in, p->ips, p->n_ips);
		err = kp_item_sync(x, in);
	}
	for (i = 0; !err && node->name && i < v->n_weps; i++) {
		const struct kp_k8s_wep *w = v->weps[i];

		if (strcmp(w->node, node->name))
			continue;
		snprintf(in->id, sizeof(in->id), "p:%s/%s", w->ns, w->pod);
		if (kp_item_seen(x, in->id))
			continue;
		kp_item_labels(in, w->ns, NULL, 0, true);
		kp_item_ips(in, w->addrs, w->n_addrs);
		err = kp_item_sync(x, in);
	}
	for (i = 0; !err && i < v->n_netsets; i++) {
		const struct kp_cal_netset *s = v->netsets[i];

		snprintf(in->id, sizeof(in->id), "n:%s/%s", s->ns ? s->ns : "", s->name);
		kp_item_labels(in, s->ns, s->labels, s->n_labels, false);
		in->n_addrs = s->n_nets;
		for (j = 0; j < s->n_nets; j++)
			in->addrs[j] = s->nets[j];
		err = kp_item_sync(x, in);
	}
	for (i = 0; !err && i < v->n_heps; i++) {
		const struct kp_cal_hep *h = v->heps[i];

		snprintf(in->id, sizeof(in->id), "h:%s", h->name);
		kp_item_labels(in, NULL, h->labels, h->n_labels, false);
		kp_item_ips(in, h->ips, h->n_ips);
		err = kp_item_sync(x, in);
	}
	free(in);
	return err;
}

static int kp_parents_sync(struct kp_polidx *x, const struct kp_k8s_view *v)
{
	struct kp_label l[KP_K8S_LABELS_MAX + 1];
	unsigned int i, j;
	int err = 0;

	for (i = 0; !err && i < v->n_nss; i++) {
		const struct kp_k8s_namespace *ns = v->nss[i];
		uint64_t h = 14695981039346656037ull;
		unsigned int n = ns->n_labels < KP_K8S_LABELS_MAX + 1 ? ns->n_labels :
									 KP_K8S_LABELS_MAX + 1;
		bool changed;

		for (j = 0; j < n; j++) {
			l[j] = (struct kp_label){ ns->labels[j].key, ns->labels[j].value };
			h = kp_hash_str(kp_hash_str(h, l[j].key), l[j].value);
		}
		struct kp_known *k = kp_known_get(x, 'p', ns->name, h, &changed);

		if (!k)
			return -ENOMEM;
		if (changed)
			err = kp_lx_parent_put(&x->lx, ns->name, l, n);
		if (!err)
			k->hash = h;
	}
	return err;
}

int kp_polidx_sel(struct kp_polidx *x, const char *id, const char *text)
{
	uint64_t h = kp_hash_str(14695981039346656037ull, text);
	struct kp_sel *sel;
	const char *why;
	size_t at;
	bool changed;
	int err;

	struct kp_known *k = kp_known_get(x, 's', id, h, &changed);

	if (!k)
		return -ENOMEM;
	if (!changed)
		return 0;
	err = kp_sel_parse(text, strlen(text), &sel, &why, &at);
	if (!err)
		err = kp_lx_sel_put(&x->lx, id, sel);
	if (!err)
		k->hash = h;
	return err;
}

/* --- sweeping what the last sync had and this one has not --- */

struct kp_sweep {
	struct kp_polidx *x;
	struct kp_known **gone;
	unsigned int n, cap;
	bool nomem;
};

static void kp_sweep_visit(const void *node, VISIT which, void *arg)
{
	struct kp_known *k = *(struct kp_known *const *)node;
	struct kp_sweep *s = arg;

	if ((which != postorder && which != leaf) || k->epoch == s->x->epoch)
		return;
	if (!kp_grow((void **)&s->gone, s->n, &s->cap, sizeof(*s->gone)))
		s->nomem = true;
	else
		s->gone[s->n++] = k;
}

int kp_polidx_sweep(struct kp_polidx *x)
{
	struct kp_sweep s = { .x = x };
	unsigned int i;

	twalk_r(x->known, kp_sweep_visit, &s);
	for (i = 0; i < s.n; i++) {
		struct kp_known *k = s.gone[i];

		if (k->key[0] == 'i')
			kp_lx_item_del(&x->lx, k->key + 1);
		else if (k->key[0] == 'p')
			kp_lx_parent_del(&x->lx, k->key + 1);
		else
			kp_lx_sel_del(&x->lx, k->key + 1);
		tdelete(k, &x->known, kp_known_cmp);
		kp_known_free(k);
	}
	free(s.gone);
	return s.nomem ? -ENOMEM : 0;
}

int kp_polidx_begin(struct kp_polidx *x, const struct kp_k8s_view *v)
{
	x->epoch++;
	return kp_parents_sync(x, v);
}

int kp_polidx_items(struct kp_polidx *x, const struct kp_k8s_view *v,
		    const struct kp_k8s_node *node)
{
	return kp_items_sync(x, v, node);
}

const struct kp_known *kp_polidx_item(const struct kp_polidx *x, const char *item_id)
{
	char key[2 * KP_K8S_NAME_MAX + 8];
	const char *pk = key;
	struct kp_known **slot;

	snprintf(key, sizeof(key), "i%s", item_id);
	slot = tfind(&pk, &x->known, kp_known_cmp);
	return slot ? *slot : NULL;
}

void kp_polidx_addrs(const struct kp_known *k, const struct kplane_prefix **addrs,
		     unsigned int *n)
{
	*addrs = k ? k->addrs : NULL;
	*n = k ? k->n_addrs : 0;
}
