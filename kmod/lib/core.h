/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Shared by the kplane sources that also build in userspace (tests/unit,
 * fuzzers): in the kernel it pulls kernel headers, elsewhere the small shim
 * in tests/unit/shim gives the same names.  Files built both ways include
 * only this and each other.
 */
#ifndef KPLANE_CORE_H
#define KPLANE_CORE_H

#ifdef __KERNEL__
#include <linux/types.h>
#include <linux/errno.h>
#include <linux/string.h>
#include <linux/socket.h>
#include <linux/in.h>
#include <linux/in6.h>
#include <linux/sort.h>
#include <linux/mm.h>
#include <linux/slab.h>
#include <linux/rcupdate.h>

/* Large tables (IP sets, rule lists) may not fit one page run. */
static inline void *kp_zalloc(size_t n) { return kvzalloc(n, GFP_KERNEL); }
static inline void kp_free(const void *p) { kvfree(p); }
#else
#include "kp_shim.h"
#endif

#endif /* KPLANE_CORE_H */
