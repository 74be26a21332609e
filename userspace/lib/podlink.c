// SPDX-License-Identifier: LGPL-2.1
/*
 * A pod's interface as Calico wires it (for the CNI plugin's standalone
 * mode): a veth whose host side has no address but answers ARP for the
 * pod's gateway (proxy ARP) and fe80::1, routes to the pod's addresses
 * through it; in the pod, the addresses as /32 and /128 and default routes
 * via 169.254.1.1 and fe80::1.  rtnetlink through libnl-route-3.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <netinet/in.h>
#include <linux/if_addr.h>
#include <linux/rtnetlink.h>
#include <netlink/netlink.h>
#include <netlink/route/addr.h>
#include <netlink/route/link.h>
#include <netlink/route/link/veth.h>
#include <netlink/route/route.h>
#include <sched.h>
#include <stdio.h>
#include <unistd.h>
#include "libkplane.h"

static int kp_pl_fail(struct kpl_pod_link *l, int err, const char *what)
{
	snprintf(l->error, sizeof(l->error), "%s: %s", what, nl_geterror(err));
	return err < 0 ? -EIO : -err;
}

static struct nl_sock *kp_route_sock(void)
{
	struct nl_sock *sk = nl_socket_alloc();

	if (sk && nl_connect(sk, NETLINK_ROUTE)) {
		nl_socket_free(sk);
		sk = NULL;
	}
	return sk;
}

/* @text ("10.0.0.1/32") on @ifindex; IPv6 without duplicate detection (no wait). */
static int kp_addr_add(struct nl_sock *sk, int ifindex, const char *text)
{
	struct rtnl_addr *a = rtnl_addr_alloc();
	struct nl_addr *local = NULL;
	int err = a ? nl_addr_parse(text, AF_UNSPEC, &local) : -NLE_NOMEM;

	if (!err) {
		rtnl_addr_set_ifindex(a, ifindex);
		rtnl_addr_set_local(a, local);
		if (nl_addr_get_family(local) == AF_INET6)
			rtnl_addr_set_flags(a, IFA_F_NODAD);
		err = rtnl_addr_add(sk, a, 0);
	}
	nl_addr_put(local);
	rtnl_addr_put(a);
	return err;
}

/* A route to @dst on @ifindex, via @gw if given (on link), else scope link. */
static int kp_route_add(struct nl_sock *sk, int ifindex, const char *dst, const char *gw)
{
	struct rtnl_route *r = rtnl_route_alloc();
	struct rtnl_nexthop *nh = rtnl_route_nh_alloc();
	struct nl_addr *d = NULL, *g = NULL;
	int err = r && nh ? nl_addr_parse(dst, AF_UNSPEC, &d) : -NLE_NOMEM;

	if (!err && gw)
		err = nl_addr_parse(gw, AF_UNSPEC, &g);
	if (!err) {
		rtnl_route_set_family(r, nl_addr_get_family(d));
		rtnl_route_set_dst(r, d);
		rtnl_route_set_scope(r, gw ? RT_SCOPE_UNIVERSE : RT_SCOPE_LINK);
		rtnl_route_nh_set_ifindex(nh, ifindex);
		if (g) {
			rtnl_route_nh_set_gateway(nh, g);
			rtnl_route_nh_set_flags(nh, RTNH_F_ONLINK);
		}
		rtnl_route_add_nexthop(r, nh);
		nh = NULL;	/* the route owns it */
		err = rtnl_route_add(sk, r, NLM_F_CREATE);
	}
	nl_addr_put(d);
	nl_addr_put(g);
	if (nh)
		rtnl_route_nh_free(nh);
	rtnl_route_put(r);
	return err;
}

/* Sets @name up; its index and MAC in *@ifindex and @mac. */
static int kp_link_up(struct nl_sock *sk, const char *name, int *ifindex, char *mac, size_t len)
{
	struct rtnl_link *link = NULL, *change = rtnl_link_alloc();
	int err = change ? rtnl_link_get_kernel(sk, 0, name, &link) : -NLE_NOMEM;

	if (!err) {
		rtnl_link_set_flags(change, IFF_UP);
		err = rtnl_link_change(sk, link, change, 0);
		*ifindex = rtnl_link_get_ifindex(link);
		if (mac && rtnl_link_get_addr(link))
			nl_addr2str(rtnl_link_get_addr(link), mac, len);
	}
	rtnl_link_put(link);
	rtnl_link_put(change);
	return err;
}

static int kp_write_sysctl(const char *path, const char *val)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC), err = 0;

	if (fd < 0 || write(fd, val, strlen(val)) < 0)
		err = -errno;
	if (fd >= 0)
		close(fd);
	return err;
}

