// SPDX-License-Identifier: GPL-2.0
/*
 * userspace/agent/labelindex.c: the pairs it reports match a naive
 * evaluation of every selector against every item, over random selectors,
 * items, labels and parents; and a label change evaluates the selectors it
 * can concern, not all of them.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include "kp_test.h"
#include "labelindex.h"

#define SELS	12
#define ITEMS	24
#define PARENTS	3

static const char *const keys[] = { "a", "b", "c" }, *const vals[] = { "x", "y", "z" };

/* The test's own copy of everything, and what the index reported. */
struct world {
	struct kp_sel *sel[SELS];
	bool item_on[ITEMS], parent_on[PARENTS];
	int item_parent[ITEMS];		/* -1: none */
	int item_val[ITEMS][3], parent_val[PARENTS][3];	/* -1: no such label */
	int item_pcns[ITEMS];		/* an item's own "pcns.a" (hides its parent's a): -1 none */
	bool reported[SELS][ITEMS];
	unsigned int reports;
};

static int id_num(const char *id)
{
	return atoi(id + 1);
}

static void on_change(const char *sel_id, const char *item_id, bool on, void *arg)
{
	struct world *w = arg;

	KP_EXPECT(w->reported[id_num(sel_id)][id_num(item_id)] != on);
	w->reported[id_num(sel_id)][id_num(item_id)] = on;
	w->reports++;
}

struct naive {
	const struct world *w;
	int item;
};

/* Own labels a..c, then the parent's as pcns.a..c. */
static const char *naive_label(const char *key, void *arg)
{
	const struct naive *n = arg;
	const int *v = n->w->item_val[n->item];
	int p = n->w->item_parent[n->item];
	unsigned int i;

	if (!strcmp(key, "pcns.a") && n->w->item_pcns[n->item] >= 0)
		return vals[n->w->item_pcns[n->item]];
	if (!strncmp(key, "pcns.", 5)) {
		if (p < 0 || !n->w->parent_on[p])
			return NULL;
		key += 5;
		v = n->w->parent_val[p];
	}
	for (i = 0; i < 3; i++)
		if (!strcmp(key, keys[i]))
			return v[i] < 0 ? NULL : vals[v[i]];
	return NULL;
}

static bool agrees(const struct world *w)
{
	unsigned int s, i, bad = 0;

	for (s = 0; s < SELS; s++)
		for (i = 0; i < ITEMS; i++) {
			struct naive n = { w, (int)i };
			bool want = w->sel[s] && w->item_on[i] &&
				    kp_sel_match(w->sel[s], naive_label, &n);

			bad += want != w->reported[s][i];
		}
	return !bad;
}

static const char *random_selector(char *buf, size_t size, unsigned int *seed)
{
	static const char *const forms[] = {
		"%s == \"%s\"", "%s != \"%s\"", "has(%s)%.0s", "%s in {\"%s\", \"x\"}",
		"%s not in {\"%s\"}", "%s starts with \"%s\"", "all()%.0s%.0s",
	};
	static const char *const shapes[] = { "%s%.0s", "%s && %s", "%s || %s", "!(%s)%.0s" };
	char one[96], two[96];
	const char *k1 = keys[rand_r(seed) % 3], *k2 = keys[rand_r(seed) % 3];
	const char *p1 = rand_r(seed) % 3 ? "" : "pcns.", *p2 = rand_r(seed) % 3 ? "" : "pcns.";
	char key1[16], key2[16];

	snprintf(key1, sizeof(key1), "%s%s", p1, k1);
	snprintf(key2, sizeof(key2), "%s%s", p2, k2);
	snprintf(one, sizeof(one), forms[rand_r(seed) % 7], key1, vals[rand_r(seed) % 3]);
	snprintf(two, sizeof(two), forms[rand_r(seed) % 7], key2, vals[rand_r(seed) % 3]);
	snprintf(buf, size, shapes[rand_r(seed) % 4], one, two);
	return buf;
}

static void random_labels(int v[3], struct kp_label *l, unsigned int *n, unsigned int *seed)
{
	unsigned int i;

	*n = 0;
	for (i = 0; i < 3; i++) {
		v[i] = (int)(rand_r(seed) % 4) - 1;
		if (v[i] >= 0)
			l[(*n)++] = (struct kp_label){ keys[i], vals[v[i]] };
	}
}

static struct kp_sel *parse(const char *text)
{
	struct kp_sel *s = NULL;
	const char *why;
	size_t at;

	KP_EXPECT(kp_sel_parse(text, strlen(text), &s, &why, &at) == 0);
	return s;
}

