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
}

/* Counts a key's change by the kinds it touched (kube-proxy's two counters). */
static void kp_store_changed(struct kp_store *s, const struct kp_k8s_objects *was,
			     const struct kp_k8s_objects *now)
{
	s->svc_changes += was->n_svcs || now->n_svcs;
	s->slice_changes += was->n_slices || now->n_slices;
	s->wep_changes += was->n_weps || now->n_weps;
	s->cfg_changes += was->n_cfgs || now->n_cfgs;
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
	kp_k8s_objects_free(&e->objs);
	e->objs = *objs;
	memset(objs, 0, sizeof(*objs));
	kp_store_count(s, &e->objs, 1);
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
	tdestroy(s->root, kp_entry_free);
	memset(s, 0, sizeof(*s));
}

static void kp_view_add(const char *key, const struct kp_k8s_objects *o, void *arg)
{
	struct kp_k8s_view *v = arg;
	unsigned int i;

	(void)key;
	for (i = 0; i < o->n_svcs; i++)
		v->svcs[v->n_svcs++] = &o->svcs[i];
	for (i = 0; i < o->n_slices; i++)
		v->slices[v->n_slices++] = &o->slices[i];
	for (i = 0; i < o->n_weps; i++)
		v->weps[v->n_weps++] = &o->weps[i];
	for (i = 0; i < o->n_cfgs; i++)
		v->cfgs[v->n_cfgs++] = &o->cfgs[i];
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

int kp_store_view(const struct kp_store *s, struct kp_k8s_view *v)
{
	memset(v, 0, sizeof(*v));
	v->svcs = malloc((s->n_svcs ? s->n_svcs : 1) * sizeof(*v->svcs));
	v->slices = malloc((s->n_slices ? s->n_slices : 1) * sizeof(*v->slices));
	v->weps = malloc((s->n_weps ? s->n_weps : 1) * sizeof(*v->weps));
	v->cfgs = malloc((s->n_cfgs ? s->n_cfgs : 1) * sizeof(*v->cfgs));
	if (!v->svcs || !v->slices || !v->weps || !v->cfgs) {
		kp_k8s_view_free(v);
		return -ENOMEM;
	}
	kp_store_walk(s, kp_view_add, v);
	if (kp_view_sort(v)) {
		kp_k8s_view_free(v);
		return -ENOMEM;
	}
	return 0;
}

void kp_k8s_view_free(struct kp_k8s_view *v)
{
	free(v->svcs);
	free(v->slices);
	free(v->weps);
	free(v->cfgs);
	memset(v, 0, sizeof(*v));
}
