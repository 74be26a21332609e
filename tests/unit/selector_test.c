// SPDX-License-Identifier: GPL-2.0
/*
 * userspace/agent/selector.c: Calico's selector language against the
 * vectors of Calico's own tests (selector_cases.tsv: matches, refusals,
 * canonical forms), its limits, and a differential check that the
 * canonical form of random selectors means what they mean.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include "kp_test.h"
#include "selector.h"

/* Labels as "k=v,k2=v2" (each split at its first '='). */
struct labels {
	char buf[512];
	const char *k[16], *v[16];
	unsigned int n;
};

static void labels_parse(struct labels *l, const char *text)
{
	char *p;

	snprintf(l->buf, sizeof(l->buf), "%s", text);
	l->n = 0;
	for (p = strtok(l->buf, ","); p && l->n < 16; p = strtok(NULL, ",")) {
		char *eq = strchr(p, '=');

		if (!eq)
			continue;
		*eq = '\0';
		l->k[l->n] = p;
		l->v[l->n++] = eq + 1;
	}
}

static const char *label_of(const char *key, void *arg)
{
	const struct labels *l = arg;
	unsigned int i;

	for (i = 0; i < l->n; i++)
		if (!strcmp(l->k[i], key))
			return l->v[i];
	return NULL;
}

static int parse(const char *text, struct kp_sel **s)
{
	const char *why;
	size_t at;

	return kp_sel_parse(text, strlen(text), s, &why, &at);
}

/* One line of the table; false when it disagrees (and says how). */
static bool run_case(char *line, unsigned int lineno, unsigned int counts[3])
{
	char *rest = line, *kind = strsep(&rest, "\t"), *sel = strsep(&rest, "\t");
	char *third = strsep(&rest, "\t"), canon[1024];
	struct kp_sel *s;
	struct labels l;
	bool ok;
	int err;

	if (!sel)
		sel = "";
	err = parse(sel, &s);
	if (!strcmp(kind, "BADPARSE")) {
		ok = err == -EINVAL;
		counts[1]++;
	} else if (!strcmp(kind, "CANON")) {
		ok = !err && kp_sel_string(s, canon, sizeof(canon)) < sizeof(canon) &&
		     !strcmp(canon, third ? third : "");
		counts[2]++;
	} else {
		labels_parse(&l, third ? third : "");
		ok = !err && kp_sel_match(s, label_of, &l) == !strcmp(kind, "MATCH");
		counts[0]++;
	}
	if (!ok)
		printf("#   selector_cases.tsv:%u: %s '%s' (parse %d)\n", lineno, kind, sel, err);
	kp_sel_free(s);
	return ok;
}

/* Every line of Calico's vectors agrees. */
static void test_calico_cases(void)
{
	FILE *f = fopen(KP_CASES, "r");
	unsigned int lineno = 0, counts[3] = { 0 };
	char line[2048];

	KP_EXPECT(f != NULL);
	while (f && fgets(line, sizeof(line), f)) {
		lineno++;
		line[strcspn(line, "\n")] = '\0';
		if (line[0] == '#' || !line[0])
			continue;
		KP_EXPECT(run_case(line, lineno, counts));
	}
	if (f)
		fclose(f);
	printf("#   %u matches, %u refusals, %u canonical forms\n", counts[0], counts[1],
	       counts[2]);
	KP_EXPECT(counts[0] > 150 && counts[1] > 60 && counts[2] > 20);
}

/* "has(a) && (has(a) && (... all() ...))": @n levels of &&. */
static void nested_ands(char *buf, unsigned int n)
{
	unsigned int i;

	buf[0] = '\0';
	for (i = 0; i < n; i++)
		strcat(buf, "has(a) && (");
	strcat(buf, "all()");
	for (i = 0; i < n; i++)
		strcat(buf, ")");
}

/*
 * Limits: a 512-byte key but not 513; 64 levels of &&, || and ! but not 65;
 * parentheses that make no node to 256; no NUL; newline is not space; a
 * fault's offset is where its token starts.
 */
