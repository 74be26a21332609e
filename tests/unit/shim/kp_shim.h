/* SPDX-License-Identifier: GPL-2.0 */
/* Userspace stand-ins for the kernel names kmod/lib/core.h users rely on. */
#ifndef KP_SHIM_H
#define KP_SHIM_H

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <netinet/in.h>

typedef uint8_t u8;
typedef uint16_t u16;
typedef uint32_t u32;
typedef uint64_t u64;
typedef int16_t s16;
typedef int32_t s32;

/* lib/sort.c's signature; no caller passes a swap function. */
static inline void sort(void *base, size_t num, size_t size,
			int (*cmp)(const void *, const void *), void *swap)
{
	(void)swap;
	qsort(base, num, size, cmp);
}

static inline void *kp_zalloc(size_t n) { return calloc(1, n ? n : 1); }
static inline void kp_free(const void *p) { free((void *)p); }
#define __rcu
#define rcu_dereference(p) (p)
static inline void rcu_read_lock(void) {}
static inline void rcu_read_unlock(void) {}
struct rcu_head {
	void *next;
	void (*func)(struct rcu_head *head);
};

#endif /* KP_SHIM_H */
