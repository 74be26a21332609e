// SPDX-License-Identifier: GPL-2.0
/* Objects by the key they came under: see agent.h. */
#include <errno.h>
#include <search.h>
#include <stdlib.h>
#include <string.h>
#include "agent.h"

struct kp_store_entry {
	char *key;
	struct kp_k8s_objects objs;
};

static int kp_entry_cmp(const void *a, const void *b)
{
	return strcmp(((const struct kp_store_entry *)a)->key,
		      ((const struct kp_store_entry *)b)->key);
}

static void kp_store_count(struct kp_store *s, const struct kp_k8s_objects *o, int sign)
{
	s->n_svcs += sign * (int)o->n_svcs;
	s->n_slices += sign * (int)o->n_slices;
	s->n_weps += sign * (int)o->n_weps;
	s->n_cfgs += sign * (int)o->n_cfgs;
	s->n_pods += sign * (int)o->n_pods;
	s->n_nss += sign * (int)o->n_nss;
	s->n_netpols += sign * (int)o->n_netpols;
	s->n_cpols += sign * (int)o->n_cpols;
	s->n_tiers += sign * (int)o->n_tiers;
	s->n_netsets += sign * (int)o->n_netsets;
	s->n_heps += sign * (int)o->n_heps;
}

/* Counts a key's change by the kinds it touched (kube-proxy's two counters). */
static void kp_store_changed(struct kp_store *s, const struct kp_k8s_objects *was,
			     const struct kp_k8s_objects *now)
{
	s->svc_changes += was->n_svcs || now->n_svcs;
	s->slice_changes += was->n_slices || now->n_slices;
	s->wep_changes += was->n_weps || now->n_weps;
	s->cfg_changes += was->n_cfgs || now->n_cfgs;
	s->pol_changes += was->n_pods || now->n_pods || was->n_nss || now->n_nss ||
			  was->n_netpols || now->n_netpols || was->n_cpols || now->n_cpols ||
			  was->n_tiers || now->n_tiers || was->n_netsets || now->n_netsets ||
			  was->n_heps || now->n_heps;
	s->rule_changes += was->n_netpols || now->n_netpols || was->n_cpols || now->n_cpols ||
			   was->n_tiers || now->n_tiers;
}

/* Past this, the label index looks at every item instead. */
#define KP_GONE_MAX	(1U << 18)

static void kp_gone_add(struct kp_store *s, char kind, uint64_t gen, const char *ns,
			const char *name, const char *node)
{
	char id[KP_ITEM_ID_MAX];
	size_t l_id, l_node = strlen(node) + 1;
	struct kp_item_gone *g;

	if (s->gone_lost)
		return;
	if (s->n_gone >= KP_GONE_MAX ||
	    !kp_grow((void **)&s->gone, s->n_gone, &s->cap_gone, sizeof(*s->gone))) {
		kp_store_items_settle(s);
		s->gone_lost = true;
		return;
	}
	kp_item_id(id, sizeof(id), kind == 'w' ? 'p' : kind, ns, name);
	l_id = strlen(id) + 1;
	g = &s->gone[s->n_gone];
	g->kind = kind;
	g->gen = gen;
	g->id = malloc(l_id + l_node);
	if (!g->id) {
		kp_store_items_settle(s);
		s->gone_lost = true;
		return;
	}
	memcpy(g->id, id, l_id);
	g->node = memcpy(g->id + l_id, node, l_node);
	s->n_gone++;
}

/* The items @o held, gone from the store. */
static void kp_items_gone(struct kp_store *s, const struct kp_k8s_objects *o)
{
	unsigned int i;

	for (i = 0; i < o->n_pods; i++)
		kp_gone_add(s, 'p', o->pods[i].gen, o->pods[i].ns, o->pods[i].name, "");
	for (i = 0; i < o->n_weps; i++)
		kp_gone_add(s, 'w', o->weps[i].gen, o->weps[i].ns, o->weps[i].pod, o->weps[i].node);
	for (i = 0; i < o->n_netsets; i++)
		kp_gone_add(s, 'n', o->netsets[i].gen, o->netsets[i].ns, o->netsets[i].name, "");
	for (i = 0; i < o->n_heps; i++)
		kp_gone_add(s, 'h', o->heps[i].gen, NULL, o->heps[i].name, "");
}

