// SPDX-License-Identifier: GPL-2.0
/*
 * The label index kplaned keeps from one sync to the next (see agent.h):
 * each sync brings it to the store's items, namespaces and selectors,
 * putting only what changed, so a pod's label change evaluates the
 * selectors that can concern it and no other.  The sets' members and the
 * policies each item is taken by follow the pairs the index reports, so
 * a change costs the sets it moves, not all of them.
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

/*
 * What was put under an id (an item, a namespace, a selector), and the
 * sync that last saw it.  An item counts the objects that describe it:
 * the first Pod (network set, host endpoint) stands, a WorkloadEndpoint
 * only where no Pod is.
 */
struct kp_known {
	char *key;			/* first: the tree's key */
	uint64_t hash, epoch;
	unsigned int defs, weps;	/* Pods (or the one network set, host endpoint); WEPs */
	bool from_wep, in_lx;
	unsigned int n_addrs, n_cports, n_pols, cap_pols;
	struct kplane_prefix *addrs;	/* what the sets it is in hold */
	struct kp_k8s_cport *cports;	/* a Pod's: the port sets it is in */
	char **pols;			/* the policies that take it, by id */
};

/* A set's member, with the items that put it there. */
struct kp_kmember {
	struct kplane_prefix p;		/* first: the tree's key */
	unsigned int refs;
};

/* A set's members: a tree to count them in, flattened (sorted) when read after a change. */
struct kp_kset {
	char *name;			/* first: the tree's key */
	void *members;			/* tsearch of struct kp_kmember */
	unsigned int n;
	struct kplane_prefix *flat;
	bool dirty;
};

/* A named port number in a namespace ("NS np:PROTO:NAME:PORT"), with the pods that have it. */
struct kp_kport {
	char name[KP_K8S_NAME_MAX + KPLANE_ID_MAX];	/* first: the tree's key */
	unsigned int refs;
};

static int kp_known_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int kp_kport_cmp(const void *a, const void *b)
{
	return strcmp(((const struct kp_kport *)a)->name, ((const struct kp_kport *)b)->name);
}

static void kp_known_free(void *p)
{
	struct kp_known *k = p;
	unsigned int i;

	for (i = 0; i < k->n_pols; i++)
		free(k->pols[i]);
	free(k->pols);
	free(k->key);
	free(k->addrs);
	free(k->cports);
	free(k);
}

static void kp_kset_free(void *p)
{
	struct kp_kset *s = p;

	tdestroy(s->members, free);
	free(s->name);
	free(s->flat);
	free(s);
}

static struct kp_known *kp_known_find(void *const *tree, const char *id)
{
	struct kp_known **slot = tfind(&id, tree, kp_known_cmp);

	return slot ? *slot : NULL;
}

void kp_item_id(char *buf, size_t size, char kind, const char *ns, const char *name)
{
	if (kind == 'h')
		snprintf(buf, size, "h:%s", name);
	else
		snprintf(buf, size, "%c:%s/%s", kind, ns ? ns : "", name);
}

/* --- what the pairs make: set members, the policies of each item --- */

static struct kp_kset *kp_kset_get(void **tree, const char *name, bool create)
{
	struct kp_kset **slot = tfind(&name, tree, kp_known_cmp), *s;

	if (slot || !create)
		return slot ? *slot : NULL;
	s = calloc(1, sizeof(*s));
	if (!s || !(s->name = strdup(name)) || !tsearch(s, tree, kp_known_cmp)) {
		if (s)
			free(s->name);
		free(s);
		return NULL;
	}
	return s;
}

