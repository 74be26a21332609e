/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The policy matcher: rules, policies, an endpoint's ordered tiers, and the
 * evaluation of one packet with Calico's semantics.  The datapath and
 * `kplanectl trace` both call kp_prog_eval(), so a trace is what the
 * datapath would do.  Pure computation, built in the kernel and in userspace
 * (unit tests, the differential test, the fuzzer); callers own the objects.
 */
#ifndef KPLANE_MATCH_H
#define KPLANE_MATCH_H

#include "core.h"
#include "prefix.h"
#include <uapi/linux/kplane.h>

/* Limits of one rule's lists. */
#define KP_RULE_NETS_MAX	1024
#define KP_RULE_SETS_MAX	16
#define KP_RULE_PORTS_MAX	64

/* A named IP set's members in one view of the configuration (kmod/node.h). */
struct kp_ipset_data {
	struct kp_prefix_set s;
	struct rcu_head rcu;		/* its owner frees it after a grace period */
};

/*
 * What the matcher reads of a named IP set: its members per view.  The
 * owner's set (struct kp_ipset: kmod/policy.h, or the unit tests') begins
 * with it, so rules keep pointers to the owner's object.
 */
struct kp_ipset_view {
	struct kp_ipset_data __rcu *data[2];
};

struct kp_ipset;

/* The members of @set in @view; the caller is in an RCU read-side section. */
static inline const struct kp_prefix_set *kp_ipset_members(const struct kp_ipset *set,
							   unsigned int view)
{
	const struct kp_ipset_view *v = (const struct kp_ipset_view *)set;
	const struct kp_ipset_data *d = rcu_dereference(v->data[view]);

	return d ? &d->s : NULL;
}

struct kp_port_range {
	u16 lo, hi;		/* inclusive, host order */
};

/* Source or destination side of a rule.  Every given criterion must hold. */
struct kp_rule_side {
	struct kp_prefix_set nets;	/* in any of them */
	struct kp_prefix_set not_nets;	/* in none of them */
	u8 n_sets, n_not_sets;
	struct kp_ipset **sets;		/* in every one */
	struct kp_ipset **not_sets;	/* in none */
	u16 n_ports, n_not_ports;
	struct kp_port_range *ports;	/* in any range */
	struct kp_port_range *not_ports;	/* in no range */
};

/* Bits of kp_rule.flags: which optional criteria are set. */
#define KP_RULE_PROTO		(1U << 0)
#define KP_RULE_NOT_PROTO	(1U << 1)
#define KP_RULE_ICMP_TYPE	(1U << 2)
#define KP_RULE_ICMP_CODE	(1U << 3)
#define KP_RULE_NOT_ICMP_TYPE	(1U << 4)
#define KP_RULE_NOT_ICMP_CODE	(1U << 5)

struct kp_rule {
	u8 action;		/* enum kplane_action */
	u8 flags;
	u8 proto, not_proto;
	u8 icmp_type, icmp_code;
	u8 not_icmp_type, not_icmp_code;
	struct kp_rule_side src, dst;
};

/*
 * One direction's rules by what a packet must carry to match them: a rule
 * naming a few destination ports under each (protocol, port) it names, the
 * others in a list every packet walks.  A packet's candidates are its
 * (protocol, port)'s rules merged with that list in rule order, so the first
 * match is the one a walk of every rule finds, and a first packet does not
 * test thousands of rules written for other ports.
 */
struct kp_rule_index {
	u32 n_keyed, n_wild;
	u64 *keyed;		/* proto << 48 | port << 32 | rule, ascending */
	u32 *wild;		/* rule numbers, ascending */
};

/* Directions with fewer rules are walked rule by rule. */
#define KP_INDEX_MIN_RULES	16
/* A rule naming more destination ports than this is walked by every packet. */
#define KP_INDEX_RULE_PORTS	16

struct kp_policy {
	char id[KPLANE_ID_MAX];
	char tier[KPLANE_ID_MAX];
	u32 order;		/* lower first within a tier; ties by id */
	u8 types;		/* KPLANE_POLICY_INGRESS | _EGRESS */
	bool apply_on_forward;	/* also judges traffic a host endpoint forwards */
	u32 n_rules[__KPLANE_DIR_MAX];
	struct kp_rule *rules[__KPLANE_DIR_MAX];
	struct kp_rule_index *index[__KPLANE_DIR_MAX];	/* NULL: walk them all */
};

/* One tier of an endpoint's program: its policies, in evaluation order. */
struct kp_tier_prog {
	const char *name;
	u32 n;
	const struct kp_policy **pols;
};

/* What applies to one endpoint in one direction: tiers in order. */
struct kp_prog {
	u32 n_tiers;
	struct kp_tier_prog *tiers;
};

/* A packet as rules see it.  Ports and ICMP fields only for their protocols. */
struct kp_match_pkt {
	u8 family, proto;
	u8 icmp_type, icmp_code;
	u16 sport, dport;	/* host order */
	u8 saddr[16], daddr[16];
	u8 view;		/* which view of IP sets to read (kp_ipset_members) */
	/*
	 * Judged for a host endpoint the packet is forwarded through: only
	 * apply_on_forward policies apply (Calico); a tier with none of them
	 * is skipped.
	 */
	bool forwarded;
};

struct kp_verdict {
	u8 action;		/* KPLANE_ACTION_ALLOW or _DENY */
	u8 reason;		/* enum kplane_verdict_reason */
	s32 tier;		/* index in the program, -1: none */
	const struct kp_policy *policy;	/* the deciding rule's, else NULL */
	s32 rule;		/* its index in the direction's rules, -1: none */
};

/* Called for each Log rule a packet matches, in order. */
typedef void (*kp_log_fn)(void *arg, const struct kp_policy *pol, unsigned int dir,
			  unsigned int rule, const struct kp_match_pkt *pkt);

/* NULL if @r is a rule that can be installed, else why not. */
const char *kp_rule_invalid(const struct kp_rule *r);
bool kp_rule_match(const struct kp_rule *r, const struct kp_match_pkt *pkt);
/* Frees what a rule points to (not the rule). */
void kp_rule_release(struct kp_rule *r);
/*
 * Indexes each direction of @pol with at least @min_rules rules (the
 * kernel: KP_INDEX_MIN_RULES).  -ENOMEM leaves @pol unindexed, still whole.
 */
int kp_policy_index(struct kp_policy *pol, u32 min_rules);
void kp_rule_index_free(struct kp_rule_index *ix);
/* Frees a policy's rules and indexes, not the policy (its owner's to free). */
void kp_policy_release(struct kp_policy *pol);
/* Evaluation order of policies within a tier: order, then id. */
int kp_policy_cmp(const void *a, const void *b);
void kp_prog_eval(const struct kp_prog *prog, unsigned int dir, const struct kp_match_pkt *pkt,
		  kp_log_fn log, void *arg, struct kp_verdict *v);

#endif /* KPLANE_MATCH_H */
