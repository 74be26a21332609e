/* SPDX-License-Identifier: GPL-2.0 */
/* The node's routes and addresses, as the stack will see them (datapath). */
#ifndef KPLANE_ROUTE_H
#define KPLANE_ROUTE_H

#include <linux/types.h>

struct net;

/* Whether @addr is one of @net's own, loopback aside. */
bool kp_net_has_addr(struct net *net, u8 family, const u8 *addr);
/*
 * The output route from @net to @daddr: the device it leaves by
 * (@ifindex, may be NULL) and the source address the stack would pick
 * (@saddr, 16 bytes, may be NULL).  0, or the routing error.
 */
int kp_route_out(struct net *net, u8 family, const u8 *daddr, int *ifindex, u8 *saddr);
/*
 * Where a packet from @saddr to @daddr that arrived on @in_ifindex goes,
 * as the stack's input route will say: true for the node itself; else
 * forwarded, by *@out_ifindex (left alone when there is no route).
 */
bool kp_route_in(struct net *net, int in_ifindex, u8 family, const u8 *saddr,
		 const u8 *daddr, int *out_ifindex);

#endif /* KPLANE_ROUTE_H */