/* @p counted once more (@up) or less in set @name; -ENOMEM (a decrement never fails). */
static int kp_kset_count(struct kp_polidx *x, const char *name, const struct kplane_prefix *p,
			 bool up)
{
	struct kp_kset *s = kp_kset_get(&x->sets, name, up);
	struct kp_kmember *m, **slot;

	if (!s)
		return up ? -ENOMEM : 0;
	slot = tfind(p, &s->members, kp_member_cmp);
	if (slot) {
		m = *slot;
		m->refs += up ? 1 : -1;
		if (m->refs)
			return 0;
		tdelete(m, &s->members, kp_member_cmp);
		free(m);
		s->n--;
	} else if (up) {
		m = malloc(sizeof(*m));
		if (m) {
			m->p = *p;
			m->refs = 1;
		}
		if (!m || !tsearch(m, &s->members, kp_member_cmp)) {
			free(m);
			return -ENOMEM;
		}
		s->n++;
	} else {
		return 0;
	}
	s->dirty = true;
	if (!s->n) {
		tdelete(s, &x->sets, kp_known_cmp);
		kp_kset_free(s);
	}
	return 0;
}

static int kp_kset_addrs(struct kp_polidx *x, const char *name, const struct kp_known *k, bool up)
{
	unsigned int i;
	int err = 0;

	for (i = 0; !err && i < k->n_addrs; i++)
		err = kp_kset_count(x, name, &k->addrs[i], up);
	return err;
}

static int kp_known_pol(struct kp_known *k, const char *pol, bool up)
{
	unsigned int i;

	for (i = 0; i < k->n_pols && strcmp(k->pols[i], pol); i++)
		;
	if (!up) {
		if (i < k->n_pols) {
			free(k->pols[i]);
			k->pols[i] = k->pols[--k->n_pols];
		}
		return 0;
	}
	if (i < k->n_pols)
		return 0;
	if (!kp_grow((void **)&k->pols, k->n_pols, &k->cap_pols, sizeof(*k->pols)) ||
	    !(k->pols[k->n_pols] = strdup(pol)))
		return -ENOMEM;
	k->n_pols++;
	return 0;
}

/* A pair started or stopped: a set's members ("s:..."), or a policy's endpoints ("@ID"). */
static void kp_pair_changed(const char *sel_id, const char *item_id, bool matches, void *arg)
{
	struct kp_polidx *x = arg;
	struct kp_known *k = kp_known_find(&x->items, item_id);
	int err;

	if (!k)
		return;
	if (sel_id[0] == '@')
		err = kp_known_pol(k, sel_id + 1, matches);
	else
		err = kp_kset_addrs(x, sel_id, k, matches);
	x->cb_err = x->cb_err ?: err;
}

/*
 * A Pod's named ports (@c, with @addrs, in namespace @ns): the port sets
 * it is in, and the numbers some pod of @ns has (what compiles read).
 */
static int kp_item_ports(struct kp_polidx *x, const char *ns, const struct kp_k8s_cport *c,
			 unsigned int n_c, const struct kplane_prefix *addrs, unsigned int n_addrs,
			 bool up)
{
	unsigned int i, j;
	int err = 0;

	for (i = 0; !err && i < n_c; i++) {
		char set[KPLANE_ID_MAX];
		struct kp_kport probe, *kp, **slot;

		kp_port_set_name(set, c[i].proto, c[i].name, c[i].port);
		for (j = 0; !err && j < n_addrs; j++)
			err = kp_kset_count(x, set, &addrs[j], up);
		snprintf(probe.name, sizeof(probe.name), "%s %s", ns ? ns : "", set);
		slot = tfind(&probe, &x->ports, kp_kport_cmp);
		if (!slot && !up)
			continue;
		if (!slot) {
			kp = malloc(sizeof(*kp));
			if (kp)
				*kp = probe;
			if (!kp || !tsearch(kp, &x->ports, kp_kport_cmp)) {
				free(kp);
				return -ENOMEM;
			}
			kp->refs = 0;
			x->ports_version++;
		} else {
			kp = *slot;
		}
		kp->refs += up ? 1 : -1;
		if (!kp->refs) {
			tdelete(kp, &x->ports, kp_kport_cmp);
			free(kp);
			x->ports_version++;
		}
	}
	return err;
}

/* The namespace of pod item @id ("p:NS/NAME"): where its named ports count. */
static void kp_item_ns(const char *id, char ns[KP_K8S_NAME_MAX])
{
	const char *slash = strchr(id, '/');

	snprintf(ns, KP_K8S_NAME_MAX, "%.*s", slash && id[0] == 'p' ? (int)(slash - id - 2) : 0,
		 id + 2);
}

