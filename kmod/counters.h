/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Policy rule counters: packets and bytes per rule, per CPU.  Every packet
 * of an approved flow adds to the rules that decided it; one shared counter
 * per rule would have every CPU of a busy node writing the same cache line
 * (one allow rule often decides most flows).  Readers sum over CPUs.
 *
 * A rule is known by a hash of its request bytes (as Calico names rules by
 * a hash of their content): when a policy is replaced, each rule of the new
 * one that is identical to a rule of the old one starts from the old one's
 * counts, wherever it moved to.
 */
#ifndef KPLANE_COUNTERS_H
#define KPLANE_COUNTERS_H

#include <linux/percpu.h>
#include <linux/rcupdate.h>
#include <linux/types.h>

struct kp_rule_stats {
	u64 packets;
	u64 bytes;
};

/* One per-CPU allocation holds at most PCPU_MIN_UNIT_SIZE: rules go in blocks. */
#define KP_COUNTERS_BLOCK (PCPU_MIN_UNIT_SIZE / sizeof(struct kp_rule_stats))

struct kp_rule_counters {
	u32 n_rules;
	u64 *ids;			/* each rule's content hash */
	struct rcu_head rcu;
	struct kp_rule_stats __percpu *block[];
};

/* Zeroed counters for @n rules; NULL when out of memory. */
struct kp_rule_counters *kp_counters_alloc(u32 n);
void kp_counters_free(struct kp_rule_counters *c);
/*
 * Frees @c after a grace period, called once the policy it counts for was
 * itself unreachable for one (see kp_pol_free_rcu): a cached verdict may
 * still hand a reader these counters for a moment after that.
 */
void kp_counters_retire(struct kp_rule_counters *c);
struct kp_rule_stats __percpu *kp_counters_of(const struct kp_rule_counters *c, u32 rule);
void kp_counters_read(const struct kp_rule_stats __percpu *s, u64 *packets, u64 *bytes);
/* Counts @from's rules into the identical rules of @to (by id), each at most once. */
void kp_counters_carry(struct kp_rule_counters *to, const struct kp_rule_counters *from);

/* Packet path: preemptible (LOCAL_OUT) or not, irq-safe this_cpu ops. */
static inline void kp_counters_add(struct kp_rule_stats __percpu *s, unsigned int len)
{
	this_cpu_inc(s->packets);
	this_cpu_add(s->bytes, len);
}

#endif
