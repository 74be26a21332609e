// SPDX-License-Identifier: GPL-2.0
/* Selectors against labelled items, indexed by the labels selectors require: see labelindex.h. */
#include <errno.h>
#include <search.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "k8s.h"
#include "labelindex.h"

/* Labels sorted by key, their strings in one allocation. */
struct kp_lx_labels {
	struct kp_label *l;
	unsigned int n;
};

/* What a selector requires of any item it matches: @key, with one of @vals if any. */
struct kp_lx_need {
	const char *key;
	char *const *vals;		/* NULL: any value */
	unsigned int n_vals;
};

struct kp_lx_sel {
	char *id;
	struct kp_sel *sel;
	struct kp_lx_need need;		/* key NULL: none (a loose selector) */
	uint64_t seen;			/* the change that last listed it */
};

struct kp_lx_parent {
	char *id;			/* first: the trees' key */
	struct kp_lx_labels labels;
	struct kp_lx_item **kids;
	unsigned int n_kids, cap_kids;
};

struct kp_lx_item {
	char *id;			/* first: the trees' key */
	struct kp_lx_labels labels;
	struct kp_lx_parent *parent;
};

/* Selectors indexed under one label key, or one key and value. */
struct kp_lx_slot {
	char *key, *value;		/* value NULL: by_key */
	struct kp_lx_sel **sels;
	unsigned int n, cap;
};

/* A (selector, item) pair that matches. */
struct kp_lx_pair {
	const struct kp_lx_sel *sel;
	const struct kp_lx_item *item;
};

/* An item's labels as a selector sees them: its own, then its parent's under the prefix. */
struct kp_lx_view {
	const struct kp_lx *lx;
	const struct kp_lx_labels *own, *inherited;
};

static int kp_id_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int kp_slot_cmp(const void *pa, const void *pb)
{
	const struct kp_lx_slot *a = pa, *b = pb;
	int c = strcmp(a->key, b->key);

	if (c || (!a->value && !b->value))
		return c;
	return !a->value ? -1 : !b->value ? 1 : strcmp(a->value, b->value);
}

static int kp_pair_cmp(const void *pa, const void *pb)
{
	const struct kp_lx_pair *a = pa, *b = pb;

	uintptr_t x = (uintptr_t)a->sel, y = (uintptr_t)b->sel;

	if (x == y) {
		x = (uintptr_t)a->item;
		y = (uintptr_t)b->item;
	}
	return (x > y) - (x < y);
}

static int kp_label_cmp(const void *a, const void *b)
{
	return strcmp(((const struct kp_label *)a)->key, ((const struct kp_label *)b)->key);
}

void kp_lx_init(struct kp_lx *lx, const char *parent_prefix, kp_lx_change_fn change, void *arg)
{
	memset(lx, 0, sizeof(*lx));
	lx->parent_prefix = parent_prefix ? parent_prefix : "";
	lx->change = change;
	lx->arg = arg;
}

/* --- labels --- */

static int kp_labels_copy(struct kp_lx_labels *to, const struct kp_label *from, unsigned int n)
{
	size_t bytes = 0;
	unsigned int i;
	char *p;

	for (i = 0; i < n; i++)
		bytes += strlen(from[i].key) + strlen(from[i].value) + 2;
	to->l = malloc(n * sizeof(*to->l) + bytes + 1);
	if (!to->l)
		return -ENOMEM;
	p = (char *)(to->l + n);
	for (i = 0; i < n; i++) {
		to->l[i].key = strcpy(p, from[i].key);
		p += strlen(p) + 1;
		to->l[i].value = strcpy(p, from[i].value);
		p += strlen(p) + 1;
	}
	to->n = n;
	qsort(to->l, n, sizeof(*to->l), kp_label_cmp);
	return 0;
}

static const char *kp_labels_get(const struct kp_lx_labels *ls, const char *key)
{
	struct kp_label probe = { key, NULL }, *l;

	if (!ls || !ls->n)
		return NULL;
	l = bsearch(&probe, ls->l, ls->n, sizeof(*ls->l), kp_label_cmp);
	return l ? l->value : NULL;
}