/* The host side: up, proxy ARP, fe80::1, a route to each pod address. */
static int kp_host_side(struct nl_sock *sk, struct kpl_pod_link *l)
{
	char path[96], net[64], ip[INET6_ADDRSTRLEN];
	unsigned int i;
	int err, ifindex;

	err = kp_link_up(sk, l->host_if, &ifindex, l->host_mac, sizeof(l->host_mac));
	if (err)
		return kp_pl_fail(l, err, "host side up");
	snprintf(path, sizeof(path), "/proc/sys/net/ipv4/conf/%s/proxy_arp", l->host_if);
	if (kp_write_sysctl(path, "1"))
		return kp_pl_fail(l, -NLE_FAILURE, "proxy_arp");
	err = kp_addr_add(sk, ifindex, "fe80::1/64");
	for (i = 0; !err && i < l->n_addrs; i++) {
		inet_ntop(l->addrs[i].family, l->addrs[i].ip, ip, sizeof(ip));
		snprintf(net, sizeof(net), "%s/%d", ip, l->addrs[i].family == AF_INET ? 32 : 128);
		err = kp_route_add(sk, ifindex, net, NULL);
	}
	return err ? kp_pl_fail(l, err, "host side addresses and routes") : 0;
}

/* The pod side, from inside its netns: up, addresses, routes via the gateways. */
static int kp_pod_side(struct kpl_pod_link *l)
{
	struct nl_sock *sk = kp_route_sock();
	char net[64], ip[INET6_ADDRSTRLEN];
	bool v4 = false, v6 = false;
	int err, ifindex, lo;
	unsigned int i;

	if (!sk)
		return kp_pl_fail(l, -NLE_NOMEM, "pod netlink socket");
	err = kp_link_up(sk, "lo", &lo, NULL, 0);
	if (!err)
		err = kp_link_up(sk, l->pod_if, &ifindex, l->pod_mac, sizeof(l->pod_mac));
	for (i = 0; !err && i < l->n_addrs; i++) {
		inet_ntop(l->addrs[i].family, l->addrs[i].ip, ip, sizeof(ip));
		snprintf(net, sizeof(net), "%s/%d", ip, l->addrs[i].family == AF_INET ? 32 : 128);
		err = kp_addr_add(sk, ifindex, net);
		v4 |= l->addrs[i].family == AF_INET;
		v6 |= l->addrs[i].family == AF_INET6;
	}
	if (!err && v4)
		err = kp_route_add(sk, ifindex, "169.254.1.1/32", NULL);
	if (!err && v4)
		err = kp_route_add(sk, ifindex, "0.0.0.0/0", "169.254.1.1");
	if (!err && v6)
		err = kp_route_add(sk, ifindex, "::/0", "fe80::1");
	nl_socket_free(sk);
	return err ? kp_pl_fail(l, err, "pod side") : 0;
}

/* Runs kp_pod_side() in the pod's netns, then comes back. */
static int kp_in_pod(struct kpl_pod_link *l)
{
	int self = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC), err;

	if (self < 0 || setns(l->pod_netns_fd, CLONE_NEWNET)) {
		snprintf(l->error, sizeof(l->error), "entering the pod netns: %s", strerror(errno));
		if (self >= 0)
			close(self);
		return -errno;
	}
	err = kp_pod_side(l);
	if (setns(self, CLONE_NEWNET))
		err = -errno;	/* cannot happen: our own netns */
	close(self);
	return err;
}

int kpl_pod_link_add(struct kpl_pod_link *l)
{
	struct nl_sock *sk = kp_route_sock();
	struct rtnl_link *veth = rtnl_link_veth_alloc(), *peer;
	int err;

	l->error[0] = '\0';
	if (!sk || !veth) {
		err = kp_pl_fail(l, -NLE_NOMEM, "out of memory");
		goto out;
	}
	rtnl_link_set_name(veth, l->host_if);
	peer = rtnl_link_veth_get_peer(veth);
	rtnl_link_set_name(peer, l->pod_if);
	rtnl_link_set_ns_fd(peer, l->pod_netns_fd);
	if (l->mtu) {
		rtnl_link_set_mtu(veth, l->mtu);
		rtnl_link_set_mtu(peer, l->mtu);
	}
	rtnl_link_put(peer);
	err = rtnl_link_add(sk, veth, NLM_F_CREATE | NLM_F_EXCL);
	if (err) {
		err = kp_pl_fail(l, err, "creating the veth");
		goto out;
	}
	err = kp_host_side(sk, l);
	if (!err)
		err = kp_in_pod(l);
	if (err)
		kpl_pod_link_del(l->host_if);	/* the peer goes with it */
out:
	rtnl_link_put(veth);
	nl_socket_free(sk);
	return err;
}

int kpl_pod_link_del(const char *host_if)
{
	struct nl_sock *sk = kp_route_sock();
	struct rtnl_link *link = rtnl_link_alloc();
	int err = sk && link ? 0 : -ENOMEM;

	if (!err) {
		rtnl_link_set_name(link, host_if);
		err = rtnl_link_delete(sk, link);
		err = err == -NLE_NODEV || err == -NLE_OBJ_NOTFOUND ? 0 : err ? -EIO : 0;
	}
	rtnl_link_put(link);
	nl_socket_free(sk);
	return err;
}

bool kpl_pod_link_exists(const char *host_if)
{
	return if_nametoindex(host_if) != 0;
}
