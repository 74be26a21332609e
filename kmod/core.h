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
#else
#include "kp_shim.h"
#endif

#endif /* KPLANE_CORE_H */
