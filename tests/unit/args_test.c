// SPDX-License-Identifier: GPL-2.0
/* kplanectl's argument parser under ASan and UBSan. */
#include <sys/socket.h>
#include "args.h"
#include "kp_test.h"

static int parse(int argc, char **argv, struct kp_endpoint *ep, const char **ns,
		 const char **why)
{
	*why = NULL;
	return kp_args_endpoint(argc, argv, ep, ns, why);
}

static void test_full(void)
{
	char *argv[] = { "ns/a", "dev", "veth0", "netns", "/run/netns/a",
			 "addr", "10.0.0.2", "addr", "fd00::2" };
	struct kp_endpoint ep;
	const char *ns, *why;

	KP_EXPECT(parse(9, argv, &ep, &ns, &why) == 0);
	KP_EXPECT_STR(ep.id, "ns/a");
	KP_EXPECT_STR(ep.ifname, "veth0");
	KP_EXPECT_STR(ns, "/run/netns/a");
	KP_EXPECT(ep.netns_fd == -1);
	KP_EXPECT(ep.n_addrs == 2);
	KP_EXPECT(ep.addrs[0].family == AF_INET && ep.addrs[0].ip[0] == 10);
	KP_EXPECT(ep.addrs[1].family == AF_INET6 && ep.addrs[1].ip[0] == 0xfd);
}

static void test_errors(void)
{
	char *no_dev[] = { "a", "addr", "10.0.0.1" };
	char *dangling[] = { "a", "dev" };
	char *bad_ip[] = { "a", "dev", "x", "addr", "10.0.0.300" };
	char *bad_kw[] = { "a", "device", "x" };
	char *long_if[] = { "a", "dev", "0123456789abcdef" };
	struct kp_endpoint ep;
	const char *ns, *why;

	KP_EXPECT(parse(0, NULL, &ep, &ns, &why) < 0 && why);
	KP_EXPECT(parse(3, no_dev, &ep, &ns, &why) < 0);
	KP_EXPECT_STR(why, "dev IFNAME is required");
	KP_EXPECT(parse(2, dangling, &ep, &ns, &why) < 0);
	KP_EXPECT_STR(why, "keyword without a value");
	KP_EXPECT(parse(5, bad_ip, &ep, &ns, &why) < 0);
	KP_EXPECT_STR(why, "addr takes an IPv4 or IPv6 address");
	KP_EXPECT(parse(3, bad_kw, &ep, &ns, &why) < 0);
	KP_EXPECT(parse(3, long_if, &ep, &ns, &why) < 0);
	KP_EXPECT_STR(why, "interface name is too long");
}

static void test_too_many_addrs(void)
{
	char *argv[3 + 2 * (KPLANE_EP_ADDR_MAX + 1)];
	struct kp_endpoint ep;
	const char *ns, *why;
	int i, n = 0;

	argv[n++] = "a";
	argv[n++] = "dev";
	argv[n++] = "x";
	for (i = 0; i <= KPLANE_EP_ADDR_MAX; i++) {
		argv[n++] = "addr";
		argv[n++] = "10.0.0.1";
	}
	KP_EXPECT(parse(n - 2, argv, &ep, &ns, &why) == 0);
	KP_EXPECT(ep.n_addrs == KPLANE_EP_ADDR_MAX);
	KP_EXPECT(parse(n, argv, &ep, &ns, &why) < 0);
	KP_EXPECT_STR(why, "too many addresses");
}

int main(void)
{
	KP_RUN(test_full);
	KP_RUN(test_errors);
	KP_RUN(test_too_many_addrs);
	return KP_TEST_DONE();
}