/* @o's items as new since the label index last looked. */
static void kp_items_stamp(struct kp_store *s, struct kp_k8s_objects *o)
{
	unsigned int i;

	s->gen++;
	for (i = 0; i < o->n_pods; i++)
		o->pods[i].gen = s->gen;
	for (i = 0; i < o->n_weps; i++)
		o->weps[i].gen = s->gen;
	for (i = 0; i < o->n_netsets; i++)
		o->netsets[i].gen = s->gen;
	for (i = 0; i < o->n_heps; i++)
		o->heps[i].gen = s->gen;
}

void kp_store_items_settle(struct kp_store *s)
{
	unsigned int i;

	for (i = 0; i < s->n_gone; i++)
		free(s->gone[i].id);
	free(s->gone);
	s->gone = NULL;
	s->n_gone = s->cap_gone = 0;
	s->gone_lost = false;
}

/*
 * The index by service name.  An update it has no memory for loses the
 * index (names_lost) rather than the object: kp_store_reindex() rebuilds it.
 */
int kp_name_cmp(const void *pa, const void *pb)
{
	const struct kp_name *a = pa, *b = pb;
	int c = strcmp(a->ns, b->ns);

	return c ? c : strcmp(a->name, b->name);
}

void *kp_named_new(size_t size, const char *ns, const char *name)
{
	size_t l_ns = strlen(ns) + 1, l_name = strlen(name) + 1;
	char *p = calloc(1, size + l_ns + l_name);
	struct kp_name *key = (struct kp_name *)p;

	if (!p)
		return NULL;
	key->ns = memcpy(p + size, ns, l_ns);
	key->name = memcpy(p + size + l_ns, name, l_name);
	return p;
}

static struct kp_store_name *kp_name_find(const struct kp_store *s, const char *ns,
					  const char *name)
{
	struct kp_name probe = { ns, name };
	struct kp_store_name **slot = tfind(&probe, &s->names, kp_name_cmp);

	return slot ? *slot : NULL;
}

static struct kp_store_name *kp_name_get(struct kp_store *s, const char *ns, const char *name)
{
	struct kp_store_name *nm = kp_name_find(s, ns, name), **slot;

	if (nm)
		return nm;
	nm = kp_named_new(sizeof(*nm), ns, name);
	if (!nm)
		return NULL;
	slot = tsearch(nm, &s->names, kp_name_cmp);
	if (!slot) {
		free(nm);
		return NULL;
	}
	return nm;
}

/* What a name adds to the slices without a service. */
static unsigned int kp_name_orphans(const struct kp_store_name *nm)
{
	return nm->n_svcs ? 0 : nm->n_slices;
}

static void kp_name_dirty(struct kp_store *s, struct kp_store_name *nm)
{
	if (nm->dirty)
		return;
	if (!kp_grow((void **)&s->dirty, s->n_dirty, &s->cap_dirty, sizeof(*s->dirty))) {
		s->names_lost = true;
		return;
	}
	nm->dirty = true;
	s->dirty[s->n_dirty++] = nm;
}

/* Puts @svc (under @key) in its name's services, after those of keys before @key. */
static bool kp_name_add_svc(struct kp_store_name *nm, const struct kp_k8s_service *svc,
			    const char *key)
{
	unsigned int at = nm->n_svcs;

	if (!kp_grow((void **)&nm->svcs, nm->n_svcs, &nm->cap_svcs, sizeof(*nm->svcs)))
		return false;
	while (at && strcmp(nm->svcs[at - 1].key, key) > 0)
		at--;
	memmove(&nm->svcs[at + 1], &nm->svcs[at], (nm->n_svcs - at) * sizeof(*nm->svcs));
	nm->svcs[at] = (struct kp_store_svc){ svc, key };
	nm->n_svcs++;
	return true;
}

static bool kp_name_add_slice(struct kp_store_name *nm, const struct kp_k8s_slice *sl)
{
	if (!kp_grow((void **)&nm->slices, nm->n_slices, &nm->cap_slices, sizeof(*nm->slices)))
		return false;
	nm->slices[nm->n_slices++] = sl;
	return true;
}

/* @o's i-th service (*@svc) or slice (*@sl, after the services), and its name. */
static struct kp_name kp_obj_name(const struct kp_k8s_objects *o, unsigned int i,
				  const struct kp_k8s_service **svc, const struct kp_k8s_slice **sl)
{
	*svc = i < o->n_svcs ? &o->svcs[i] : NULL;
	*sl = *svc ? NULL : &o->slices[i - o->n_svcs];
	return *svc ? (struct kp_name){ (*svc)->ns, (*svc)->name } :
		      (struct kp_name){ (*sl)->ns, (*sl)->service };
}

