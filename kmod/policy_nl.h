/* SPDX-License-Identifier: GPL-2.0 */
/* Generic netlink handlers for IP sets, policies, endpoint policy, trace. */
#ifndef KPLANE_POLICY_NL_H
#define KPLANE_POLICY_NL_H

#include <net/genetlink.h>

struct kp_endpoint;
struct kp_node;
struct kp_pol_journal;

int kp_nl_ipset_set(struct sk_buff *skb, struct genl_info *info);
int kp_nl_ipset_update(struct sk_buff *skb, struct genl_info *info);
int kp_nl_ipset_del(struct sk_buff *skb, struct genl_info *info);
int kp_nl_ipset_dump(struct sk_buff *skb, struct netlink_callback *cb);
int kp_nl_pol_set(struct sk_buff *skb, struct genl_info *info);
int kp_nl_pol_del(struct sk_buff *skb, struct genl_info *info);
int kp_nl_pol_dump(struct sk_buff *skb, struct netlink_callback *cb);
int kp_nl_ep_policy(struct sk_buff *skb, struct genl_info *info);
int kp_nl_trace(struct sk_buff *skb, struct genl_info *info);
/*
 * Parses and applies one policy change (@cmd, one of IPSET_SET/UPDATE/DEL,
 * POLICY_SET/DEL, ENDPOINT_POLICY, with its request nest), journaled in @j
 * when a transaction commits it; ENDPOINT_DEL only so.  Caller holds
 * the node's lock.
 */
int kp_pol_op_apply(struct kp_node *node, u8 cmd, const struct nlattr *nest,
		    struct kp_pol_journal *j, struct netlink_ext_ack *extack);
/* An endpoint's INGRESS and EGRESS attachments, as configured. */
int kp_put_ep_policy(struct sk_buff *skb, const struct kp_endpoint *ep);

#endif /* KPLANE_POLICY_NL_H */