static void test_limits(void)
{
	char text[1200], *deep = malloc(64 * 1024);
	struct kp_sel *s = NULL;
	const char *why = NULL;
	size_t at = 0;

	memset(text, 'a', 512);
	strcpy(text + 512, " == \"v\"");
	KP_EXPECT(parse(text, &s) == 0);
	kp_sel_free(s);
	memset(text, 'a', 513);
	strcpy(text + 513, " == \"v\"");
	KP_EXPECT(parse(text, &s) == -EINVAL && !s);
	nested_ands(deep, 63);
	KP_EXPECT(parse(deep, &s) == 0);
	kp_sel_free(s);
	nested_ands(deep, 64);
	KP_EXPECT(parse(deep, &s) == -EINVAL);
	memset(deep, '(', 256);
	strcpy(deep + 256, "all()");
	memset(deep + 261, ')', 256);
	deep[517] = '\0';
	KP_EXPECT(parse(deep, &s) == 0);
	kp_sel_free(s);
	memmove(deep + 1, deep, 518);
	deep[0] = '(';
	strcat(deep, ")");
	KP_EXPECT(parse(deep, &s) == -EINVAL);
	free(deep);
	KP_EXPECT(kp_sel_parse("a == \"b\"\0", 9, &s, &why, &at) == -EINVAL);
	KP_EXPECT(parse("a == \"b\"\n", &s) == -EINVAL);
	KP_EXPECT(parse("a\t==\t\"b\"", &s) == 0);
	kp_sel_free(s);
	KP_EXPECT(kp_sel_parse("a == \"b\" && %", 13, &s, &why, &at) == -EINVAL && at == 12);
	KP_EXPECT(kp_sel_parse("b == b", 6, &s, &why, &at) == -EINVAL && at == 5);
}

/* A random selector over keys a..c and values x..z, written out as text. */
static int random_sel(char *buf, size_t size, unsigned int *seed, int depth)
{
	static const char *const keys[] = { "a", "b", "c" }, *const vals[] = { "x", "y", "z", "" };
	static const char *const leaves[] = {
		"%s == '%s'", "%s != \"%s\"", "has(%s)%.0s", "%s in {'%s', \"x\",}",
		"%s not in {\"%s\"}", "%s starts with '%s'", "%s contains \"%s\"", "all()%.0s%.0s",
	};
	const char *k = keys[rand_r(seed) % 3], *v = vals[rand_r(seed) % 4];
	unsigned int pick = rand_r(seed) % (depth > 3 ? 8 : 11);
	int n;

	if (pick < 8)
		return snprintf(buf, size, leaves[pick], k, v);
	n = snprintf(buf, size, pick == 8 ? "!(" : "(");
	n += random_sel(buf + n, size - n, seed, depth + 1);
	if (pick > 8) {
		n += snprintf(buf + n, size - n, pick == 9 ? " && " : " || ");
		n += random_sel(buf + n, size - n, seed, depth + 1);
	}
	return n + snprintf(buf + n, size - n, ")");
}

/*
 * The canonical form of 2000 random selectors parses, and matches what the
 * selector matches on every labelling of a, b, c from {absent, x, y, z, ""}.
 */
static void test_canonical_means_the_same(void)
{
	static const char *const vals[] = { NULL, "x", "y", "z", "" };
	unsigned int seed = 11, i, j, disagree = 0;
	char text[4096], canon[8192];

	for (i = 0; i < 2000; i++) {
		struct kp_sel *s, *c;

		random_sel(text, sizeof(text), &seed, 0);
		KP_EXPECT(parse(text, &s) == 0);
		if (!s)
			continue;
		KP_EXPECT(kp_sel_string(s, canon, sizeof(canon)) < sizeof(canon));
		KP_EXPECT(parse(canon, &c) == 0);
		for (j = 0; c && j < 125; j++) {
			struct labels l = { .n = 0 };
			const char *v[3] = { vals[j % 5], vals[j / 5 % 5], vals[j / 25] };
			unsigned int k;

			for (k = 0; k < 3; k++)
				if (v[k]) {
					l.k[l.n] = k == 0 ? "a" : k == 1 ? "b" : "c";
					l.v[l.n++] = v[k];
				}
			disagree += kp_sel_match(s, label_of, &l) != kp_sel_match(c, label_of, &l);
		}
		kp_sel_free(s);
		kp_sel_free(c);
	}
	KP_EXPECT(disagree == 0);
}

int main(void)
{
	KP_RUN(test_calico_cases);
	KP_RUN(test_limits);
	KP_RUN(test_canonical_means_the_same);
	return KP_TEST_DONE();
}
