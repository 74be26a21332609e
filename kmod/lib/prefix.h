/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Prefix sets: what IP sets and a rule's nets compile to.  A set is a sorted
 * array of IPv4/IPv6 prefixes plus a bitmap of the prefix lengths present, so
 * a longest-prefix lookup is one binary search per length present, longest
 * first.  Immutable once built (updates build a new one), so readers need no
 * lock.  Pure computation, built in the kernel and in userspace.
 */
#ifndef KPLANE_PREFIX_H
#define KPLANE_PREFIX_H

#include "core.h"

struct kp_prefix {
	u8 family;		/* AF_INET or AF_INET6 */
	u8 len;			/* 0..32 or 0..128 */
	u8 pad[2];
	u8 addr[16];		/* network order, bits past len zero */
};

struct kp_prefix_set {
	u32 n;
	struct kp_prefix *p;	/* sorted by family, length (longest first), address */
	u64 lens4;		/* bit L: some IPv4 prefix has length L (0..32) */
	u64 lens6[3];		/* bit L%64 of word L/64, L in 0..128 */
};

/* NULL if @family/@len make a prefix, else why not. */
const char *kp_prefix_invalid(u16 family, unsigned int len);
/* Zeroes the host bits; false if any were set (a CIDR like 10.0.0.1/8). */
bool kp_prefix_mask(struct kp_prefix *p);
/*
 * Sorts @p[0..n-1] in place, drops duplicates and publishes them as @s
 * (which takes the array).  Returns the number kept.
 */
u32 kp_prefix_set_build(struct kp_prefix_set *s, struct kp_prefix *p, u32 n);
/* The longest prefix of @s holding @addr, or NULL. */
const struct kp_prefix *kp_prefix_set_lookup(const struct kp_prefix_set *s, u8 family,
					     const u8 *addr);
/*
 * Drops from @s every prefix equal to one of @del[0..n_del-1] (masked),
 * in place; returns how many went.
 */
u32 kp_prefix_set_remove(struct kp_prefix_set *s, const struct kp_prefix *del, u32 n_del);
int kp_prefix_cmp(const void *a, const void *b);

#endif /* KPLANE_PREFIX_H */