/* Indexes @o's services and slices (the objects of @key). */
static void kp_names_add(struct kp_store *s, const char *key, const struct kp_k8s_objects *o)
{
	const struct kp_k8s_service *svc;
	const struct kp_k8s_slice *sl;
	unsigned int i;

	for (i = 0; !s->names_lost && i < o->n_svcs + o->n_slices; i++) {
		struct kp_name id = kp_obj_name(o, i, &svc, &sl);
		struct kp_store_name *nm = kp_name_get(s, id.ns, id.name);
		bool ok;

		if (!nm) {
			s->names_lost = true;
			break;
		}
		s->orphans -= kp_name_orphans(nm);
		ok = svc ? kp_name_add_svc(nm, svc, key) : kp_name_add_slice(nm, sl);
		s->orphans += kp_name_orphans(nm);
		if (!ok)
			s->names_lost = true;
		kp_name_dirty(s, nm);
	}
}

/* Takes @o's services and slices out of the index (before they are freed). */
static void kp_names_drop(struct kp_store *s, const struct kp_k8s_objects *o)
{
	const struct kp_k8s_service *svc;
	const struct kp_k8s_slice *sl;
	unsigned int i, j;

	for (i = 0; !s->names_lost && i < o->n_svcs + o->n_slices; i++) {
		struct kp_name id = kp_obj_name(o, i, &svc, &sl);
		struct kp_store_name *nm = kp_name_find(s, id.ns, id.name);

		if (!nm)
			continue;
		s->orphans -= kp_name_orphans(nm);
		for (j = 0; svc && j < nm->n_svcs && nm->svcs[j].svc != svc; j++)
			;
		if (svc && j < nm->n_svcs)
			memmove(&nm->svcs[j], &nm->svcs[j + 1], (--nm->n_svcs - j) * sizeof(*nm->svcs));
		for (j = 0; sl && j < nm->n_slices && nm->slices[j] != sl; j++)
			;
		if (sl && j < nm->n_slices)
			memmove(&nm->slices[j], &nm->slices[j + 1],
				(--nm->n_slices - j) * sizeof(*nm->slices));
		s->orphans += kp_name_orphans(nm);
		kp_name_dirty(s, nm);
	}
}

static void kp_name_free(void *p)
{
	struct kp_store_name *nm = p;

	free(nm->svcs);
	free(nm->slices);
	free(nm);
}

void kp_store_settle(struct kp_store *s)
{
	unsigned int i;

	for (i = 0; i < s->n_dirty; i++) {
		struct kp_store_name *nm = s->dirty[i];

		nm->dirty = false;
		if (!nm->n_svcs && !nm->n_slices) {
			tdelete(&nm->key, &s->names, kp_name_cmp);
			kp_name_free(nm);
		}
	}
	s->n_dirty = 0;
}

void kp_store_touch(struct kp_store *s, const char *ns, const char *name)
{
	struct kp_store_name *nm = s->names_lost ? NULL : kp_name_find(s, ns, name);

	if (nm)
		kp_name_dirty(s, nm);
}

static void kp_reindex_key(const char *key, const struct kp_k8s_objects *o, void *arg)
{
	kp_names_add(arg, key, o);
}

int kp_store_reindex(struct kp_store *s)
{
	tdestroy(s->names, kp_name_free);
	s->names = NULL;
	s->n_dirty = 0;
	s->orphans = 0;
	s->names_lost = false;
	kp_store_walk(s, kp_reindex_key, s);
	kp_store_settle(s);
	return s->names_lost ? -ENOMEM : 0;
}

int kp_store_put(struct kp_store *s, const char *key, struct kp_k8s_objects *objs)
{
	struct kp_store_entry probe = { .key = (char *)key }, *e, **slot;

	slot = tfind(&probe, &s->root, kp_entry_cmp);
	if (!slot) {
		e = calloc(1, sizeof(*e));
		if (!e || !(e->key = strdup(key))) {
			free(e);
			return -ENOMEM;
		}
		slot = tsearch(e, &s->root, kp_entry_cmp);
		if (!slot) {
			free(e->key);
			free(e);
			return -ENOMEM;
		}
		s->n_keys++;
	}
	e = *slot;
	kp_store_changed(s, &e->objs, objs);
	kp_store_count(s, &e->objs, -1);
	kp_names_drop(s, &e->objs);
	kp_items_gone(s, &e->objs);
	kp_k8s_objects_free(&e->objs);
	e->objs = *objs;
	memset(objs, 0, sizeof(*objs));
	kp_items_stamp(s, &e->objs);
	kp_store_count(s, &e->objs, 1);
	kp_names_add(s, e->key, &e->objs);
	return 0;
}

