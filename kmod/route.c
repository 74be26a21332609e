// SPDX-License-Identifier: GPL-2.0
/* Route and address lookups of the datapath and trace: see route.h. */
#include <net/addrconf.h>
#include <net/ip6_route.h>
#include <net/ip_fib.h>
#include <net/route.h>
#include "route.h"

/* Loopback is not a NodePort address (as kube-proxy's default). */
bool kp_net_has_addr(struct net *net, u8 family, const u8 *addr)
{
	__be32 a4;

	if (family == AF_INET) {
		memcpy(&a4, addr, 4);
		return !ipv4_is_loopback(a4) && inet_addr_type(net, a4) == RTN_LOCAL;
	}
	return !ipv6_addr_loopback((const struct in6_addr *)addr) &&
	       ipv6_chk_addr(net, (const struct in6_addr *)addr, NULL, 0);
}

static int kp_route_out4(struct net *net, const u8 *daddr, int *ifindex, u8 *saddr)
{
	struct flowi4 fl4 = {};
	struct rtable *rt;

	memcpy(&fl4.daddr, daddr, 4);
	rt = ip_route_output_key(net, &fl4);
	if (IS_ERR(rt))
		return PTR_ERR(rt);
	if (ifindex)
		*ifindex = rt->dst.dev->ifindex;
	if (saddr)
		memcpy(saddr, &fl4.saddr, 4);
	ip_rt_put(rt);
	return 0;
}

static int kp_route_out6(struct net *net, const u8 *daddr, int *ifindex, u8 *saddr)
{
	struct flowi6 fl6 = {};
	struct dst_entry *dst;
	int err;

	memcpy(&fl6.daddr, daddr, 16);
	dst = ip6_route_output(net, NULL, &fl6);
	err = dst->error;
	if (!err && ifindex)
		*ifindex = dst->dev->ifindex;
	if (!err && saddr)
		err = ipv6_dev_get_saddr(net, dst->dev, &fl6.daddr, 0, (struct in6_addr *)saddr);
	dst_release(dst);
	return err;
}

int kp_route_out(struct net *net, u8 family, const u8 *daddr, int *ifindex, u8 *saddr)
{
	if (saddr)
		memset(saddr, 0, 16);
	if (family == AF_INET)
		return kp_route_out4(net, daddr, ifindex, saddr);
	return kp_route_out6(net, daddr, ifindex, saddr);
}

static bool kp_route_in4(struct net *net, int in_ifindex, const u8 *saddr, const u8 *daddr,
			 int *out_ifindex)
{
	struct flowi4 fl4 = { .flowi4_iif = in_ifindex };
	struct fib_result res;

	memcpy(&fl4.daddr, daddr, 4);
	memcpy(&fl4.saddr, saddr, 4);
	if (ipv4_is_multicast(fl4.daddr) || ipv4_is_lbcast(fl4.daddr))
		return true;
	if (fib_lookup(net, &fl4, &res, 0))
		return false;
	if (res.type == RTN_LOCAL || res.type == RTN_BROADCAST)
		return true;
	if (res.type == RTN_UNICAST)
		*out_ifindex = FIB_RES_DEV(res)->ifindex;
	return false;
}

static bool kp_route_in6(struct net *net, const u8 *saddr, const u8 *daddr, int *out_ifindex)
{
#if IS_ENABLED(CONFIG_IPV6)
	const struct in6_addr *d = (const struct in6_addr *)daddr;
	struct rt6_info *rt;

	if (ipv6_addr_is_multicast(d) || ipv6_chk_addr(net, d, NULL, 0))
		return true;
	rt = rt6_lookup(net, d, (const struct in6_addr *)saddr, 0, NULL, 0);
	if (rt) {
		*out_ifindex = rt->dst.dev->ifindex;
		ip6_rt_put(rt);
	}
#endif
	return false;
}

bool kp_route_in(struct net *net, int in_ifindex, u8 family, const u8 *saddr,
		 const u8 *daddr, int *out_ifindex)
{
	if (family == AF_INET)
		return kp_route_in4(net, in_ifindex, saddr, daddr, out_ifindex);
	return kp_route_in6(net, saddr, daddr, out_ifindex);
}
