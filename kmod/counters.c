// SPDX-License-Identifier: GPL-2.0
/* Per-CPU policy rule counters: see counters.h. */
#include <linux/bsearch.h>
#include <linux/cpumask.h>
#include <linux/slab.h>
#include <linux/sort.h>
#include "counters.h"

static u32 kp_counters_blocks(u32 n)
{
	return DIV_ROUND_UP(n, KP_COUNTERS_BLOCK);
}

struct kp_rule_counters *kp_counters_alloc(u32 n)
{
	u32 b, nb = kp_counters_blocks(n);
	struct kp_rule_counters *c;

	c = kzalloc(struct_size(c, block, nb), GFP_KERNEL_ACCOUNT);
	if (!c)
		return NULL;
	c->n_rules = n;
	c->ids = kvcalloc(n, sizeof(*c->ids), GFP_KERNEL_ACCOUNT);
	if (n && !c->ids)
		goto err;
	for (b = 0; b < nb; b++) {
		u32 rules = min_t(u32, n - b * KP_COUNTERS_BLOCK, KP_COUNTERS_BLOCK);

		c->block[b] = __alloc_percpu_gfp(rules * sizeof(struct kp_rule_stats),
						 __alignof__(struct kp_rule_stats), GFP_KERNEL_ACCOUNT);
		if (!c->block[b])
			goto err;
	}
	return c;
err:
	kp_counters_free(c);
	return NULL;
}

void kp_counters_free(struct kp_rule_counters *c)
{
	u32 b;

	if (!c)
		return;
	for (b = 0; b < kp_counters_blocks(c->n_rules); b++)
		free_percpu(c->block[b]);
	kvfree(c->ids);
	kfree(c);
}

static void kp_counters_free_rcu(struct rcu_head *rcu)
{
	kp_counters_free(container_of(rcu, struct kp_rule_counters, rcu));
}

void kp_counters_retire(struct kp_rule_counters *c)
{
	if (c)
		call_rcu(&c->rcu, kp_counters_free_rcu);
}

struct kp_rule_stats __percpu *kp_counters_of(const struct kp_rule_counters *c, u32 rule)
{
	return c->block[rule / KP_COUNTERS_BLOCK] + rule % KP_COUNTERS_BLOCK;
}

/* Racing writers may be one packet ahead of the sum; a 32-bit CPU may tear it. */
void kp_counters_read(const struct kp_rule_stats __percpu *s, u64 *packets, u64 *bytes)
{
	int cpu;

	*packets = *bytes = 0;
	for_each_possible_cpu(cpu) {
		const struct kp_rule_stats *p = per_cpu_ptr(s, cpu);

		*packets += READ_ONCE(p->packets);
		*bytes += READ_ONCE(p->bytes);
	}
}

/* An old rule's id and index, sorted by id; @taken once its counts moved. */
struct kp_carry {
	u64 id;
	u32 rule;
	bool taken;
};

static int kp_carry_cmp(const void *a, const void *b)
{
	const struct kp_carry *x = a, *y = b;

	if (x->id != y->id)
		return x->id < y->id ? -1 : 1;
	return x->rule < y->rule ? -1 : x->rule > y->rule;
}

static int kp_carry_key(const void *key, const void *elt)
{
	u64 id = *(const u64 *)key;
	const struct kp_carry *e = elt;

	return id < e->id ? -1 : id > e->id;
}

/* The first old rule with @id whose counts have not moved yet, or NULL. */
static struct kp_carry *kp_carry_find(struct kp_carry *old, u32 n, u64 id)
{
	struct kp_carry *e = bsearch(&id, old, n, sizeof(*old), kp_carry_key);

	if (!e)
		return NULL;
	while (e > old && e[-1].id == id)
		e--;
	for (; e < old + n && e->id == id; e++)
		if (!e->taken)
			return e;
	return NULL;
}

static void kp_counters_copy(struct kp_rule_stats __percpu *to,
			     const struct kp_rule_stats __percpu *from)
{
	int cpu;

	for_each_possible_cpu(cpu) {
		const struct kp_rule_stats *f = per_cpu_ptr(from, cpu);
		struct kp_rule_stats *t = per_cpu_ptr(to, cpu);

		WRITE_ONCE(t->packets, READ_ONCE(f->packets));
		WRITE_ONCE(t->bytes, READ_ONCE(f->bytes));
	}
}

/*
 * Runs before @to is published, while @from may still count packets: what
 * it counts from now until the replacement is seen is not carried.  Best
 * effort: without memory for the index, the new rules start from zero.
 */
void kp_counters_carry(struct kp_rule_counters *to, const struct kp_rule_counters *from)
{
	struct kp_carry *old, *e;
	u32 i;

	if (!to || !from || !to->n_rules || !from->n_rules)
		return;
	old = kvmalloc_array(from->n_rules, sizeof(*old), GFP_KERNEL);
	if (!old)
		return;
	for (i = 0; i < from->n_rules; i++)
		old[i] = (struct kp_carry){ .id = from->ids[i], .rule = i };
	sort(old, from->n_rules, sizeof(*old), kp_carry_cmp, NULL);
	for (i = 0; i < to->n_rules; i++) {
		e = kp_carry_find(old, from->n_rules, to->ids[i]);
		if (!e)
			continue;
		e->taken = true;
		kp_counters_copy(kp_counters_of(to, i), kp_counters_of(from, e->rule));
	}
	kvfree(old);
}
