/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Maglev consistent hashing (Eisenbud et al., NSDI'16) with weights.  Pure
 * computation, built in the kernel and in userspace: callers own all memory.
 *
 * The table depends only on the set of (backend key, weight) pairs, not on
 * their order, so every node with the same backends picks the same backend
 * for the same flow key; removing one of N backends remaps about 1/N of keys.
 */
#ifndef KPLANE_MAGLEV_H
#define KPLANE_MAGLEV_H

#include "core.h"

#define KP_MAGLEV_EMPTY		0xffffU
/* Backends one table can index (entries are u16, one value is EMPTY). */
#define KP_MAGLEV_MAX_BACKENDS	4096
#define KP_MAGLEV_DEFAULT_SIZE	1021

struct kp_maglev_backend {
	u64 key;		/* kp_hash64() of the backend's address and port */
	u32 weight;		/* 0: never chosen */
};

/* Per-backend build state; callers pass an array as long as the backends. */
struct kp_maglev_scratch {
	u32 slot;		/* next in the backend's permutation */
	u32 skip;
	u32 order;		/* index of the backend processed in this slot */
	u64 credit;
};

u64 kp_hash64(const void *data, size_t len, u64 seed);
/* Table sizes are primes from a fixed list, so the same size means the same table. */
bool kp_maglev_size_ok(u32 size);
/*
 * Fills table[0..size-1] with indices into @b.  Returns 0, or -EINVAL for a
 * bad size or too many backends, or -ENOENT when no backend has a weight
 * (the table is then all KP_MAGLEV_EMPTY).
 */
int kp_maglev_build(const struct kp_maglev_backend *b, unsigned int n,
		    struct kp_maglev_scratch *scratch, u16 *table, u32 size);

static inline u16 kp_maglev_pick(const u16 *table, u32 size, u64 flow_hash)
{
	return table[flow_hash % size];
}

#endif /* KPLANE_MAGLEV_H */
