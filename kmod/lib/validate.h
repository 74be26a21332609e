/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Checks on values that arrive from userspace, independent of netlink framing
 * so they build in userspace too.  Each returns NULL when the value is fine or
 * a static message saying what is wrong (fit for extack and for the CLI).
 */
#ifndef KPLANE_VALIDATE_H
#define KPLANE_VALIDATE_H

#include "core.h"
#include <uapi/linux/kplane.h>

struct kp_addr {
	u16 family;		/* AF_INET or AF_INET6 */
	u8 ip[16];		/* network order; IPv4 uses the first 4 bytes */
};

const char *kp_id_invalid(const char *id);
/* The unspecified address (0.0.0.0, ::) is all zero bytes. */
bool kp_all_zero(const u8 *p, size_t len);
const char *kp_addr_invalid(u16 family, const void *ip, size_t len);
/* Fills @out from a checked family/ip pair. */
void kp_addr_set(struct kp_addr *out, u16 family, const void *ip);
size_t kp_addr_len(u16 family);
bool kp_addr_equal(const struct kp_addr *a, const struct kp_addr *b);
/* Rejects repeated addresses; n <= KPLANE_EP_ADDR_MAX is the caller's job. */
const char *kp_addr_list_invalid(const struct kp_addr *addrs, unsigned int n);

/* A protocol and port, as in Calico's failsafe lists ("tcp:22"). */
struct kp_proto_port {
	u8 proto;		/* IPPROTO_TCP, _UDP or _SCTP */
	u16 port;
};

#define KP_FAILSAFE_MAX 32

/*
 * Parses "tcp:22,udp:68,..." (empty: none) into @out; returns NULL and sets
 * *@n, or why the list is invalid (then @out is unchanged).
 */
const char *kp_failsafe_parse(const char *s, struct kp_proto_port *out, unsigned int *n);

#endif /* KPLANE_VALIDATE_H */