bool kp_store_del(struct kp_store *s, const char *key)
{
	struct kp_store_entry probe = { .key = (char *)key }, *e, **slot;

	slot = tfind(&probe, &s->root, kp_entry_cmp);
	if (!slot)
		return false;
	e = *slot;
	tdelete(&probe, &s->root, kp_entry_cmp);
	kp_store_changed(s, &e->objs, &(struct kp_k8s_objects){ 0 });
	kp_store_count(s, &e->objs, -1);
	kp_names_drop(s, &e->objs);
	kp_items_gone(s, &e->objs);
	kp_k8s_objects_free(&e->objs);
	free(e->key);
	free(e);
	s->n_keys--;
	return true;
}

struct kp_walk {
	void (*fn)(const char *key, const struct kp_k8s_objects *objs, void *arg);
	void *arg;
};

static void kp_walk_node(const void *node, VISIT which, void *arg)
{
	const struct kp_store_entry *e = *(const struct kp_store_entry *const *)node;
	struct kp_walk *w = arg;

	if (which == postorder || which == leaf)
		w->fn(e->key, &e->objs, w->arg);
}

void kp_store_walk(const struct kp_store *s,
		   void (*fn)(const char *key, const struct kp_k8s_objects *objs, void *arg),
		   void *arg)
{
	struct kp_walk w = { fn, arg };

	twalk_r(s->root, kp_walk_node, &w);
}

/* The keys a prune found gone (the tree cannot change during its walk). */
struct kp_prune {
	bool (*gone)(const char *key, void *arg);
	void *arg;
	char **keys;
	unsigned int n;
	bool oom;
};

static void kp_prune_visit(const char *key, const struct kp_k8s_objects *o, void *arg)
{
	struct kp_prune *p = arg;
	char **k;

	(void)o;
	if (!p->gone(key, p->arg))
		return;
	k = realloc(p->keys, (p->n + 1) * sizeof(*k));
	if (!k || !(k[p->n] = strdup(key))) {
		p->keys = k ? k : p->keys;
		p->oom = true;
		return;
	}
	p->keys = k;
	p->n++;
}

int kp_store_prune(struct kp_store *s, bool (*gone)(const char *key, void *arg), void *arg)
{
	struct kp_prune p = { .gone = gone, .arg = arg };
	unsigned int i;

	kp_store_walk(s, kp_prune_visit, &p);
	for (i = 0; i < p.n; i++) {
		kp_store_del(s, p.keys[i]);
		free(p.keys[i]);
	}
	free(p.keys);
	return p.oom ? -ENOMEM : 0;
}

static void kp_entry_free(void *p)
{
	struct kp_store_entry *e = p;

	kp_k8s_objects_free(&e->objs);
	free(e->key);
	free(e);
}

void kp_store_free(struct kp_store *s)
{
	tdestroy(s->names, kp_name_free);
	free(s->dirty);
	kp_store_items_settle(s);
	tdestroy(s->root, kp_entry_free);
	memset(s, 0, sizeof(*s));
}

/* A view being filled: services and slices left out for a view of pods. */
struct kp_view_fill {
	struct kp_k8s_view *v;
	bool services;
};

static void kp_view_add(const char *key, const struct kp_k8s_objects *o, void *arg)
{
	struct kp_view_fill *f = arg;
	struct kp_k8s_view *v = f->v;
	unsigned int i;

	(void)key;
	for (i = 0; f->services && i < o->n_svcs; i++)
		v->svcs[v->n_svcs++] = &o->svcs[i];
	for (i = 0; f->services && i < o->n_slices; i++)
		v->slices[v->n_slices++] = &o->slices[i];
	for (i = 0; i < o->n_weps; i++)
		v->weps[v->n_weps++] = &o->weps[i];
	for (i = 0; i < o->n_cfgs; i++)
		v->cfgs[v->n_cfgs++] = &o->cfgs[i];
	for (i = 0; i < o->n_pods; i++)
		v->pods[v->n_pods++] = &o->pods[i];
	for (i = 0; i < o->n_nss; i++)
		v->nss[v->n_nss++] = &o->nss[i];
	for (i = 0; i < o->n_netpols; i++)
		v->netpols[v->n_netpols++] = &o->netpols[i];
	for (i = 0; i < o->n_cpols; i++)
		v->cpols[v->n_cpols++] = &o->cpols[i];
	for (i = 0; i < o->n_tiers; i++)
		v->tiers[v->n_tiers++] = &o->tiers[i];
	for (i = 0; i < o->n_netsets; i++)
		v->netsets[v->n_netsets++] = &o->netsets[i];
	for (i = 0; i < o->n_heps; i++)
		v->heps[v->n_heps++] = &o->heps[i];
}

