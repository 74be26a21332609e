// SPDX-License-Identifier: GPL-2.0
/* kmod/lib/validate.c built in userspace, under ASan and UBSan. */
#include <arpa/inet.h>
#include "kp_test.h"
#include "validate.h"
#include <linux/kplane.h>

static void test_id_charset(void)
{
	KP_EXPECT(!kp_id_invalid("default/pod-a"));
	KP_EXPECT(!kp_id_invalid("ns_1:uid.2-x"));
	KP_EXPECT_STR(kp_id_invalid(""), "id must not be empty");
	KP_EXPECT(kp_id_invalid("a b"));
	KP_EXPECT(kp_id_invalid("caf\xc3\xa9"));
}

static void test_id_length(void)
{
	char id[KPLANE_ID_MAX + 1];

	memset(id, 'x', sizeof(id));
	id[KPLANE_ID_MAX - 1] = '\0';
	KP_EXPECT(!kp_id_invalid(id));
	id[KPLANE_ID_MAX - 1] = 'x';
	id[KPLANE_ID_MAX] = '\0';
	KP_EXPECT_STR(kp_id_invalid(id), "id is too long");
}

static const char *addr_check(int family, const char *text)
{
	unsigned char buf[16];

	inet_pton(family, text, buf);
	return kp_addr_invalid((u16)family, buf, family == AF_INET ? 4 : 16);
}

static void test_addr(void)
{
	unsigned char buf[16] = { 10 };

	KP_EXPECT(!addr_check(AF_INET, "10.0.0.1"));
	KP_EXPECT(!addr_check(AF_INET6, "fd00::1"));
	KP_EXPECT(addr_check(AF_INET, "0.0.0.0"));
	KP_EXPECT(addr_check(AF_INET, "239.1.1.1"));
	KP_EXPECT(addr_check(AF_INET6, "::"));
	KP_EXPECT(addr_check(AF_INET6, "ff02::1"));
	KP_EXPECT_STR(kp_addr_invalid(AF_INET, buf, 5), "IPv4 address must be 4 bytes");
	KP_EXPECT_STR(kp_addr_invalid(AF_INET6, buf, 4), "IPv6 address must be 16 bytes");
	KP_EXPECT_STR(kp_addr_invalid(AF_UNIX, buf, 4),
		      "address family must be AF_INET or AF_INET6");
	KP_EXPECT(kp_addr_len(AF_UNIX) == 0);
}

static void test_addr_list(void)
{
	struct kp_addr l[KPLANE_EP_ADDR_MAX];
	unsigned char ip[16] = { 0xfd };
	unsigned int i;

	for (i = 0; i < KPLANE_EP_ADDR_MAX; i++) {
		ip[15] = (unsigned char)i;
		kp_addr_set(&l[i], AF_INET6, ip);
	}
	KP_EXPECT(!kp_addr_list_invalid(l, KPLANE_EP_ADDR_MAX));
	/* Same bytes, other family: not a duplicate. */
	kp_addr_set(&l[1], AF_INET, l[0].ip);
	KP_EXPECT(!kp_addr_list_invalid(l, KPLANE_EP_ADDR_MAX));
	l[7] = l[0];
	KP_EXPECT_STR(kp_addr_list_invalid(l, KPLANE_EP_ADDR_MAX), "duplicate address");
}

static void test_failsafe(void)
{
	struct kp_proto_port pp[KP_FAILSAFE_MAX];
	unsigned int n = 99;

	KP_EXPECT(!kp_failsafe_parse("tcp:22,udp:68,sctp:9\n", pp, &n) && n == 3);
	KP_EXPECT(pp[0].proto == IPPROTO_TCP && pp[0].port == 22 && pp[2].proto == IPPROTO_SCTP);
	KP_EXPECT(!kp_failsafe_parse("", pp, &n) && n == 0);
	KP_EXPECT_STR(kp_failsafe_parse("tcp:0", pp, &n), "failsafe port must be 1..65535");
	KP_EXPECT_STR(kp_failsafe_parse("tcp:65536", pp, &n), "failsafe port must be 1..65535");
	KP_EXPECT_STR(kp_failsafe_parse("icmp:1", pp, &n),
		      "failsafe entries are tcp:PORT, udp:PORT or sctp:PORT");
	KP_EXPECT_STR(kp_failsafe_parse("tcp:22;udp:1", pp, &n),
		      "failsafe entries are separated by commas");
	KP_EXPECT(n == 0);	/* unchanged by refusals */
}

int main(void)
{
	KP_RUN(test_id_charset);
	KP_RUN(test_id_length);
	KP_RUN(test_addr);
	KP_RUN(test_addr_list);
	KP_RUN(test_failsafe);
	return KP_TEST_DONE();
}
