/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Transactions: a client begins one on its node, stages changes (validated
 * as they arrive, so a refused change is refused at once), then
 * commits or aborts.  Commit checks every staged change against the current
 * tables before touching any, then applies them all under the node's lock; an
 * abort (or the client's socket closing) discards them, and nothing it
 * staged was ever visible.
 *
 * A transaction belongs to the netlink socket that began it.  Within one,
 * the last change to a frontend wins.  All under the node's lock.
 *
 * Policy and endpoint changes (IP sets, policies, endpoint add, delete and
 * policy) are parsed whole as they arrive (struct kp_pol_change) and
 * applied at commit, in the order staged, before the service changes: each
 * may depend on the ones before it (a policy naming a set made earlier in
 * the transaction, an endpoint attaching that policy), so what they name
 * is looked up as they apply, and the first refusal puts back every such
 * change the commit made.
 */
#ifndef KPLANE_TXN_H
#define KPLANE_TXN_H

#include <linux/list.h>
#include <linux/rhashtable-types.h>
#include "policy.h"
#include "service.h"

struct kp_attach;
struct kp_endpoint;
struct kp_node;
struct kp_pol;
struct kp_pol_journal;
struct netlink_ext_ack;

/*
 * A policy or endpoint change, parsed whole when it arrives (by the netlink
 * layer): applied at commit, or at once outside a transaction.  What it
 * names (sets, policies, endpoints) is looked up when it applies.
 */
struct kp_pol_change {
	u8 cmd;				/* KPLANE_CMD_{IPSET,POLICY,ENDPOINT}_* */
	char id[KPLANE_ID_MAX];		/* POLICY_DEL, ENDPOINT_POLICY and _DEL */
	struct kp_ipset_cfg set;	/* IPSET_* */
	struct kp_pol *pol;		/* POLICY_SET */
	struct kp_attach *attach;	/* ENDPOINT_POLICY and _ADD */
	u32 n_attach;
	/*
	 * ENDPOINT_ADD: built.  Its pod netns reference is the stager's to
	 * drop (a transaction op holds it), not the change's.
	 */
	struct kp_endpoint *ep;
};

/* Applies @c (journaled in @j within a commit); takes what it uses. */
int kp_pol_change_apply(struct kp_node *node, struct kp_pol_change *c,
			struct kp_pol_journal *j, struct netlink_ext_ack *extack);
/* Frees what @c still holds. */
void kp_pol_change_release(struct kp_pol_change *c);

struct kp_txn {
	struct list_head list;		/* node->txns */
	u32 id;
	u32 portid;			/* the owning socket */
	unsigned int n_ops;
	struct rhashtable ops;		/* struct kp_txn_op by service key */
	struct list_head order;		/* the same, in staging order */
	struct list_head pol_ops;	/* struct kp_txn_pol_op, in staging order */
	struct kp_budget *budget;	/* the node's configuration memory */
	/* Staged services whose tables are not built yet (txn.c). */
	spinlock_t build_lock;
	struct list_head build_queue;
	struct work_struct build;
};

/* Open transactions per node, and the changes one may stage. */
#define KP_TXNS_MAX	16
extern unsigned int kp_max_txn_ops;

int kp_txn_init(void);
void kp_txn_uninit(void);

int kp_txn_begin(struct kp_node *node, u32 portid, u32 *id, struct netlink_ext_ack *extack);
/* The open transaction @id of @portid, or NULL with an extack message. */
struct kp_txn *kp_txn_find(struct kp_node *node, u32 id, u32 portid,
			   struct netlink_ext_ack *extack);
/* Stages @svc (not built: its tables are built in the background and
 * checked at commit); takes it in every case.
 */
int kp_txn_stage_svc_set(struct kp_txn *txn, struct kp_service *svc,
			 struct netlink_ext_ack *extack);
int kp_txn_stage_svc_del(struct kp_node *node, struct kp_txn *txn,
			 const struct kp_svc_key *key, struct netlink_ext_ack *extack);
/*
 * Stages @c, charging what it holds to the node's configuration memory;
 * takes its contents on success.
 */
int kp_txn_stage_pol(struct kp_txn *txn, struct kp_pol_change *c,
		     struct netlink_ext_ack *extack);
/* Applies everything or nothing; the transaction is gone either way. */
int kp_txn_commit(struct kp_node *node, struct kp_txn *txn, struct netlink_ext_ack *extack);
void kp_txn_abort(struct kp_node *node, struct kp_txn *txn);
/* Node disable: every open transaction goes. */
void kp_txn_abort_all(struct kp_node *node);

#endif /* KPLANE_TXN_H */