/* A service and where it came in key order: duplicates keep that order. */
struct kp_svc_at {
	const struct kp_k8s_service *svc;
	unsigned int at;
};

static int kp_svc_name_cmp(const void *pa, const void *pb)
{
	const struct kp_svc_at *a = pa, *b = pb;
	int c = strcmp(a->svc->ns, b->svc->ns);

	if (!c)
		c = strcmp(a->svc->name, b->svc->name);
	return c ? c : (a->at > b->at) - (a->at < b->at);
}

/* Sorts by namespace and name; a name in two keys: the first key's first. */
static int kp_view_sort(struct kp_k8s_view *v)
{
	struct kp_svc_at *at = malloc((v->n_svcs ? v->n_svcs : 1) * sizeof(*at));
	unsigned int i;

	if (!at)
		return -ENOMEM;
	for (i = 0; i < v->n_svcs; i++)
		at[i] = (struct kp_svc_at){ v->svcs[i], i };
	qsort(at, v->n_svcs, sizeof(*at), kp_svc_name_cmp);
	for (i = 0; i < v->n_svcs; i++)
		v->svcs[i] = at[i].svc;
	free(at);
	return 0;
}

static int kp_view(const struct kp_store *s, struct kp_k8s_view *v, bool services)
{
	struct kp_view_fill f = { v, services };
	unsigned int n_svcs = services ? s->n_svcs : 0, n_slices = services ? s->n_slices : 0;

	memset(v, 0, sizeof(*v));
	v->svcs = malloc((n_svcs ? n_svcs : 1) * sizeof(*v->svcs));
	v->slices = malloc((n_slices ? n_slices : 1) * sizeof(*v->slices));
	v->weps = malloc((s->n_weps ? s->n_weps : 1) * sizeof(*v->weps));
	v->cfgs = malloc((s->n_cfgs ? s->n_cfgs : 1) * sizeof(*v->cfgs));
	v->pods = malloc((s->n_pods ? s->n_pods : 1) * sizeof(*v->pods));
	v->nss = malloc((s->n_nss ? s->n_nss : 1) * sizeof(*v->nss));
	v->netpols = malloc((s->n_netpols ? s->n_netpols : 1) * sizeof(*v->netpols));
	v->cpols = malloc((s->n_cpols ? s->n_cpols : 1) * sizeof(*v->cpols));
	v->tiers = malloc((s->n_tiers ? s->n_tiers : 1) * sizeof(*v->tiers));
	v->netsets = malloc((s->n_netsets ? s->n_netsets : 1) * sizeof(*v->netsets));
	v->heps = malloc((s->n_heps ? s->n_heps : 1) * sizeof(*v->heps));
	if (!v->svcs || !v->slices || !v->weps || !v->cfgs || !v->pods || !v->nss || !v->netpols ||
	    !v->cpols || !v->tiers || !v->netsets || !v->heps) {
		kp_k8s_view_free(v);
		return -ENOMEM;
	}
	kp_store_walk(s, kp_view_add, &f);
	v->gen = s->gen;
	v->rule_changes = s->rule_changes;
	v->gone = s->gone;
	v->n_gone = s->n_gone;
	v->gone_lost = s->gone_lost;
	if (kp_view_sort(v)) {
		kp_k8s_view_free(v);
		return -ENOMEM;
	}
	return 0;
}

int kp_store_view(const struct kp_store *s, struct kp_k8s_view *v)
{
	return kp_view(s, v, true);
}

int kp_store_view_pods(const struct kp_store *s, struct kp_k8s_view *v)
{
	return kp_view(s, v, false);
}

void kp_k8s_view_free(struct kp_k8s_view *v)
{
	free(v->svcs);
	free(v->slices);
	free(v->weps);
	free(v->cfgs);
	free(v->pods);
	free(v->nss);
	free(v->netpols);
	free(v->cpols);
	free(v->tiers);
	free(v->netsets);
	free(v->heps);
	memset(v, 0, sizeof(*v));
}
