/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A node: a network namespace in which kplane is enabled.  Its state hangs
 * off pernet_operations; hooks are registered only while it is enabled.
 */
#ifndef KPLANE_NODE_H
#define KPLANE_NODE_H

#include <linux/mutex.h>
#include <linux/percpu.h>
#include <net/netns/generic.h>
#include "endpoint.h"
#include "flow.h"
#include "policy.h"
#include "settings.h"
#include "service.h"

/*
 * Serialises every configuration change over all nodes and the netns exit
 * path, so cross-node state (the pod netns index) needs no finer locking.
 * Control-plane only: packets never take it.
 */
extern struct mutex kplane_mutex;

/*
 * Per-CPU packet and connect counters.  Written from softirq, from kprobe
 * handlers and from preemptible process context (LOCAL_OUT), so only with
 * this_cpu operations: one instruction each on x86-64, safe against
 * preemption and interrupts, where this_cpu_ptr()->x++ could migrate or be
 * interrupted half-way and lose counts.  A u64 is read whole on 64-bit hosts.
 * The same type carries their sum over CPUs (kp_node_counters()).
 */
struct kp_node_counters {
	u64 rx_packets;
	u64 rx_bytes;
	u64 connect_lb;
	u64 connect_refused;
	u64 nat_packets;
	u64 nat_refused;
	u64 policy_checked;
	u64 policy_bypassed;
	u64 policy_denied;
	u64 policy_failsafe;
	u64 fast_forwarded;
	u64 policy_related;
	u64 spoofed;
};

struct kp_node {
	struct net *net;
	bool enabled;
	/* Bumped by every change; dumps use it to detect a racing change. */
	u32 generation;
	/*
	 * Which of two views of the configuration packets read (0 or 1).  What
	 * the datapath reaches through a changeable pointer has one per view
	 * (kp_slot_*); a commit writes the staged view only, then
	 * kp_node_publish() flips this, so traffic sees all of a commit or none
	 * of it.  Between commits both views are equal.
	 */
	u8 view;
	struct kp_ep_table eps;
	struct kp_svc_table svcs;
	struct kp_flow_table flows;
	struct kp_pol_table pol;
	struct list_head txns;		/* open transactions (txn.c) */
	unsigned int n_txns;
	u32 next_txn_id;
	struct kp_node_counters __percpu *stats;
	struct kp_budget *lb_quota;	/* its sockets' share of the socket table */
	struct kp_budget *cfg_budget;	/* its services' and staged changes' memory */
	struct kp_settings set;		/* its own, over the host's (settings.h) */
};

/* One more on a per-CPU counter of @node (any context). */
#define kp_node_inc(node, field) this_cpu_inc((node)->stats->field)

/* A packet of @len bytes arrived at @node's hooks (any context). */
static inline void kp_node_rx(struct kp_node *node, unsigned int len)
{
	this_cpu_inc(node->stats->rx_packets);
	this_cpu_add(node->stats->rx_bytes, len);
}

int kp_node_init(void);
void kp_node_uninit(void);

/* Where each netns keeps its node (pernet_operations: node.c; defined in lb.c). */
extern unsigned int kp_net_id;

static inline struct kp_node *kp_node_get(const struct net *net)
{
	return net_generic(net, kp_net_id);
}

/*
 * Create or replace (kp_node_svc_set, which then owns @svc) or delete a
 * service, and let what followed its departed backends move: UDP flows of
 * the packet path are dropped, connected UDP sockets reconnected.  Callers
 * hold kplane_mutex and bump the generation.
 */
int kp_node_svc_set(struct kp_node *node, struct kp_service *svc, unsigned int limit,
		    struct netlink_ext_ack *extack);
void kp_node_svc_del(struct kp_node *node, struct kp_service *svc);
/*
 * What followed backends that left @svc (NULL: every UDP service, as the
 * table has it after a commit, in one pass) moves: see above.
 */
void kp_node_udp_moved(struct kp_node *node, const struct kp_service *svc);
int kp_node_enable(struct kp_node *node, struct netlink_ext_ack *extack);
void kp_node_disable(struct kp_node *node);
void kp_node_counters(const struct kp_node *node, struct kp_node_counters *c);

/* A configuration change: dumps running across it start over. */
static inline void kp_node_changed(struct kp_node *node)
{
	/* Never 0: netlink treats a zero dump sequence as "not tracked". */
	if (!++node->generation)
		node->generation = 1;
}

/* Datapath: the view to read, once per decision; pairs with kp_node_publish(). */
static inline unsigned int kp_view(const struct kp_node *node)
{
	return smp_load_acquire(&node->view);
}

/* Control plane: the view changes are written to (the next one). */
static inline unsigned int kp_view_staged(const struct kp_node *node)
{
	return node->view ^ 1;
}

/* The staged view's pointer of a slot pair (under kplane_mutex). */
#define kp_slot_staged(node, slots)					\
	rcu_dereference_protected((slots)[kp_view_staged(node)],	\
				  lockdep_is_held(&kplane_mutex))

/*
 * Publishes @p in the staged view and, for a change outside a commit
 * (@live), in the view packets read as well; evaluates to the staged view's
 * old pointer (the same in both views, as between commits they are equal).
 */
#define kp_slot_set(node, slots, p, live) ({				\
	typeof(p) __old = kp_slot_staged(node, slots);			\
									\
	rcu_assign_pointer((slots)[kp_view_staged(node)], p);		\
	if (live)							\
		rcu_assign_pointer((slots)[(node)->view], p);		\
	__old;								\
})

/* After kp_node_publish(): the view packets left catches up with the new one. */
#define kp_slot_sync(node, slots)					\
	rcu_assign_pointer((slots)[kp_view_staged(node)],		\
			   rcu_dereference_protected((slots)[(node)->view],	\
						     lockdep_is_held(&kplane_mutex)))

/*
 * A commit's changes, all in the staged view, become what packets see in one
 * step; returns once no packet reads the old view (then kp_slot_sync).
 */
void kp_node_publish(struct kp_node *node);

static inline struct kp_node *kp_node_of_table(struct kp_ep_table *tbl)
{
	return container_of(tbl, struct kp_node, eps);
}

#endif /* KPLANE_NODE_H */