static const char *kp_view_label(const char *key, void *arg)
{
	const struct kp_lx_view *v = arg;
	const char *prefix = v->lx->parent_prefix, *own = kp_labels_get(v->own, key);
	size_t n = strlen(prefix);

	if (own || !n || strncmp(key, prefix, n))
		return own;
	return kp_labels_get(v->inherited, key + n);
}

/* --- what a selector requires (Calico's label restrictions, one key kept) --- */

/*
 * How many items a need may let through, roughly: fewer values first; a
 * key many items share (Calico's own: namespace, orchestrator; a
 * namespace's labels under @prefix) after any other.
 */
static unsigned int kp_need_breadth(struct kp_lx_need n, const char *prefix)
{
	bool broad = !strncmp(n.key, "projectcalico.org/", 18) ||
		     (prefix[0] && !strncmp(n.key, prefix, strlen(prefix)));

	return (n.vals ? n.n_vals : 1U << 20) * 2 + broad;
}

static struct kp_lx_need kp_need_of(const struct kp_sel *s, const char *prefix)
{
	struct kp_lx_need need = { NULL, NULL, 0 }, kid;
	unsigned int i;

	switch (s->op) {
	case KP_SEL_EQ:
	case KP_SEL_IN:
		if (s->n_vals)	/* "in {}" never matches: loose, cheap */
			need = (struct kp_lx_need){ s->key, s->vals, s->n_vals };
		return need;
	case KP_SEL_HAS:
	case KP_SEL_CONTAINS:
	case KP_SEL_STARTS:
	case KP_SEL_ENDS:
		return (struct kp_lx_need){ s->key, NULL, 0 };
	case KP_SEL_AND:
		/* Any kid's need is the whole's: the narrowest. */
		for (i = 0; i < s->n_kids; i++) {
			kid = kp_need_of(s->kids[i], prefix);
			if (kid.key && (!need.key || kp_need_breadth(kid, prefix) <
							 kp_need_breadth(need, prefix)))
				need = kid;
		}
		return need;
	case KP_SEL_OR:
		/* Every kid must need the same key: then any value (kept simple). */
		for (i = 0; i < s->n_kids; i++) {
			kid = kp_need_of(s->kids[i], prefix);
			if (!kid.key || (need.key && strcmp(need.key, kid.key)))
				return (struct kp_lx_need){ NULL, NULL, 0 };
			need = (struct kp_lx_need){ kid.key, NULL, 0 };
		}
		return need;
	default:
		return need;
	}
}

/* --- the index of selectors --- */

static struct kp_lx_slot *kp_slot(void **tree, const char *key, const char *value, bool create)
{
	struct kp_lx_slot probe = { (char *)key, (char *)value, NULL, 0, 0 }, *s, **slot;

	slot = tfind(&probe, tree, kp_slot_cmp);
	if (slot || !create)
		return slot ? *slot : NULL;
	s = calloc(1, sizeof(*s));
	if (!s || !(s->key = strdup(key)) || (value && !(s->value = strdup(value))))
		goto fail;
	slot = tsearch(s, tree, kp_slot_cmp);
	if (slot)
		return s;
fail:
	if (s) {
		free(s->key);
		free(s->value);
	}
	free(s);
	return NULL;
}

static bool kp_sels_add(struct kp_lx_sel ***arr, unsigned int *n, unsigned int *cap,
			struct kp_lx_sel *sel)
{
	if (!kp_grow((void **)arr, *n, cap, sizeof(**arr)))
		return false;
	(*arr)[(*n)++] = sel;
	return true;
}

static void kp_sels_drop(struct kp_lx_sel **arr, unsigned int *n, const struct kp_lx_sel *sel)
{
	unsigned int i;

	for (i = 0; i < *n; i++)
		if (arr[i] == sel) {
			kp_drop(arr, n, sizeof(*arr), i);
			return;
		}
}

static void kp_slot_free(void *p)
{
	struct kp_lx_slot *s = p;

	free(s->sels);
	free(s->key);
	free(s->value);
	free(s);
}

