/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A node: a network namespace in which kplane is enabled.  Its state hangs
 * off pernet_operations; hooks are registered only while it is enabled.
 *
 * Layers (kmod/objects.mk), each calling only itself and those below:
 *   lib       pure code shared with userspace (kmod/lib/)
 *   tables    the node's objects; each takes the lock that guards it
 *   datapath  packets and connects, under RCU, never a mutex
 *   control   node lifecycle, hooks, transactions and their commit
 *   netlink   requests parsed into configuration, handlers, fillers
 *
 * Locking, in the order taken:
 *   pernet_ops_rwsem (netns exit), rtnl (NETDEV_UNREGISTER)
 *     -> kp_node.lock          one node's configuration: its tables, settings,
 *                              transactions, enable and disable, its dumps
 *        -> kp_node.hooks_lock its endpoints' ingress hooks and the
 *                              enabled flag's transitions: held briefly,
 *                              never across a commit, so the device
 *                              notifier under rtnl never waits for one
 *        -> kp_sockhook_lock   the connect probes' users (sockhook.c)
 * No lock spans nodes.  The pod netns index (endpoint.c) is an rhashtable,
 * safe for concurrent writers of different nodes; an entry is changed
 * only under its node's lock.  Packets and connects take none of these.
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
 * Per-CPU packet and connect counters, each with its netlink attribute
 * (KPLANE_COUNTER_A_*): adding one is a line here and its kp_node_inc().
 * Written from softirq, from kprobe handlers and from preemptible process
 * context (LOCAL_OUT), so only with this_cpu operations: one instruction
 * each on x86-64, safe against preemption and interrupts, where
 * this_cpu_ptr()->x++ could migrate or be interrupted half-way and lose
 * counts.  A u64 is read whole on 64-bit hosts.
 */
#define KP_NODE_STATS(X)			\
	X(rx_packets, RX_PACKETS)		\
	X(rx_bytes, RX_BYTES)			\
	X(connect_lb, CONNECT_LB)		\
	X(connect_refused, CONNECT_REFUSED)	\
	X(nat_packets, NAT_PACKETS)		\
	X(nat_refused, NAT_REFUSED)		\
	X(policy_checked, POLICY_CHECKED)	\
	X(policy_bypassed, POLICY_BYPASSED)	\
	X(policy_denied, POLICY_DENIED)		\
	X(policy_failsafe, POLICY_FAILSAFE)	\
	X(fast_forwarded, FAST_FORWARDED)	\
	X(policy_related, POLICY_RELATED)	\
	X(spoofed, SPOOFED)

#define KP_STAT_ENUM(name, attr) KP_STAT_##name,
enum kp_node_stat {
	KP_NODE_STATS(KP_STAT_ENUM)
	__KP_STAT_MAX
};
#undef KP_STAT_ENUM

/* One CPU's counters, or (kp_node_counters()) their sum over CPUs. */
struct kp_node_counters {
	u64 v[__KP_STAT_MAX];
};

struct kp_node {
	struct net *net;
	struct mutex lock;		/* see Locking above */
	struct mutex hooks_lock;
	bool enabled;			/* changed under both locks */
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

/* One more on the per-CPU counter @name of @node (any context). */
#define kp_node_inc(node, name) this_cpu_inc((node)->stats->v[KP_STAT_##name])

/* A packet of @len bytes arrived at @node's hooks (any context). */
static inline void kp_node_rx(struct kp_node *node, unsigned int len)
{
	this_cpu_inc(node->stats->v[KP_STAT_rx_packets]);
	this_cpu_add(node->stats->v[KP_STAT_rx_bytes], len);
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
 * Create or replace (kp_node_svc_set, which takes @svc in every case) or delete a
 * service, and let what followed its departed backends move: UDP flows of
 * the packet path are dropped, connected UDP sockets reconnected.  Callers
 * hold the node's lock and bump the generation.
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

/* The staged view's pointer of a slot pair (under the node's lock). */
#define kp_slot_staged(node, slots)					\
	rcu_dereference_protected((slots)[kp_view_staged(node)],	\
				  lockdep_is_held(&(node)->lock))

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
						     lockdep_is_held(&(node)->lock)))

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
