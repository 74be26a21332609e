/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Workload endpoints: a node's host-side interface for a pod, the pod's
 * addresses and (optionally) the pod's netns.  Each node keeps them in a
 * kp_ep_table; a module-wide index maps a pod netns to its endpoint, which is
 * how a socket inside a pod will find the node whose services apply.
 *
 * Writers hold the table's lock (its node's: node.h); datapath readers use
 * RCU.
 */
#ifndef KPLANE_ENDPOINT_H
#define KPLANE_ENDPOINT_H

#include <linux/rhashtable-types.h>
#include <linux/list.h>
#include <linux/netdevice.h>
#include <linux/netfilter.h>
#include <uapi/linux/kplane.h>
#include "validate.h"

struct net;
struct netlink_ext_ack;

struct kp_endpoint;
struct kp_ep_policy;

/* One address of a workload endpoint, in the node's by-address index. */
struct kp_ep_addr_ent {
	struct rhash_head node;
	struct kp_addr key;
	struct kp_endpoint *ep;
};

struct kp_endpoint {
	struct rhash_head id_node;
	struct rhash_head ifindex_node;
	struct rhash_head netns_node;
	struct list_head list;		/* table's insertion order, for dumps */
	u64 seq;			/* insertion number: ascending along list */
	struct kp_ep_table *table;
	char id[KPLANE_ID_MAX];		/* zero padded: it is the hash key */
	char ifname[IFNAMSIZ];
	int ifindex;
	/*
	 * Not a counted reference: holding one would keep a dead pod's netns
	 * (and any node netns in a cycle) alive.  The pernet exit of that
	 * netns unbinds the endpoint instead (kp_ep_reap_netns()).
	 */
	struct net *pod_net;
	unsigned int n_addrs;
	struct kp_addr addrs[KPLANE_EP_ADDR_MAX];
	/* Workload endpoints only; a host endpoint's are the node's own. */
	struct kp_ep_addr_ent addr_ents[KPLANE_EP_ADDR_MAX];
	bool host;		/* a node interface, not a pod */
	/* The fast path's hook at the interface's ingress (hooks.c); .dev NULL: none. */
	struct nf_hook_ops ingress;
	bool leaving;		/* deleted by the commit under way (policy.c) */
	struct kp_ep_policy __rcu *pol[2];	/* per view (node.h); NULL: none */
	struct rcu_head rcu;
};

struct kp_ep_table {
	struct mutex *lock;		/* guards every change (its node's) */
	struct rhashtable by_id;
	struct rhashtable by_ifindex;
	struct rhashtable by_addr;	/* kp_ep_addr_ent */
	struct list_head list;
	unsigned int count;
	bool tenant;			/* its node is a tenant's (budget.h) */
	unsigned int n_host;		/* host endpoints among them (read by the datapath) */
	u64 next_seq;
	atomic64_t full;		/* adds refused at the limit */
	atomic64_t reaped;		/* endpoints dropped with their pod netns */
};

/* Per-node limit, read at each add; 0644 so it can change at runtime. */
extern unsigned int kp_max_endpoints;

int kp_endpoint_init(void);
void kp_endpoint_uninit(void);

int kp_ep_table_init(struct kp_ep_table *tbl, struct mutex *lock);
/* Deletes every endpoint, then the table. */
void kp_ep_table_destroy(struct kp_ep_table *tbl);

struct kp_endpoint *kp_ep_alloc(void);
void kp_ep_free(struct kp_endpoint *ep);
/*
 * Takes @ep in every case (as every table add does: freed on error).  Its
 * ingress hook (hooks.c) is the caller's to add after, and to remove
 * before kp_ep_table_del.
 */
int kp_ep_table_add(struct kp_ep_table *tbl, struct kp_endpoint *ep,
		    unsigned int limit, struct netlink_ext_ack *extack);
void kp_ep_table_del(struct kp_endpoint *ep);
struct kp_endpoint *kp_ep_lookup_id(struct kp_ep_table *tbl, const char *id);
struct kp_endpoint *kp_ep_lookup_ifindex(struct kp_ep_table *tbl, int ifindex);
struct kp_endpoint *kp_ep_lookup_netns(const struct net *pod_net);
/* The workload endpoint with address @ip (4 or 16 bytes by @family). */
struct kp_endpoint *kp_ep_lookup_addr(struct kp_ep_table *tbl, u16 family, const u8 *ip);
/* Under RCU: the table of the endpoint whose pod netns @net is, or NULL. */
struct kp_ep_table *kp_ep_netns_table(const struct net *net);
/*
 * Called when @net is destroyed, under @tbl's lock: drops the endpoint bound
 * to it if @tbl has it.  False when another table has it (the caller locks
 * that one and tries again).
 */
bool kp_ep_reap_netns(struct kp_ep_table *tbl, const struct net *net);

#endif /* KPLANE_ENDPOINT_H */