static int kp_index(struct kp_lx *lx, struct kp_lx_sel *ls)
{
	const struct kp_lx_need *need = &ls->need;
	struct kp_lx_slot *slot;
	unsigned int i;

	if (!need->key)
		return kp_sels_add(&lx->loose, &lx->n_loose, &lx->cap_loose, ls) ? 0 : -ENOMEM;
	for (i = 0; i < (need->vals ? need->n_vals : 1); i++) {
		slot = need->vals ? kp_slot(&lx->by_value, need->key, need->vals[i], true) :
				    kp_slot(&lx->by_key, need->key, NULL, true);
		if (!slot || !kp_sels_add(&slot->sels, &slot->n, &slot->cap, ls))
			return -ENOMEM;
	}
	return 0;
}

static void kp_unindex(struct kp_lx *lx, struct kp_lx_sel *ls)
{
	const struct kp_lx_need *need = &ls->need;
	struct kp_lx_slot *slot;
	unsigned int i;

	if (!need->key) {
		kp_sels_drop(lx->loose, &lx->n_loose, ls);
		return;
	}
	for (i = 0; i < (need->vals ? need->n_vals : 1); i++) {
		void **tree = need->vals ? &lx->by_value : &lx->by_key;

		slot = kp_slot(tree, need->key, need->vals ? need->vals[i] : NULL, false);
		if (!slot)
			continue;
		kp_sels_drop(slot->sels, &slot->n, ls);
		if (!slot->n) {
			tdelete(slot, tree, kp_slot_cmp);
			kp_slot_free(slot);
		}
	}
}

/* --- matching pairs --- */

static void kp_no_change(const char *sel_id, const char *item_id, bool matches, void *arg)
{
	(void)sel_id;
	(void)item_id;
	(void)matches;
	(void)arg;
}

/* Records that @sel now does (@on) or does not match @item, and says so if that changed. */
static int kp_pair_set(struct kp_lx *lx, const struct kp_lx_sel *sel,
		       const struct kp_lx_item *item, bool on)
{
	struct kp_lx_pair probe = { sel, item }, *p, **slot;

	slot = tfind(&probe, &lx->pairs, kp_pair_cmp);
	if (!!slot == on)
		return 0;
	if (on) {
		p = malloc(sizeof(*p));
		if (!p)
			return -ENOMEM;
		*p = probe;
		if (!tsearch(p, &lx->pairs, kp_pair_cmp)) {
			free(p);
			return -ENOMEM;
		}
	} else {
		p = *slot;
		tdelete(p, &lx->pairs, kp_pair_cmp);
		free(p);
	}
	lx->change(sel->id, item->id, on, lx->arg);
	return 0;
}

/* --- changes --- */

/*
 * One judgement of an item: each selector its labels (old or new) can
 * concern is evaluated once (seen == epoch) against what it has now.
 * Turning a pair off never allocates, so an item's removal never fails.
 */
struct kp_judgement {
	struct kp_lx *lx;
	struct kp_lx_item *item;
	struct kp_lx_view now;
	bool gone;
	int err;			/* the first failure; the rest is still judged */
};

static void kp_judge_sels(struct kp_judgement *j, struct kp_lx_sel **sels, unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n; i++) {
		bool on = false;
		int err;

		if (sels[i]->seen == j->lx->epoch)
			continue;
		sels[i]->seen = j->lx->epoch;
		if (!j->gone) {
			on = kp_sel_match(sels[i]->sel, kp_view_label, &j->now);
			j->lx->evaluations++;
		}
		err = kp_pair_set(j->lx, sels[i], j->item, on);
		j->err = j->err ? j->err : err;
	}
}

/* The selectors indexed under @key (and its @value). */
static void kp_judge_label(struct kp_judgement *j, const char *key, const char *value)
{
	struct kp_lx_slot *s = kp_slot(&j->lx->by_key, key, NULL, false);

	if (s)
		kp_judge_sels(j, s->sels, s->n);
	s = kp_slot(&j->lx->by_value, key, value, false);
	if (s)
		kp_judge_sels(j, s->sels, s->n);
}