/* One random change to both the index and the test's copy. */
static void random_change(struct kp_lx *lx, struct world *w, unsigned int *seed)
{
	unsigned int op = rand_r(seed) % 10, n;
	int s = rand_r(seed) % SELS, i = rand_r(seed) % ITEMS, p = rand_r(seed) % PARENTS;
	char id[16], parent[16], text[256];
	struct kp_label l[3];

	snprintf(parent, sizeof(parent), "p%d", p);
	if (op < 2) {
		unsigned int before;

		random_selector(text, sizeof(text), seed);
		snprintf(id, sizeof(id), "s%d", s);
		kp_sel_free(w->sel[s]);
		w->sel[s] = parse(text);
		KP_EXPECT(kp_lx_sel_put(lx, id, parse(text)) == 0);
		/* Put again, the same: not a pair changes (no set emptied for a moment). */
		before = w->reports;
		KP_EXPECT(kp_lx_sel_put(lx, id, parse(text)) == 0);
		KP_EXPECT(w->reports == before);
	} else if (op == 2) {
		snprintf(id, sizeof(id), "s%d", s);
		kp_sel_free(w->sel[s]);
		w->sel[s] = NULL;
		kp_lx_sel_del(lx, id);
	} else if (op < 7) {
		struct kp_label own[4];

		snprintf(id, sizeof(id), "i%d", i);
		random_labels(w->item_val[i], own, &n, seed);
		memcpy(l, own, sizeof(l));
		w->item_pcns[i] = rand_r(seed) % 4 ? -1 : (int)(rand_r(seed) % 3);
		if (w->item_pcns[i] >= 0)
			own[n++] = (struct kp_label){ "pcns.a", vals[w->item_pcns[i]] };
		w->item_parent[i] = rand_r(seed) % 4 ? p : -1;
		w->item_on[i] = true;
		KP_EXPECT(kp_lx_item_put(lx, id, w->item_parent[i] < 0 ? NULL : parent, own, n) == 0);
	} else if (op == 7) {
		snprintf(id, sizeof(id), "i%d", i);
		w->item_on[i] = false;
		kp_lx_item_del(lx, id);
	} else if (op == 8) {
		random_labels(w->parent_val[p], l, &n, seed);
		w->parent_on[p] = true;
		KP_EXPECT(kp_lx_parent_put(lx, parent, l, n) == 0);
	} else {
		w->parent_on[p] = false;
		kp_lx_parent_del(lx, parent);
	}
}

/* 3000 random changes: after each, the reported pairs are the naive ones. */
static void test_differential(void)
{
	struct world *w = calloc(1, sizeof(*w));
	unsigned int seed = 5, step, bad = 0, s;
	struct kp_lx lx;

	kp_lx_init(&lx, "pcns.", on_change, w);
	for (step = 0; step < 3000; step++) {
		random_change(&lx, w, &seed);
		if (!agrees(w) && !bad++) printf("# first disagreement at step %u\n", step);
	}
	printf("#   3000 changes, %u pairs reported, %llu evaluations\n", w->reports,
	       (unsigned long long)lx.evaluations);
	KP_EXPECT(bad == 0 && w->reports > 1000);
	kp_lx_free(&lx);
	for (s = 0; s < SELS; s++)
		kp_sel_free(w->sel[s]);
	free(w);
}

static void count_change(const char *sel_id, const char *item_id, bool on, void *arg)
{
	(void)sel_id;
	(void)item_id;
	(void)on;
	(*(unsigned int *)arg)++;
}

/*
 * With N selectors "app == vK", one pod's app label moving evaluates the
 * two selectors it leaves and joins, at 100 as at 10000 selectors.
 */
static void test_flat_cost(void)
{
	unsigned int sizes[] = { 100, 10000 }, z, k, changes = 0;
	uint64_t cost[2];

	for (z = 0; z < 2; z++) {
		struct kp_label l = { "app", "v1" };
		struct kp_lx lx;
		uint64_t before;
		char id[32], text[64];

		kp_lx_init(&lx, "pcns.", count_change, &changes);
		for (k = 0; k < sizes[z]; k++) {
			snprintf(id, sizeof(id), "s%u", k);
			snprintf(text, sizeof(text), "app == \"v%u\" && has(team)", k);
			KP_EXPECT(kp_lx_sel_put(&lx, id, parse(text)) == 0);
		}
		KP_EXPECT(kp_lx_item_put(&lx, "pod", NULL, &l, 1) == 0);
		before = lx.evaluations;
		l.value = "v2";
		KP_EXPECT(kp_lx_item_put(&lx, "pod", NULL, &l, 1) == 0);
		cost[z] = lx.evaluations - before;
		kp_lx_free(&lx);
	}
	printf("#   one label change: %llu evaluations at 100 selectors, %llu at 10000\n",
	       (unsigned long long)cost[0], (unsigned long long)cost[1]);
	KP_EXPECT(cost[0] == 2 && cost[1] == 2);
}

int main(void)
{
	KP_RUN(test_differential);
	KP_RUN(test_flat_cost);
	return KP_TEST_DONE();
}
