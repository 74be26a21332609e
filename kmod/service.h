/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Services: a frontend (address, port, protocol) and its backends, with a
 * Maglev table over the usable ones.  A service object is immutable once
 * published: SERVICE_SET builds a new one and swaps it in, so a connect()
 * sees the old backend set or the new one, never a mix.
 *
 * Writers hold the table's lock (its node's); the connect hook reads under
 * RCU.
 */
#ifndef KPLANE_SERVICE_H
#define KPLANE_SERVICE_H

#include <linux/rhashtable-types.h>
#include <linux/list.h>
#include <uapi/linux/kplane.h>
#include "validate.h"

struct netlink_ext_ack;

/* What a socket address is matched on; compared as bytes. */
struct kp_svc_key {
	u8 family;
	u8 proto;
	__be16 port;
	u8 addr[16];
};

struct kp_budget;

struct kp_backend {
	struct kp_addr addr;
	__be16 port;
	u8 state;		/* enum kplane_be_state */
	bool local;		/* runs on this node */
	u32 weight;
};

/* One Maglev table over some of a service's backends. */
struct kp_svc_lb {
	u32 n_usable;		/* backends the table points at; 0: refuse */
	u16 *table;		/* maglev_size entries, NULL when n_usable is 0 */
};

struct kp_service {
	struct rhash_head node;
	struct list_head list;	/* insertion order, for dumps */
	u64 seq;		/* dump cursor; kept across replacement */
	struct kp_svc_key key;
	char id[KPLANE_ID_MAX];
	u8 type;		/* enum kplane_svc_type */
	u8 ext_policy;		/* enum kplane_traffic_policy */
	u8 int_policy;
	u32 affinity_timeout;	/* seconds; 0: no ClientIP affinity */
	u32 maglev_size;
	u32 n_backends;
	struct kp_backend *backends;
	struct kp_svc_lb all;	/* every usable backend */
	struct kp_svc_lb local;	/* usable node-local ones; built for a Local policy */
	/*
	 * While a commit is being published (node.h's views): bit V set means
	 * absent from view V, and @next is what replaces it there.  0 between
	 * commits.
	 */
	u8 hidden;
	struct kp_service __rcu *next;
	/* The node's configuration memory it is charged to (kp_svc_charge). */
	struct kp_budget *budget;
	long charged;
	struct rcu_head rcu;
};

struct kp_svc_table {
	struct mutex *lock;		/* guards every change (its node's) */
	struct rhashtable ht;
	struct list_head list;
	unsigned int count;
	u64 next_seq;
	unsigned int wild;	/* NodePorts on every node address */
	atomic64_t full;	/* sets refused at the limit */
};

extern unsigned int kp_max_services;

int kp_svc_table_init(struct kp_svc_table *tbl, struct mutex *lock);
void kp_svc_table_destroy(struct kp_svc_table *tbl);

/* A service with room for @n backends, not yet built or published. */
struct kp_service *kp_svc_alloc(unsigned int n);
void kp_svc_free(struct kp_service *svc);
/* Charges @svc's memory, built or not, to the node budget @b (its lock held). */
int kp_svc_charge(struct kp_service *svc, struct kp_budget *b, struct netlink_ext_ack *extack);
/* Builds the Maglev table over the usable backends. */
int kp_svc_build(struct kp_service *svc, struct netlink_ext_ack *extack);
/* Inserts @svc or replaces the service with its key; takes it in every case. */
int kp_svc_table_set(struct kp_svc_table *tbl, struct kp_service *svc,
		     unsigned int limit, struct netlink_ext_ack *extack);
void kp_svc_table_del(struct kp_svc_table *tbl, struct kp_service *svc);
/*
 * A commit's service changes, in three steps: kp_svc_stage() makes @svc
 * (NULL: a deletion) replace @old (NULL: none) in view @staged only;
 * after the views flip, kp_svc_table_set()/_del() finish it as a direct
 * change would.  kp_svc_unstage() takes back a staged change.
 */
int kp_svc_stage(struct kp_svc_table *tbl, struct kp_service *old, struct kp_service *svc,
		 unsigned int staged);
void kp_svc_unstage(struct kp_svc_table *tbl, struct kp_service *old, struct kp_service *svc);
/* Control plane: the committed service for @key. */
struct kp_service *kp_svc_lookup(struct kp_svc_table *tbl, const struct kp_svc_key *key);
/*
 * The backend for a flow hash, or NULL when the service has none usable.
 * @local: pick among node-local backends only (a Local traffic policy).
 */
const struct kp_backend *kp_svc_pick(const struct kp_service *svc, u64 hash, bool local);
/* The service for @key: the exact frontend or, failing that, a NodePort on
 * every node address (the caller checks the address is the node's).
 */
struct kp_service *kp_svc_lookup_wild(struct kp_svc_table *tbl, const struct kp_svc_key *key,
				      unsigned int view);
/* A NodePort on every node address (its frontend address is unspecified). */
bool kp_svc_is_wild(const struct kp_service *svc);
/* Whether @svc still has @be (address and port) among its backends. */
bool kp_svc_has_backend(const struct kp_service *svc, const u8 *addr, __be16 port);
/* The backend at @addr/@port if new connections may use it (@local scope). */
const struct kp_backend *kp_svc_usable(const struct kp_service *svc, const u8 *addr,
				       __be16 port, bool local);

#endif /* KPLANE_SERVICE_H */