/* Every label of @v, the inherited ones under the prefix (a superset is safe). */
static void kp_judge_view(struct kp_judgement *j, const struct kp_lx_view *v)
{
	const char *prefix = j->lx->parent_prefix;
	char key[KP_SEL_KEY_MAX + 64];
	unsigned int i;

	for (i = 0; v->own && i < v->own->n; i++)
		kp_judge_label(j, v->own->l[i].key, v->own->l[i].value);
	for (i = 0; prefix[0] && v->inherited && i < v->inherited->n; i++)
		if (snprintf(key, sizeof(key), "%s%s", prefix, v->inherited->l[i].key) <
		    (int)sizeof(key))
			kp_judge_label(j, key, v->inherited->l[i].value);
}

/*
 * @item's labels went from @was to what it has now (or it is @gone): the
 * selectors either can concern, and the loose ones, are judged again.
 */
static int kp_judge(struct kp_lx *lx, struct kp_lx_item *item, const struct kp_lx_view *was,
		    bool gone)
{
	struct kp_judgement j = {
		lx, item, { lx, &item->labels, item->parent ? &item->parent->labels : NULL },
		gone, 0,
	};

	lx->epoch++;
	kp_judge_sels(&j, lx->loose, lx->n_loose);
	if (was)
		kp_judge_view(&j, was);
	if (!gone)
		kp_judge_view(&j, &j.now);
	return j.err;
}

/* --- items and parents --- */

static struct kp_lx_item *kp_item_find(const struct kp_lx *lx, const char *id)
{
	struct kp_lx_item **slot = tfind(&id, &lx->items, kp_id_cmp);

	return slot ? *slot : NULL;
}

/* A zeroed struct of @size that starts with its id, put in @tree under @id. */
static void *kp_id_new(void **tree, size_t size, const char *id)
{
	char **p = calloc(1, size);

	if (!p || !(*p = strdup(id)) || !tsearch(p, tree, kp_id_cmp)) {
		if (p)
			free(*p);
		free(p);
		return NULL;
	}
	return p;
}

static struct kp_lx_parent *kp_parent_get(struct kp_lx *lx, const char *id, bool create)
{
	struct kp_lx_parent **slot = tfind(&id, &lx->parents, kp_id_cmp);

	if (slot || !create)
		return slot ? *slot : NULL;
	return kp_id_new(&lx->parents, sizeof(struct kp_lx_parent), id);
}

/* Forgets a parent that has neither labels nor children. */
static void kp_parent_tidy(struct kp_lx *lx, struct kp_lx_parent *p)
{
	if (p->n_kids || p->labels.l)
		return;
	tdelete(p, &lx->parents, kp_id_cmp);
	free(p->kids);
	free(p->id);
	free(p);
}

/* Takes @item out of its parent's children (the parent stays: kp_parent_tidy()). */
static void kp_parent_unlink(struct kp_lx_item *item)
{
	struct kp_lx_parent *p = item->parent;
	unsigned int i;

	for (i = 0; p && i < p->n_kids; i++)
		if (p->kids[i] == item) {
			kp_drop(p->kids, &p->n_kids, sizeof(*p->kids), i);
			break;
		}
	item->parent = NULL;
}

int kp_lx_item_put(struct kp_lx *lx, const char *id, const char *parent,
		   const struct kp_label *labels, unsigned int n)
{
	struct kp_lx_item *item = kp_item_find(lx, id);
	struct kp_lx_labels old = { NULL, 0 }, fresh;
	struct kp_lx_parent *p = NULL, *old_parent = item ? item->parent : NULL;
	struct kp_lx_view was = { lx, NULL, old_parent ? &old_parent->labels : NULL };
	int err;

	if (kp_labels_copy(&fresh, labels, n))
		return -ENOMEM;
	if (parent && parent[0] && !(p = kp_parent_get(lx, parent, true)))
		goto oom;
	if (p && p != old_parent && !kp_grow((void **)&p->kids, p->n_kids, &p->cap_kids,
					     sizeof(*p->kids)))
		goto oom;
	if (!item && !(item = kp_id_new(&lx->items, sizeof(*item), id)))
		goto oom;
	old = item->labels;
	was.own = &old;
	item->labels = fresh;
	if (p != old_parent) {
		/* The old parent stays until judged: its labels are in @was. */
		kp_parent_unlink(item);
		item->parent = p;
		if (p)
			p->kids[p->n_kids++] = item;
	}
	err = kp_judge(lx, item, &was, false);
	free(old.l);
	if (old_parent && old_parent != p)
		kp_parent_tidy(lx, old_parent);
	return err;
oom:
	free(fresh.l);
	if (p)
		kp_parent_tidy(lx, p);
	return -ENOMEM;
}

