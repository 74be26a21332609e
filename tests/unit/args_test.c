// SPDX-License-Identifier: GPL-2.0
/* kplanectl's argument parser under ASan and UBSan. */
#include <stdlib.h>
#include <sys/socket.h>
#include "args.h"
#include "kp_test.h"

static int parse(int argc, char **argv, struct kpl_endpoint *ep, const char **ns,
		 const char **why)
{
	*why = NULL;
	return kp_args_endpoint(argc, argv, ep, ns, why);
}

static void test_full(void)
{
	char *argv[] = { "ns/a", "dev", "veth0", "netns", "/run/netns/a",
			 "addr", "10.0.0.2", "addr", "fd00::2" };
	struct kpl_endpoint ep;
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
	struct kpl_endpoint ep;
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
	struct kpl_endpoint ep;
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

static void test_frontend(void)
{
	struct kpl_service svc;
	const char *why;

	memset(&svc, 0, sizeof(svc));
	KP_EXPECT(kp_args_frontend("10.96.0.10:80/tcp", &svc, &why) == 0);
	KP_EXPECT(svc.addr.family == AF_INET && svc.port == 80 && svc.proto == 6);
	KP_EXPECT(kp_args_frontend("[fd00::10]:53/udp", &svc, &why) == 0);
	KP_EXPECT(svc.addr.family == AF_INET6 && svc.port == 53 && svc.proto == 17);
	KP_EXPECT(kp_args_frontend("fd00::10:53/udp", &svc, &why) < 0);	/* no brackets */
	KP_EXPECT(kp_args_frontend("10.96.0.10:0/tcp", &svc, &why) < 0);
	KP_EXPECT(kp_args_frontend("10.96.0.10:65536/tcp", &svc, &why) < 0);
	KP_EXPECT(kp_args_frontend("10.96.0.10:80/sctp", &svc, &why) < 0);
	KP_EXPECT(kp_args_frontend("10.96.0.10:80", &svc, &why) < 0);
	KP_EXPECT(kp_args_frontend("[fd00::10:80/tcp", &svc, &why) < 0);
	KP_EXPECT(kp_args_frontend("10.96.0.10:+80/tcp", &svc, &why) < 0);
}

static void test_backend(void)
{
	struct kpl_backend be;
	const char *why;

	KP_EXPECT(kp_args_backend("10.0.0.1:8080", &be, &why) == 0);
	KP_EXPECT(be.port == 8080 && be.weight == 1 && be.state == KPLANE_BE_ACTIVE);
	KP_EXPECT(kp_args_backend("[fd00::1]:81,weight=7,state=serving-terminating", &be, &why) == 0);
	KP_EXPECT(be.weight == 7 && be.state == KPLANE_BE_SERVING_TERMINATING);
	KP_EXPECT(kp_args_backend("10.0.0.1:80,weight=0", &be, &why) < 0);
	KP_EXPECT(kp_args_backend("10.0.0.1:80,weight=65536", &be, &why) < 0);
	KP_EXPECT(kp_args_backend("10.0.0.1:80,state=gone", &be, &why) < 0);
	KP_EXPECT(kp_args_backend("10.0.0.1:80,", &be, &why) < 0);
	KP_EXPECT_STR(why, "backend is ADDR:PORT[,weight=N][,state=active|terminating|serving-terminating][,local]");
	KP_EXPECT(kp_args_backend("10.0.0.1:80,local,weight=3", &be, &why) == 0);
	KP_EXPECT(be.local && be.weight == 3);
	KP_EXPECT(kp_args_backend("10.0.0.1:80", &be, &why) == 0 && !be.local);
	KP_EXPECT(kp_args_backend("10.0.0.1:80,locally", &be, &why) < 0);
}

static void test_service_policies(void)
{
	char *argv[] = { "0.0.0.0:30080/tcp", "type", "nodeport", "external-policy", "local",
			 "internal-policy", "cluster", "affinity", "10800" };
	char *bad_policy[] = { "10.96.0.10:80/tcp", "external-policy", "nearby" };
	char *bad_affinity[] = { "10.96.0.10:80/tcp", "affinity", "-1" };
	struct kpl_service svc;
	const char *why = NULL;

	KP_EXPECT(kp_args_service(9, argv, &svc, &why) == 0);
	KP_EXPECT(svc.ext_policy == KPLANE_POLICY_LOCAL && svc.int_policy == KPLANE_POLICY_CLUSTER);
	KP_EXPECT(svc.affinity_timeout == 10800 && svc.addr.family == AF_INET);
	free(svc.backends);
	KP_EXPECT(kp_args_service(3, bad_policy, &svc, &why) < 0);
	KP_EXPECT_STR(why, "a traffic policy is cluster or local");
	free(svc.backends);
	KP_EXPECT(kp_args_service(3, bad_affinity, &svc, &why) < 0);
	KP_EXPECT_STR(why, "affinity takes a timeout in seconds (0: none)");
	free(svc.backends);
}

static void test_service(void)
{
	char *argv[] = { "10.96.0.10:80/tcp", "id", "default/web", "type", "nodeport",
			 "maglev", "251", "backend", "10.0.0.1:80", "backend", "10.0.0.2:80" };
	char *bad[] = { "10.96.0.10:80/tcp", "type", "headless" };
	struct kpl_service svc;
	const char *why = NULL;

	KP_EXPECT(kp_args_service(11, argv, &svc, &why) == 0);
	KP_EXPECT_STR(svc.id, "default/web");
	KP_EXPECT(svc.type == KPLANE_SVC_NODE_PORT && svc.maglev_size == 251);
	KP_EXPECT(svc.n_backends == 2 && svc.backends[1].addr.ip[3] == 2);
	free(svc.backends);
	KP_EXPECT(kp_args_service(3, bad, &svc, &why) < 0);
	KP_EXPECT_STR(why, "type is clusterip, nodeport, externalip or loadbalancer");
	free(svc.backends);
	KP_EXPECT(kp_args_service(0, NULL, &svc, &why) < 0);
	free(svc.backends);
}

static void test_policy(void)
{
	char *argv[] = { "web", "tier", "sec", "order", "10", "types", "ingress,egress",
			 "ingress", "allow", "proto", "tcp", "from", "net", "10.0.0.0/8",
			 "not-set", "bad", "to", "port", "8000-8080", "not-port", "8001",
			 "egress", "deny", "proto", "icmp", "icmp", "8/0", "not-icmp", "3",
			 "ingress", "pass" };
	char *no_side[] = { "p", "ingress", "allow", "net", "10.0.0.0/8" };
	char *bad_kw[] = { "p", "ingress", "allow", "dport", "80" };
	char *bad_action[] = { "p", "ingress", "permit" };
	char *fwd[] = { "p", "apply-on-forward", "true", "ingress", "deny" };
	char *bad_fwd[] = { "p", "apply-on-forward", "yes" };
	struct kpl_policy pol;
	const char *why = NULL;
	struct kpl_rule *r;

	KP_EXPECT(kp_args_policy(31, argv, &pol, &why) == 0);
	KP_EXPECT_STR(pol.tier, "sec");
	KP_EXPECT(pol.has_order && pol.order == 10 && pol.types == 3 && pol.n_rules == 3);
	KP_EXPECT(!pol.apply_on_forward);
	r = &pol.rules[0];
	KP_EXPECT(r->dir == KPLANE_DIR_INGRESS && r->action == KPLANE_ACTION_ALLOW);
	KP_EXPECT((r->has & KPL_HAS_PROTO) && r->proto == 6 && r->n_items == 4);
	KP_EXPECT(!r->items[0].dst && r->items[0].kind == KPLANE_SIDE_A_NET &&
		  r->items[0].prefix.len == 8 && r->items[0].prefix.addr[0] == 10);
	KP_EXPECT(r->items[1].kind == KPLANE_SIDE_A_NOT_SET);
	KP_EXPECT_STR(r->items[1].set, "bad");
	KP_EXPECT(r->items[2].dst && r->items[2].ports.first == 8000 && r->items[2].ports.last == 8080);
	KP_EXPECT(r->items[3].kind == KPLANE_SIDE_A_NOT_PORT && r->items[3].ports.last == 8001);
	r = &pol.rules[1];
	KP_EXPECT(r->dir == KPLANE_DIR_EGRESS && r->icmp_type == 8 && (r->has & KPL_HAS_ICMP_CODE));
	KP_EXPECT((r->has & KPL_HAS_NOT_ICMP_TYPE) && !(r->has & KPL_HAS_NOT_ICMP_CODE));
	KP_EXPECT(pol.rules[2].action == KPLANE_ACTION_PASS);
	kpl_policy_release(&pol);
	KP_EXPECT(kp_args_policy(5, no_side, &pol, &why) < 0);
	KP_EXPECT_STR(why, "net, set and port criteria follow \"from\" or \"to\"");
	kpl_policy_release(&pol);
	KP_EXPECT(kp_args_policy(5, bad_kw, &pol, &why) < 0 && why);
	kpl_policy_release(&pol);
	KP_EXPECT(kp_args_policy(3, bad_action, &pol, &why) < 0);
	KP_EXPECT_STR(why, "a rule starts with its action: allow, deny, pass or log");
	kpl_policy_release(&pol);
	KP_EXPECT(kp_args_policy(5, fwd, &pol, &why) == 0 && pol.apply_on_forward &&
		  pol.n_rules == 1);
	kpl_policy_release(&pol);
	KP_EXPECT(kp_args_policy(3, bad_fwd, &pol, &why) < 0);
	KP_EXPECT_STR(why, "apply-on-forward is true or false");
	kpl_policy_release(&pol);
}

static void test_attach_and_trace(void)
{
	char *ep_argv[] = { "p", "dev", "v", "host", "ingress", "t1:a,b", "egress", "t2:" };
	char *trace6[] = { "-", "tcp", "[fd00::1]:1000", "[fd00::2]:80" };
	char *trace_icmp[] = { "pod", "icmp", "10.0.0.1", "10.0.0.2", "type", "8" };
	struct kpl_endpoint ep;
	struct kpl_trace t;
	const char *ns, *why;

	KP_EXPECT(parse(8, ep_argv, &ep, &ns, &why) == 0);
	KP_EXPECT(ep.host && ep.has_policy && ep.n_attach == 3);
	KP_EXPECT_STR(ep.attach[1].policy, "b");
	KP_EXPECT(ep.attach[2].dir == KPLANE_DIR_EGRESS && !ep.attach[2].policy[0]);
	KP_EXPECT_STR(ep.attach[2].tier, "t2");
	free(ep.attach);
	KP_EXPECT(kp_args_trace(4, trace6, &t, &why) == 0);
	KP_EXPECT(!t.endpoint[0] && t.src.family == AF_INET6 && t.dport == 80);
	KP_EXPECT(kp_args_trace(6, trace_icmp, &t, &why) == 0);
	KP_EXPECT(t.proto == 1 && t.icmp_type == 8);
	KP_EXPECT_STR(t.endpoint, "pod");
	KP_EXPECT(kp_args_trace(3, trace6, &t, &why) < 0 && why);
}

/* node set: KEY VALUE pairs, each setting only what it names. */
static void test_node_set(void)
{
	char *ok[] = { "max-services", "2", "policy-reject", "on", "failsafe-in", "tcp:22,udp:68",
		       "max-flows", "default", "failsafe-out", "none" };
	char *bad_key[] = { "max-sockets", "1" }, *bad_onoff[] = { "fast-forward", "maybe" };
	char *bad_num[] = { "max-endpoints", "-1" }, *odd[] = { "max-flows" };
	struct kpl_node_settings s;
	const char *why = NULL;

	KP_EXPECT(kp_args_node_set(10, ok, &s, &why) == 0);
	KP_EXPECT(s.has == (KPL_SET_MAX_SERVICES | KPL_SET_POLICY_REJECT | KPL_SET_FAILSAFE_IN |
			    KPL_SET_MAX_FLOWS | KPL_SET_FAILSAFE_OUT));
	KP_EXPECT(s.max_services == 2 && s.max_flows == 0 && s.policy_reject == KPLANE_SETTING_ON);
	KP_EXPECT_STR(s.failsafe_in, "tcp:22,udp:68");
	KP_EXPECT_STR(s.failsafe_out, "");
	KP_EXPECT(kp_args_node_set(2, bad_key, &s, &why) == -EINVAL && strstr(why, "unknown"));
	KP_EXPECT(kp_args_node_set(2, bad_onoff, &s, &why) == -EINVAL && strstr(why, "on, off"));
	KP_EXPECT(kp_args_node_set(2, bad_num, &s, &why) == -EINVAL && strstr(why, "number"));
	KP_EXPECT(kp_args_node_set(1, odd, &s, &why) == -EINVAL);
	KP_EXPECT(kp_args_node_set(0, odd, &s, &why) == -EINVAL);
}

int main(void)
{
	KP_RUN(test_frontend);
	KP_RUN(test_backend);
	KP_RUN(test_service);
	KP_RUN(test_service_policies);
	KP_RUN(test_full);
	KP_RUN(test_errors);
	KP_RUN(test_too_many_addrs);
	KP_RUN(test_policy);
	KP_RUN(test_attach_and_trace);
	KP_RUN(test_node_set);
	return KP_TEST_DONE();
}
