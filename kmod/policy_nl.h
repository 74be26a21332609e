/* SPDX-License-Identifier: GPL-2.0 */
/* Generic netlink handlers for IP sets, policies, endpoint policy, trace. */
#ifndef KPLANE_POLICY_NL_H
#define KPLANE_POLICY_NL_H

#include <net/genetlink.h>

struct kp_endpoint;
struct kp_node;

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
 * One policy change (IPSET_SET/UPDATE/DEL, POLICY_SET/DEL, ENDPOINT_POLICY,
 * ENDPOINT_DEL) from its request @nest: parsed, then applied now or staged
 * in the transaction the request names.
 */
int kp_nl_pol_change(struct genl_info *info, const struct nlattr *nest);
/* An endpoint's INGRESS and EGRESS attachments, as configured. */
int kp_put_ep_policy(struct sk_buff *skb, const struct kp_endpoint *ep);

#endif /* KPLANE_POLICY_NL_H */
