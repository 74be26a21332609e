/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Services: a frontend (address, port, protocol) and its backends, with a
 * Maglev table over the usable ones.  A service object is immutable once
 * published: SERVICE_SET builds a new one and swaps it in, so a connect()
 * sees the old backend set or the new one, never a mix.
 *
 * Writers hold kplane_mutex; the connect hook reads under RCU.
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

struct kp_backend {
	struct kp_addr addr;
	__be16 port;
	u8 state;		/* enum kplane_be_state */
	u32 weight;
};

struct kp_service {
	struct rhash_head node;
	struct list_head list;	/* insertion order, for dumps */
	u64 seq;		/* dump cursor; kept across replacement */
	struct kp_svc_key key;
	char id[KPLANE_ID_MAX];
	u8 type;		/* enum kplane_svc_type */
	u32 maglev_size;
	u32 n_backends;
	u32 n_usable;		/* backends the table points at; 0: refuse */
	struct kp_backend *backends;
	u16 *table;		/* maglev_size entries, NULL when n_usable is 0 */
	struct rcu_head rcu;
};

struct kp_svc_table {
	struct rhashtable ht;
	struct list_head list;
	unsigned int count;
	u64 next_seq;
	atomic64_t full;	/* sets refused at the limit */
};

extern unsigned int kp_max_services;

int kp_svc_table_init(struct kp_svc_table *tbl);
void kp_svc_table_destroy(struct kp_svc_table *tbl);

/* A service with room for @n backends, not yet built or published. */
struct kp_service *kp_svc_alloc(unsigned int n);
void kp_svc_free(struct kp_service *svc);
/* Builds the Maglev table over the usable backends. */
int kp_svc_build(struct kp_service *svc, struct netlink_ext_ack *extack);
/* Inserts @svc or replaces the service with its key; the table owns it after. */
int kp_svc_table_set(struct kp_svc_table *tbl, struct kp_service *svc,
		     unsigned int limit, struct netlink_ext_ack *extack);
void kp_svc_table_del(struct kp_svc_table *tbl, struct kp_service *svc);
struct kp_service *kp_svc_lookup(struct kp_svc_table *tbl, const struct kp_svc_key *key);
/* The backend for a flow hash, or NULL when the service has none usable. */
const struct kp_backend *kp_svc_pick(const struct kp_service *svc, u64 hash);

#endif /* KPLANE_SERVICE_H */
