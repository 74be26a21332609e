// SPDX-License-Identifier: GPL-2.0
/* KUnit: value checks shared with userspace (kmod/lib/validate.c). */
#include <kunit/test.h>
#include <linux/module.h>
#include "validate.h"

static void kp_test_id(struct kunit *test)
{
	char long_id[KPLANE_ID_MAX + 1];

	KUNIT_EXPECT_NULL(test, kp_id_invalid("default/pod-a"));
	KUNIT_EXPECT_NULL(test, kp_id_invalid("ns_1:uid.2-x"));
	KUNIT_EXPECT_NOT_NULL(test, kp_id_invalid(""));
	KUNIT_EXPECT_NOT_NULL(test, kp_id_invalid("a b"));
	KUNIT_EXPECT_NOT_NULL(test, kp_id_invalid("a\nb"));
	memset(long_id, 'a', sizeof(long_id));
	long_id[KPLANE_ID_MAX - 1] = '\0';	/* 63 chars: the longest allowed */
	KUNIT_EXPECT_NULL(test, kp_id_invalid(long_id));
	long_id[KPLANE_ID_MAX - 1] = 'a';
	long_id[KPLANE_ID_MAX] = '\0';		/* 64 chars */
	KUNIT_EXPECT_NOT_NULL(test, kp_id_invalid(long_id));
}

static void kp_test_addr(struct kunit *test)
{
	static const u8 v4[4] = { 10, 0, 0, 1 }, v4_zero[4], v4_mc[4] = { 224, 0, 0, 1 };
	static const u8 v6[16] = { 0xfd, 0, [15] = 1 }, v6_mc[16] = { 0xff, 2 };

	KUNIT_EXPECT_NULL(test, kp_addr_invalid(AF_INET, v4, 4));
	KUNIT_EXPECT_NULL(test, kp_addr_invalid(AF_INET6, v6, 16));
	KUNIT_EXPECT_NOT_NULL(test, kp_addr_invalid(AF_INET, v4, 16));
	KUNIT_EXPECT_NOT_NULL(test, kp_addr_invalid(AF_INET6, v6, 4));
	KUNIT_EXPECT_NOT_NULL(test, kp_addr_invalid(AF_UNIX, v4, 4));
	KUNIT_EXPECT_NOT_NULL(test, kp_addr_invalid(AF_INET, v4_zero, 4));
	KUNIT_EXPECT_NOT_NULL(test, kp_addr_invalid(AF_INET, v4_mc, 4));
	KUNIT_EXPECT_NOT_NULL(test, kp_addr_invalid(AF_INET6, v6_mc, 16));
}

static void kp_test_addr_list(struct kunit *test)
{
	static const u8 a[4] = { 10, 0, 0, 1 }, b[4] = { 10, 0, 0, 2 };
	struct kp_addr list[3];

	kp_addr_set(&list[0], AF_INET, a);
	kp_addr_set(&list[1], AF_INET, b);
	KUNIT_EXPECT_NULL(test, kp_addr_list_invalid(list, 2));
	kp_addr_set(&list[2], AF_INET, a);
	KUNIT_EXPECT_NOT_NULL(test, kp_addr_list_invalid(list, 3));
	KUNIT_EXPECT_NULL(test, kp_addr_list_invalid(list, 0));
}

static struct kunit_case kp_validate_cases[] = {
	KUNIT_CASE(kp_test_id),
	KUNIT_CASE(kp_test_addr),
	KUNIT_CASE(kp_test_addr_list),
	{}
};

static struct kunit_suite kp_validate_suite = {
	.name = "kplane_validate",
	.test_cases = kp_validate_cases,
};
kunit_test_suite(kp_validate_suite);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("KUnit tests for kplane");
