/* SPDX-License-Identifier: GPL-2.0 */
/* Userspace stand-ins for the kernel names kmod/core.h users rely on. */
#ifndef KP_SHIM_H
#define KP_SHIM_H

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>

typedef uint8_t u8;
typedef uint16_t u16;
typedef uint32_t u32;
typedef uint64_t u64;

#endif /* KP_SHIM_H */
