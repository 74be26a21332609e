/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A minimal TAP test harness for the userspace unit tests: each KP_TEST is a
 * case; a failed KP_EXPECT marks it failed and says where.
 */
#ifndef KP_TEST_H
#define KP_TEST_H

#include <stdio.h>
#include <string.h>

static int kp_test_failed_cases, kp_test_cases, kp_test_case_failed;

#define KP_EXPECT(cond) do {							\
	if (!(cond)) {								\
		printf("#   %s:%d: expected %s\n", __FILE__, __LINE__, #cond);	\
		kp_test_case_failed = 1;					\
	}									\
} while (0)

#define KP_EXPECT_STR(a, b) KP_EXPECT((a) && (b) && !strcmp((a), (b)))

#define KP_RUN(fn) do {								\
	kp_test_case_failed = 0;						\
	fn();									\
	kp_test_cases++;							\
	if (kp_test_case_failed)						\
		kp_test_failed_cases++;						\
	printf("%sok %d - %s\n", kp_test_case_failed ? "not " : "",		\
	       kp_test_cases, #fn);						\
} while (0)

#define KP_TEST_DONE() (printf("1..%d\n", kp_test_cases), kp_test_failed_cases ? 1 : 0)

#endif /* KP_TEST_H */
