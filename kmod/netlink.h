/* SPDX-License-Identifier: GPL-2.0 */
/* The "kplane" generic netlink family: see include/uapi/linux/kplane.h. */
#ifndef KPLANE_NETLINK_H
#define KPLANE_NETLINK_H

#include <net/genetlink.h>

struct kp_node;
struct kp_txn;

int kp_netlink_init(void);
void kp_netlink_uninit(void);

/* Shared by the handler files (netlink.c, policy_nl.c). */

/*
 * Dump cursor: the insertion number of the last object sent (unlike a
 * position, it survives deletions earlier in the list, so an object that
 * exists for the whole dump is sent exactly once even when the dump is
 * flagged NLM_F_DUMP_INTR), and for objects that span messages, where the
 * next part starts.
 */
struct kp_dump_ctx {
	u64 last_seq;
	u32 next_part;
	bool started;
};

struct kp_node *kp_info_node(struct genl_info *info);
/* Commands on a node's objects need it enabled; says so plainly if not. */
int kp_require_enabled(struct kp_node *node, struct netlink_ext_ack *extack);
/*
 * The transaction a change names with KPLANE_A_TXN_ID: NULL when it names
 * none (apply now), else the transaction or ERR_PTR.  Under the node's lock.
 */
struct kp_txn *kp_nl_txn(struct genl_info *info);
/* Fills one reply with @fill under the node's lock and sends it. */
int kp_nl_reply(struct genl_info *info, u8 cmd, size_t size,
		int (*fill)(struct sk_buff *msg, struct genl_info *info));
int kp_put_ip(struct sk_buff *skb, int type, u16 family, const void *ip);
/*
 * Head of every node dump part, under the node's lock: records the node's
 * generation.  Returns 0 to go on, 1 to end the dump, or -errno.
 */
int kp_dump_begin(struct netlink_callback *cb, struct kp_node *node);
/* A dump message header, checked for consistency; NULL when the skb is full. */
void *kp_dump_put_hdr(struct sk_buff *skb, struct netlink_callback *cb, u8 cmd);
/* Puts one object as one dump message; false when the skb is full. */
bool kp_dump_one(struct sk_buff *skb, struct netlink_callback *cb, u8 cmd,
		 int (*put)(struct sk_buff *skb, struct net *net, const void *obj),
		 const void *obj, u64 seq);

#endif /* KPLANE_NETLINK_H */