static void kp_item_free(struct kp_lx_item *item)
{
	free(item->labels.l);
	free(item->id);
	free(item);
}

void kp_lx_item_del(struct kp_lx *lx, const char *id)
{
	struct kp_lx_item *item = kp_item_find(lx, id);
	struct kp_lx_parent *p;
	struct kp_lx_view was;

	if (!item)
		return;
	was = (struct kp_lx_view){ lx, &item->labels,
				   item->parent ? &item->parent->labels : NULL };
	kp_judge(lx, item, &was, true);	/* every pair off */
	p = item->parent;
	kp_parent_unlink(item);
	if (p)
		kp_parent_tidy(lx, p);
	tdelete(item, &lx->items, kp_id_cmp);
	kp_item_free(item);
}

/* A parent's labels went from @old: each child is judged again. */
static int kp_parent_judge(struct kp_lx *lx, struct kp_lx_parent *p, const struct kp_lx_labels *old)
{
	unsigned int i;
	int err = 0;

	for (i = 0; i < p->n_kids; i++) {
		struct kp_lx_view was = { lx, &p->kids[i]->labels, old };
		int e = kp_judge(lx, p->kids[i], &was, false);

		err = err ? err : e;
	}
	return err;
}

int kp_lx_parent_put(struct kp_lx *lx, const char *id, const struct kp_label *labels,
		     unsigned int n)
{
	struct kp_lx_parent *p = kp_parent_get(lx, id, true);
	struct kp_lx_labels old;
	int err;

	if (!p)
		return -ENOMEM;
	old = p->labels;
	if (kp_labels_copy(&p->labels, labels, n)) {
		p->labels = old;
		kp_parent_tidy(lx, p);
		return -ENOMEM;
	}
	err = kp_parent_judge(lx, p, &old);
	free(old.l);
	return err;
}

void kp_lx_parent_del(struct kp_lx *lx, const char *id)
{
	struct kp_lx_parent *p = kp_parent_get(lx, id, false);
	struct kp_lx_labels old;

	if (!p)
		return;
	old = p->labels;
	p->labels = (struct kp_lx_labels){ NULL, 0 };
	kp_parent_judge(lx, p, &old);
	free(old.l);
	kp_parent_tidy(lx, p);
}

/* --- selectors --- */

static struct kp_lx_sel *kp_sel_find(const struct kp_lx *lx, const char *id)
{
	struct kp_lx_sel **slot = tfind(&id, &lx->sels, kp_id_cmp);

	return slot ? *slot : NULL;
}

/*
 * The walk of every item, judging a selector against each: @ls put in
 * @old's place (NULL: new), or @old going (@ls NULL).  Only what changes
 * is reported: a policy seen again must not empty its set for a moment.
 */
struct kp_sel_walk {
	struct kp_lx *lx;
	struct kp_lx_sel *ls, *old;
	int err;
};

/* Sets the pair of @sel and @item without a word (a selector's place taken over). */
static int kp_pair_quiet(struct kp_lx *lx, const struct kp_lx_sel *sel,
			 const struct kp_lx_item *item, bool on)
{
	kp_lx_change_fn change = lx->change;
	int err;

	lx->change = kp_no_change;
	err = kp_pair_set(lx, sel, item, on);
	lx->change = change;
	return err;
}

