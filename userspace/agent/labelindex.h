/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Which selectors match which labelled items (pods, network sets, host
 * endpoints), kept as both change, at a cost proportional to the selectors
 * a change can affect rather than to all of them (Calico felix's label
 * index is the model).  Each selector is indexed by one label it requires
 * (a key, with the values it allows when it names them); an item's change
 * evaluates the selectors indexed under its labels, before and after, and
 * those that require nothing.  Items may inherit the labels of a parent
 * (a pod its namespace's, under a prefix), and a parent's change
 * re-evaluates its children.
 *
 * Not thread-safe: one owner.  Every change reports each (selector, item)
 * pair that starts or stops matching through the callback given at init,
 * which must not call back into the index.
 */
#ifndef KPLANE_AGENT_LABELINDEX_H
#define KPLANE_AGENT_LABELINDEX_H

#include <stdbool.h>
#include <stdint.h>
#include "selector.h"

/* A label: both strings owned by whoever passes them (copied when kept). */
struct kp_label {
	const char *key, *value;
};

typedef void (*kp_lx_change_fn)(const char *sel_id, const char *item_id, bool matches,
				void *arg);

struct kp_lx {
	void *sels, *items, *parents;	/* tsearch trees by id */
	void *by_value, *by_key;	/* tsearch: (key, value) and key -> selectors */
	void *pairs;			/* tsearch of the (selector, item) pairs that match */
	struct kp_lx_sel **loose;	/* selectors that require no label: always evaluated */
	unsigned int n_loose, cap_loose;
	const char *parent_prefix;	/* parents' labels are seen under it ("pcns."); not copied */
	kp_lx_change_fn change;
	void *arg;
	uint64_t evaluations;		/* selector evaluations, for the per-change counter */
	uint64_t epoch;			/* one per judgement: each selector judged once */
};

void kp_lx_init(struct kp_lx *lx, const char *parent_prefix, kp_lx_change_fn change, void *arg);
void kp_lx_free(struct kp_lx *lx);

/*
 * A selector under @id (taken over: freed with the index), evaluated
 * against every item; a selector put again under its id replaces it.
 */
int kp_lx_sel_put(struct kp_lx *lx, const char *id, struct kp_sel *sel);
void kp_lx_sel_del(struct kp_lx *lx, const char *id);

/* An item's labels (copied) and parent ("" or NULL: none), new or replaced. */
int kp_lx_item_put(struct kp_lx *lx, const char *id, const char *parent,
		   const struct kp_label *labels, unsigned int n);
void kp_lx_item_del(struct kp_lx *lx, const char *id);

/* A parent's labels (copied); its children, present or to come, inherit them. */
int kp_lx_parent_put(struct kp_lx *lx, const char *id, const struct kp_label *labels,
		     unsigned int n);
void kp_lx_parent_del(struct kp_lx *lx, const char *id);

/* Calls @fn for each (selector, item) pair that matches, in no order; @fn must not change @lx. */
void kp_lx_pairs(const struct kp_lx *lx, void (*fn)(const char *sel_id, const char *item_id,
						    void *arg), void *arg);

#endif /* KPLANE_AGENT_LABELINDEX_H */
