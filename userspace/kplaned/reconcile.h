/* SPDX-License-Identifier: GPL-2.0 */
#ifndef KPLANED_RECONCILE_H
#define KPLANED_RECONCILE_H

#include "kplaned.h"

struct kp_reconciler {
	struct kpl_handle *h;
	struct kp_k8s_node node;
	struct kp_metrics *m;
	struct kp_model applied;	/* what the last sync left in the kernel */
	bool have_applied;
	uint64_t pods_seen;		/* the store's WEP and NodeConfig changes then */
	double write_ms;		/* the last sync's time in the kernel (its log line) */
	struct kp_polidx polidx;	/* selectors and items, from one sync to the next */
	uint64_t evaluations_seen;	/* polidx's count at the last sync's log line */
};

/*
 * Makes the kernel's services and endpoints what @s makes on r->node: the
 * names changed since the last sync against what it applied, or (@full,
 * and always the first time) everything against a kernel dump.
 * @drift: the store did not change since the last sync, so whatever a
 * full sync writes repairs what someone else changed.
 */
int kp_reconcile(struct kp_reconciler *r, struct kp_store *s, bool full, bool drift);
void kp_reconciler_free(struct kp_reconciler *r);

#endif /* KPLANED_RECONCILE_H */