static void kp_sel_visit(const void *node, VISIT which, void *arg)
{
	struct kp_lx_item *item = *(struct kp_lx_item *const *)node;
	struct kp_sel_walk *w = arg;
	struct kp_lx_view v = { w->lx, &item->labels, item->parent ? &item->parent->labels : NULL };
	struct kp_lx_pair probe = { w->old, item };
	bool was = w->old && tfind(&probe, &w->lx->pairs, kp_pair_cmp), on = false;
	int err = 0;

	if (which != postorder && which != leaf)
		return;
	if (w->ls) {
		on = kp_sel_match(w->ls->sel, kp_view_label, &v);
		w->lx->evaluations++;
	}
	if (was)
		kp_pair_quiet(w->lx, w->old, item, false);
	if (w->ls)
		err = kp_pair_quiet(w->lx, w->ls, item, on);
	if (!err && on != was)
		w->lx->change(w->ls ? w->ls->id : w->old->id, item->id, on, w->lx->arg);
	w->err = w->err ? w->err : err;
}

static void kp_lx_sel_free(struct kp_lx_sel *ls)
{
	kp_sel_free(ls->sel);
	free(ls->id);
	free(ls);
}

/* Judges @ls in @old's place over every item, then forgets @old. */
static int kp_sel_replace(struct kp_lx *lx, struct kp_lx_sel *ls, struct kp_lx_sel *old)
{
	struct kp_sel_walk w = { lx, ls, old, 0 };

	twalk_r(lx->items, kp_sel_visit, &w);
	if (old) {
		kp_unindex(lx, old);
		tdelete(old, &lx->sels, kp_id_cmp);
		kp_lx_sel_free(old);
	}
	return w.err;
}

void kp_lx_sel_del(struct kp_lx *lx, const char *id)
{
	struct kp_lx_sel *old = kp_sel_find(lx, id);

	if (old)
		kp_sel_replace(lx, NULL, old);
}

int kp_lx_sel_put(struct kp_lx *lx, const char *id, struct kp_sel *sel)
{
	struct kp_lx_sel *old = kp_sel_find(lx, id), *ls = calloc(1, sizeof(*ls));
	int err;

	if (!ls || !(ls->id = strdup(id))) {
		free(ls);
		kp_sel_free(sel);
		return -ENOMEM;
	}
	ls->sel = sel;
	ls->need = kp_need_of(sel, lx->parent_prefix);
	if (kp_index(lx, ls)) {
		kp_unindex(lx, ls);
		kp_lx_sel_free(ls);
		return -ENOMEM;
	}
	err = kp_sel_replace(lx, ls, old);
	/* In the tree once the old one, of the same id, has left it. */
	if (!tsearch(ls, &lx->sels, kp_id_cmp)) {
		kp_sel_replace(lx, NULL, ls);
		return -ENOMEM;
	}
	return err;
}

/* --- teardown: nothing reported --- */

static void kp_item_free_v(void *p)
{
	kp_item_free(p);
}

static void kp_parent_free_v(void *p)
{
	struct kp_lx_parent *pa = p;

	free(pa->labels.l);
	free(pa->kids);
	free(pa->id);
	free(pa);
}

static void kp_sel_free_v(void *p)
{
	kp_lx_sel_free(p);
}

void kp_lx_free(struct kp_lx *lx)
{
	tdestroy(lx->pairs, free);
	tdestroy(lx->by_value, kp_slot_free);
	tdestroy(lx->by_key, kp_slot_free);
	tdestroy(lx->items, kp_item_free_v);
	tdestroy(lx->parents, kp_parent_free_v);
	tdestroy(lx->sels, kp_sel_free_v);
	free(lx->loose);
	memset(lx, 0, sizeof(*lx));
}

struct kp_pairs_walk {
	void (*fn)(const char *sel_id, const char *item_id, void *arg);
	void *arg;
};

static void kp_pairs_visit(const void *node, VISIT which, void *arg)
{
	const struct kp_lx_pair *p = *(const struct kp_lx_pair *const *)node;
	struct kp_pairs_walk *w = arg;

	if (which == postorder || which == leaf)
		w->fn(p->sel->id, p->item->id, w->arg);
}

void kp_lx_pairs(const struct kp_lx *lx, void (*fn)(const char *sel_id, const char *item_id,
						    void *arg), void *arg)
{
	struct kp_pairs_walk w = { fn, arg };

	twalk_r(lx->pairs, kp_pairs_visit, &w);
}