void kp_polidx_init(struct kp_polidx *x)
{
	memset(x, 0, sizeof(*x));
	kp_lx_init(&x->lx, "pcns.", kp_pair_changed, x);
}

void kp_polidx_free(struct kp_polidx *x)
{
	kp_lx_free(&x->lx);
	tdestroy(x->items, kp_known_free);
	tdestroy(x->parents, kp_known_free);
	tdestroy(x->sels, kp_known_free);
	tdestroy(x->sets, kp_kset_free);
	tdestroy(x->ports, free);
	kp_pol_want_free(&x->compiled);
	free(x->srcs);
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
 * The entry for @id in @tree, marked seen; *@changed when new or last put
 * with another @hash (the caller records it once put).  NULL: no memory.
 */
static struct kp_known *kp_known_get(void **tree, uint64_t epoch, const char *id,
				     uint64_t hash, bool *changed)
{
	struct kp_known *k = kp_known_find(tree, id);

	if (k) {
		*changed = k->hash != hash;
	} else {
		k = calloc(1, sizeof(*k));
		if (!k || !(k->key = strdup(id)) || !tsearch(k, tree, kp_known_cmp)) {
			if (k)
				free(k->key);
			free(k);
			return NULL;
		}
		*changed = true;
	}
	k->epoch = epoch;
	return k;
}

/* --- items --- */

#define KP_ITEM_LABELS_MAX	(KP_K8S_LABELS_MAX + 2)

struct kp_item_in {
	char id[KP_ITEM_ID_MAX];
	const char *parent;		/* its namespace, or NULL */
	bool wep;			/* described by a WorkloadEndpoint */
	struct kp_label labels[KP_ITEM_LABELS_MAX];
	unsigned int n_labels, n_addrs, n_cports;
	struct kplane_prefix addrs[KP_CAL_NETS_MAX];
	const struct kp_k8s_cport *cports;
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

void kp_host_prefix(const struct kpl_ip *ip, struct kplane_prefix *p)
{
	memset(p, 0, sizeof(*p));
	p->family = ip->family;
	p->len = ip->family == AF_INET ? 32 : 128;
	memcpy(p->addr, ip->ip, ip->family == AF_INET ? 4 : 16);
}

static void kp_item_ips(struct kp_item_in *in, const struct kpl_ip *ips, unsigned int n)
{
	for (in->n_addrs = 0; in->n_addrs < n; in->n_addrs++)
		kp_host_prefix(&ips[in->n_addrs], &in->addrs[in->n_addrs]);
}

static void *kp_dup(const void *p, size_t n)
{
	void *d = malloc(n ? n : 1);

	if (d && n)
		memcpy(d, p, n);
	return d;
}

/* @k's addresses and ports as @in has them; its pairs moved (out, then in) if they change. */
static int kp_item_take(struct kp_polidx *x, struct kp_known *k, const struct kp_item_in *in)
{
	struct kplane_prefix *addrs = kp_dup(in->addrs, in->n_addrs * sizeof(*addrs));
	struct kp_k8s_cport *cports = kp_dup(in->cports, in->n_cports * sizeof(*cports));
	int err = -ENOMEM;

	if (addrs && cports)	/* the new counted first: a port kept is never gone for a moment */
		err = kp_item_ports(x, in->parent, cports, in->n_cports, addrs, in->n_addrs, true);
	if (err) {
		kp_item_ports(x, in->parent, cports, in->n_cports, addrs, in->n_addrs, false);
		free(addrs);
		free(cports);
		return err;
	}
	kp_item_ports(x, in->parent, k->cports, k->n_cports, k->addrs, k->n_addrs, false);
	if (k->in_lx && (k->n_addrs != in->n_addrs ||
			 memcmp(k->addrs, in->addrs, in->n_addrs * sizeof(*addrs)))) {
		kp_lx_item_del(&x->lx, k->key);
		k->in_lx = false;
	}
	free(k->addrs);
	free(k->cports);
	k->addrs = addrs;
	k->n_addrs = in->n_addrs;
	k->cports = cports;
	k->n_cports = in->n_cports;
	return 0;
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
	for (i = 0; i < in->n_cports; i++) {
		h = kp_hash(h, &in->cports[i].proto, sizeof(in->cports[i].proto));
		h = kp_hash(h, &in->cports[i].port, sizeof(in->cports[i].port));
		h = kp_hash_str(h, in->cports[i].name);
	}
	k = kp_known_get(&x->items, x->item_epoch, in->id, h, &changed);
	if (!k)
		return -ENOMEM;
	k->defs = !in->wep;
	k->weps = in->wep;
	k->from_wep = in->wep;
	if (!changed)
		return 0;
	k->hash = 0;
	if (kp_item_take(x, k, in) ||
	    kp_lx_item_put(&x->lx, in->id, in->parent, in->labels, in->n_labels))
		return -ENOMEM;
	k->in_lx = true;
	k->hash = h;
	return x->cb_err;
}

/* Takes @k out of the index and its sets (nothing is allocated: never fails). */
static void kp_item_forget(struct kp_polidx *x, struct kp_known *k)
{
	char ns[KP_K8S_NAME_MAX];

	kp_item_ns(k->key, ns);
	kp_lx_item_del(&x->lx, k->key);
	kp_item_ports(x, ns, k->cports, k->n_cports, k->addrs, k->n_addrs, false);
	tdelete(k, &x->items, kp_known_cmp);
	kp_known_free(k);
}

/*
 * One object describing item @in->id in a whole pass: the first stands
 * (Pods come before WorkloadEndpoints); the others are counted.
 */
static int kp_item_offer(struct kp_polidx *x, const struct kp_item_in *in, void *arg)
{
	struct kp_known *k = kp_known_find(&x->items, in->id);

	(void)arg;
	if (k && k->epoch == x->item_epoch) {
		k->defs += !in->wep;
		k->weps += in->wep;
		return 0;
	}
	return kp_item_sync(x, in);
}

/* A pod known by its WorkloadEndpoint alone (a Pod of it stands over it). */
static void kp_wep_in(struct kp_item_in *in, const struct kp_k8s_wep *w)
{
	kp_item_id(in->id, sizeof(in->id), 'p', w->ns, w->pod);
	kp_item_labels(in, w->ns, NULL, 0, true);
	kp_item_ips(in, w->addrs, w->n_addrs);
	in->n_cports = 0;
	in->wep = true;
}

/* Reads each item of @v put after @gen in turn into @in and hands it to @fn. */
static int kp_items_each(struct kp_polidx *x, const struct kp_k8s_view *v,
			 const struct kp_k8s_node *node, uint64_t gen, struct kp_item_in *in,
			 int (*fn)(struct kp_polidx *x, const struct kp_item_in *in, void *arg),
			 void *arg)
{
	unsigned int i, j;
	int err = 0;

	for (i = 0; !err && i < v->n_pods; i++) {
		const struct kp_k8s_pod *p = v->pods[i];

		if (p->gen <= gen)
			continue;
		kp_item_id(in->id, sizeof(in->id), 'p', p->ns, p->name);
		kp_item_labels(in, p->ns, p->labels, p->n_labels, true);
		kp_item_ips(in, p->ips, p->n_ips);
		in->wep = false;
		in->cports = p->cports;
		in->n_cports = p->n_cports;
		err = fn(x, in, arg);
	}
	in->n_cports = 0;
	for (i = 0; !err && node->name && i < v->n_weps; i++) {
		const struct kp_k8s_wep *w = v->weps[i];

		if (w->gen <= gen || strcmp(w->node, node->name))
			continue;
		kp_wep_in(in, w);
		err = fn(x, in, arg);
	}
	in->wep = false;
	for (i = 0; !err && i < v->n_netsets; i++) {
		const struct kp_cal_netset *s = v->netsets[i];

		if (s->gen <= gen)
			continue;
		kp_item_id(in->id, sizeof(in->id), 'n', s->ns, s->name);
		kp_item_labels(in, s->ns, s->labels, s->n_labels, false);
		in->n_addrs = s->n_nets;
		for (j = 0; j < s->n_nets; j++)
			in->addrs[j] = s->nets[j];
		err = fn(x, in, arg);
	}
	for (i = 0; !err && i < v->n_heps; i++) {
		const struct kp_cal_hep *h = v->heps[i];

		if (h->gen <= gen)
			continue;
		kp_item_id(in->id, sizeof(in->id), 'h', NULL, h->name);
		kp_item_labels(in, NULL, h->labels, h->n_labels, false);
		kp_item_ips(in, h->ips, h->n_ips);
		err = fn(x, in, arg);
	}
	return err;
}

/* --- the items that changed since the last sync: what the store says left and came --- */

/* The gone ids this node's index knows of, sorted: how many of each kind went. */
struct kp_gone_ids {
	const struct kp_item_gone **g;
	unsigned int n;
};

static int kp_gone_cmp(const void *pa, const void *pb)
{
	return strcmp((*(const struct kp_item_gone *const *)pa)->id,
		      (*(const struct kp_item_gone *const *)pb)->id);
}

/* @have less @gone, not below zero: what still describes an item. */
static unsigned int kp_left(unsigned int have, unsigned int gone)
{
	return have - (gone < have ? gone : have);
}

/* Pods (network sets, host endpoints) and WEPs of @id gone. */
static void kp_gone_count(const struct kp_gone_ids *gi, const char *id, unsigned int *defs,
			  unsigned int *weps)
{
	struct kp_item_gone key = { .id = (char *)id };
	const struct kp_item_gone *kp = &key, **at;

	*defs = *weps = 0;
	at = bsearch(&kp, gi->g, gi->n, sizeof(*gi->g), kp_gone_cmp);
	while (at && at > gi->g && !strcmp(at[-1]->id, id))
		at--;
	for (; at && at < gi->g + gi->n && !strcmp((*at)->id, id); at++)
		(*at)->kind == 'w' ? (*weps)++ : (*defs)++;
}

/*
 * A changed object describing @in->id.  What stood before and did not go
 * is still there, unchanged: a Pod beats WEPs; two Pods, two WEPs, are
 * judged by the whole pass (-EAGAIN), where the first in the store stands.
 */
static int kp_item_news(struct kp_polidx *x, const struct kp_item_in *in, void *arg)
{
	const struct kp_gone_ids *gi = arg;
	struct kp_known *k = kp_known_find(&x->items, in->id);
	unsigned int gd = 0, gw = 0, defs = 0, weps = 0;
	int err;

	if (k && k->epoch == x->item_epoch)
		return kp_item_offer(x, in, NULL);
	if (k) {
		kp_gone_count(gi, in->id, &gd, &gw);
		defs = kp_left(k->defs, gd);
		weps = kp_left(k->weps, gw);
	}
	/* What stood may be what went, and another left standing: which, the whole pass says. */
	if (k && ((gd && defs) || (!k->defs && gw && weps)))
		return -EAGAIN;
	if (in->wep && defs) {
		k->epoch = x->item_epoch;
		k->defs = defs;
		k->weps = weps + 1;
		return 0;
	}
	if (defs || (in->wep && weps))
		return -EAGAIN;
	err = kp_item_sync(x, in);
	if (!err && weps)	/* a Pod over its pod's WEPs */
		kp_known_find(&x->items, in->id)->weps = weps;
	return err;
}

/* The item of pod @id from the first of this node's WEPs of it: its Pod went. */
static int kp_item_from_wep(struct kp_polidx *x, const struct kp_k8s_view *v,
			    const struct kp_k8s_node *node, struct kp_item_in *in, const char *id)
{
	unsigned int i;

	for (i = 0; i < v->n_weps; i++) {
		if (strcmp(v->weps[i]->node, node->name))
			continue;
		kp_wep_in(in, v->weps[i]);
		if (!strcmp(in->id, id))
			return kp_item_sync(x, in);
	}
	return -EAGAIN;
}

/* An item some of whose objects went and none came: forgotten if none is left. */
static int kp_item_went(struct kp_polidx *x, const struct kp_gone_ids *gi,
			const struct kp_k8s_view *v, const struct kp_k8s_node *node,
			struct kp_item_in *in, const char *id)
{
	struct kp_known *k = kp_known_find(&x->items, id);
	unsigned int gd, gw, weps;
	int err;

	if (!k || k->epoch == x->item_epoch)
		return 0;
	kp_gone_count(gi, id, &gd, &gw);
	weps = kp_left(k->weps, gw);
	if (gd >= k->defs && !weps) {
		kp_item_forget(x, k);
		return 0;
	}
	if (!gd && !k->from_wep) {	/* WEPs of a pod its Pod describes */
		k->weps = weps;
		k->epoch = x->item_epoch;
		return 0;
	}
	if (gd < k->defs || (k->from_wep && gw))	/* another Pod (WEP) of it: which stands? */
		return -EAGAIN;
	err = kp_item_from_wep(x, v, node, in, id);
	if (!err)
		kp_known_find(&x->items, id)->weps = weps;
	return err;
}

static int kp_gone_ids(const struct kp_polidx *x, const struct kp_k8s_view *v,
		       const struct kp_k8s_node *node, struct kp_gone_ids *gi)
{
	unsigned int i;

	gi->n = 0;
	gi->g = malloc((v->n_gone ? v->n_gone : 1) * sizeof(*gi->g));
	if (!gi->g)
		return -ENOMEM;
	for (i = 0; i < v->n_gone; i++)
		if (v->gone[i].gen <= x->gen_seen &&
		    (v->gone[i].kind != 'w' || (node->name && !strcmp(v->gone[i].node, node->name))))
			gi->g[gi->n++] = &v->gone[i];
	kp_sort(gi->g, gi->n, sizeof(*gi->g), kp_gone_cmp);
	return 0;
}

/* The items put or gone since the last sync; -EAGAIN: the whole pass must judge. */
static int kp_items_news(struct kp_polidx *x, const struct kp_k8s_view *v,
			 const struct kp_k8s_node *node, struct kp_item_in *in)
{
	struct kp_gone_ids gi;
	unsigned int i;
	int err = kp_gone_ids(x, v, node, &gi);

	if (!err)
		err = kp_items_each(x, v, node, x->gen_seen, in, kp_item_news, &gi);
	for (i = 0; !err && i < gi.n; i++)
		if (!i || strcmp(gi.g[i - 1]->id, gi.g[i]->id))
			err = kp_item_went(x, &gi, v, node, in, gi.g[i]->id);
	free(gi.g);
	return err;
}

/* --- sweeping what the last sync had and this one has not --- */

struct kp_sweep {
	uint64_t epoch;
	struct kp_known **gone;
	unsigned int n, cap;
	bool nomem;
};

static void kp_sweep_visit(const void *node, VISIT which, void *arg)
{
	struct kp_known *k = *(struct kp_known *const *)node;
	struct kp_sweep *s = arg;

	if ((which != postorder && which != leaf) || k->epoch == s->epoch)
		return;
	if (!kp_grow((void **)&s->gone, s->n, &s->cap, sizeof(*s->gone)))
		s->nomem = true;
	else
		s->gone[s->n++] = k;
}

/* Forgets what @tree has that this sync did not see. */
static int kp_sweep(struct kp_polidx *x, void **tree, uint64_t epoch)
{
	struct kp_sweep s = { .epoch = epoch };
	unsigned int i;

	twalk_r(*tree, kp_sweep_visit, &s);
	for (i = 0; i < s.n; i++) {
		struct kp_known *k = s.gone[i];

		if (tree == &x->items) {
			kp_item_forget(x, k);
			continue;
		}
		if (tree == &x->parents)
			kp_lx_parent_del(&x->lx, k->key);
		else
			kp_lx_sel_del(&x->lx, k->key);
		tdelete(k, tree, kp_known_cmp);
		kp_known_free(k);
	}
	free(s.gone);
	return s.nomem ? -ENOMEM : 0;
}

/* Every item of @v, and those not seen forgotten. */
static int kp_items_all(struct kp_polidx *x, const struct kp_k8s_view *v,
			const struct kp_k8s_node *node, struct kp_item_in *in)
{
	x->item_epoch++;
	x->whole_passes++;
	return kp_items_each(x, v, node, 0, in, kp_item_offer, NULL) ?:
	       kp_sweep(x, &x->items, x->item_epoch);
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
		struct kp_known *k = kp_known_get(&x->parents, x->epoch, ns->name, h, &changed);

		if (!k)
			return -ENOMEM;
		if (changed)
			err = kp_lx_parent_put(&x->lx, ns->name, l, n);
		if (!err)
			k->hash = h;
	}
	return err ?: x->cb_err;
}

int kp_polidx_sel(struct kp_polidx *x, const char *id, const char *text)
{
	uint64_t h = kp_hash_str(14695981039346656037ull, text);
	struct kp_sel *sel;
	const char *why;
	size_t at;
	bool changed;
	int err;

	struct kp_known *k = kp_known_get(&x->sels, x->epoch, id, h, &changed);

	if (!k)
		return -ENOMEM;
	if (!changed)
		return 0;
	k->hash = 0;
	err = kp_sel_parse(text, strlen(text), &sel, &why, &at);
	if (!err)
		err = kp_lx_sel_put(&x->lx, id, sel);
	if (!err)
		k->hash = h;
	return err ?: x->cb_err;
}

int kp_polidx_sweep(struct kp_polidx *x, bool sels)
{
	int err = kp_sweep(x, &x->parents, x->epoch);

	if (!err && sels)
		err = kp_sweep(x, &x->sels, x->epoch);
	return err ?: x->cb_err;
}

int kp_polidx_begin(struct kp_polidx *x, const struct kp_k8s_view *v)
{
	x->epoch++;
	return kp_parents_sync(x, v);
}

int kp_polidx_items(struct kp_polidx *x, const struct kp_k8s_view *v,
		    const struct kp_k8s_node *node)
{
	struct kp_item_in *in = malloc(sizeof(*in));
	int err = -EAGAIN;

	if (!in)
		return -ENOMEM;
	x->item_epoch++;
	x->item_passes++;
	if (x->primed && !v->gone_lost)
		err = kp_items_news(x, v, node, in);
	if (err == -EAGAIN)
		err = kp_items_all(x, v, node, in);
	free(in);
	err = err ?: x->cb_err;
	x->primed = !err;
	x->gen_seen = v->gen;
	return err;
}

static void kp_flat_visit(const void *node, VISIT which, void *arg)
{
	const struct kp_kmember *m = *(const struct kp_kmember *const *)node;
	struct kp_kset *s = arg;

	if (which == postorder || which == leaf)
		s->flat[s->n++] = m->p;
}

const struct kplane_prefix *kp_polidx_members(struct kp_polidx *x, const char *set,
					      unsigned int *n)
{
	static const struct kplane_prefix none;
	struct kp_kset *s = kp_kset_get(&x->sets, set, false);
	struct kplane_prefix *flat;

	*n = 0;
	if (!s)
		return &none;
	if (s->dirty) {
		flat = realloc(s->flat, (s->n ? s->n : 1) * sizeof(*flat));
		if (!flat)
			return NULL;
		s->flat = flat;
		s->n = 0;	/* counted again by the walk */
		twalk_r(s->members, kp_flat_visit, s);
		s->dirty = false;
	}
	*n = s->n;
	return s->flat;
}

void kp_polidx_item_pols(const struct kp_polidx *x, const char *item_id,
			 char *const **pols, unsigned int *n)
{
	const struct kp_known *k = kp_known_find((void **)&x->items, item_id);

	*pols = k ? k->pols : NULL;
	*n = k ? k->n_pols : 0;
}
