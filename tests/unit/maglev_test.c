// SPDX-License-Identifier: GPL-2.0
/* kmod/lib/maglev.c in userspace: distribution, weights, disruption, determinism. */
#include <stdlib.h>
#include "kp_test.h"
#include "maglev.h"

#define M 1021

static u16 table[M], table2[M];

static void backends(struct kp_maglev_backend *b, unsigned int n, unsigned int first)
{
	unsigned int i;

	for (i = 0; i < n; i++) {
		u32 id = first + i;

		b[i].key = kp_hash64(&id, sizeof(id), 0);
		b[i].weight = 1;
	}
}

static void build(const struct kp_maglev_backend *b, unsigned int n, u16 *t)
{
	struct kp_maglev_scratch s[64];

	KP_EXPECT(kp_maglev_build(b, n, s, t, M) == 0);
}

static void count(const u16 *t, unsigned int *c, unsigned int n)
{
	unsigned int i;

	memset(c, 0, n * sizeof(*c));
	for (i = 0; i < M; i++)
		if (t[i] < n)
			c[t[i]]++;
}

static void test_even_shares(void)
{
	struct kp_maglev_backend b[10];
	unsigned int c[10], i, total = 0;

	backends(b, 10, 0);
	build(b, 10, table);
	count(table, c, 10);
	for (i = 0; i < 10; i++) {
		KP_EXPECT(c[i] >= 95 && c[i] <= 110);	/* 102 each, Maglev's ~1% skew */
		total += c[i];
	}
	KP_EXPECT(total == M);
}

static void test_weights(void)
{
	struct kp_maglev_backend b[3];
	unsigned int c[3];

	backends(b, 3, 100);
	b[1].weight = 2;
	build(b, 3, table);
	count(table, c, 3);
	KP_EXPECT(c[0] > 230 && c[0] < 280);	/* 255 */
	KP_EXPECT(c[1] > 480 && c[1] < 540);	/* 510 */
	KP_EXPECT(c[2] > 230 && c[2] < 280);
	b[2].weight = 0;
	build(b, 3, table);
	count(table, c, 3);
	KP_EXPECT(c[2] == 0 && c[0] + c[1] == M);
}

/* Removing one of N moves its own keys and only a few others. */
static void test_minimal_disruption(void)
{
	struct kp_maglev_backend b[20];
	unsigned int i, moved = 0, n = 20;

	backends(b, n, 7);
	build(b, n, table);
	build(b + 1, n - 1, table2);		/* backend 0 removed */
	for (i = 0; i < M; i++) {
		unsigned int before = table[i], after = table2[i] + 1;

		if (before != 0 && before != after)
			moved++;
	}
	printf("#   removing 1 of %u: %u of %u other keys moved (%.1f%%)\n",
	       n, moved, M, 100.0 * moved / M);
	KP_EXPECT(moved < M / n);		/* ideal is 0; Maglev stays well under 1/N */
}

/* Same set, any order: the same backend for every key. */
static void test_order_independent(void)
{
	struct kp_maglev_backend b[8], r[8];
	unsigned int i;

	backends(b, 8, 40);
	for (i = 0; i < 8; i++)
		r[i] = b[7 - i];
	build(b, 8, table);
	build(r, 8, table2);
	for (i = 0; i < M; i++)
		KP_EXPECT(table[i] == 7 - table2[i]);
}

static void test_bad_input(void)
{
	struct kp_maglev_backend b[2];
	struct kp_maglev_scratch s[2];

	backends(b, 2, 0);
	KP_EXPECT(kp_maglev_build(b, 2, s, table, 1000) == -EINVAL);
	b[0].weight = b[1].weight = 0;
	KP_EXPECT(kp_maglev_build(b, 2, s, table, M) == -ENOENT);
	KP_EXPECT(table[0] == KP_MAGLEV_EMPTY);
	KP_EXPECT(kp_maglev_build(b, 0, s, table, M) == -ENOENT);
}

int main(void)
{
	KP_RUN(test_even_shares);
	KP_RUN(test_weights);
	KP_RUN(test_minimal_disruption);
	KP_RUN(test_order_independent);
	KP_RUN(test_bad_input);
	return KP_TEST_DONE();
}
