/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Request policies and parsers for IP sets, policies and rules, endpoint
 * policy attachments and traces (one nla_policy per nesting level).
 */
#ifndef KPLANE_POLICY_ATTRS_H
#define KPLANE_POLICY_ATTRS_H

#include <net/netlink.h>
#include "match.h"

struct kp_attach;
struct kp_ipset_cfg;
struct kp_pol;
struct kp_pol_table;

extern const struct nla_policy kp_prog_nla_policy[KPLANE_PROG_A_MAX + 1];
extern const struct nla_policy kp_ipset_req_nla_policy[KPLANE_A_MAX + 1];
extern const struct nla_policy kp_pol_req_nla_policy[KPLANE_A_MAX + 1];
extern const struct nla_policy kp_trace_req_nla_policy[KPLANE_A_MAX + 1];

/* @update: REMOVE allowed (IPSET_UPDATE); @key_only: just the name (DEL). */
int kp_ipset_parse(const struct nlattr *nest, bool update, bool key_only,
		   struct kp_ipset_cfg *cfg, struct netlink_ext_ack *extack);
/* The id of a KPLANE_A_POLICY nest that must carry nothing else (DEL). */
int kp_pol_parse_id(const struct nlattr *nest, char *id, struct netlink_ext_ack *extack);
/*
 * A whole policy, its rules' IP sets by name (kp_pol_set finds them);
 * kp_pol_free() it.
 */
int kp_pol_parse(const struct nlattr *nest, struct kp_pol **out, struct netlink_ext_ack *extack);
/* An endpoint's INGRESS and EGRESS (either may be NULL); kvfree(*out). */
int kp_attach_parse(const struct nlattr *ingress, const struct nlattr *egress,
		    struct kp_attach **out, u32 *n, struct netlink_ext_ack *extack);

struct kp_trace_cfg {
	char endpoint[KPLANE_ID_MAX];	/* empty: sent by the node */
	struct kp_match_pkt pkt;
};

int kp_trace_parse(const struct nlattr *nest, struct kp_trace_cfg *cfg,
		   struct netlink_ext_ack *extack);

#endif /* KPLANE_POLICY_ATTRS_H */
