// SPDX-License-Identifier: GPL-2.0
/* Prefix sets (prefix.h): sorted arrays, one binary search per length. */
#include "prefix.h"

static unsigned int kp_family_bits(u8 family)
{
	return family == AF_INET ? 32 : 128;
}

const char *kp_prefix_invalid(u16 family, unsigned int len)
{
	if (family != AF_INET && family != AF_INET6)
		return "address family must be AF_INET or AF_INET6";
	if (len > kp_family_bits(family))
		return "prefix length is longer than the address";
	return NULL;
}

/* Copies @addr into @out with the bits past @len cleared. */
static void kp_prefix_masked(u8 *out, const u8 *addr, u8 family, unsigned int len)
{
	unsigned int bytes = kp_family_bits(family) / 8, i;

	memset(out, 0, 16);
	for (i = 0; i < bytes && len; i++) {
		unsigned int keep = len >= 8 ? 8 : len;

		out[i] = addr[i] & (u8)(0xff00 >> keep);
		len -= keep;
	}
}

bool kp_prefix_mask(struct kp_prefix *p)
{
	u8 m[16];
	bool exact;

	kp_prefix_masked(m, p->addr, p->family, p->len);
	exact = !memcmp(m, p->addr, 16);
	memcpy(p->addr, m, 16);
	return exact;
}

int kp_prefix_cmp(const void *a, const void *b)
{
	const struct kp_prefix *x = a, *y = b;

	if (x->family != y->family)
		return x->family < y->family ? -1 : 1;
	if (x->len != y->len)
		return x->len > y->len ? -1 : 1;	/* longest first */
	return memcmp(x->addr, y->addr, 16);
}

static void kp_prefix_set_len(struct kp_prefix_set *s, const struct kp_prefix *p)
{
	if (p->family == AF_INET)
		s->lens4 |= 1ULL << p->len;
	else
		s->lens6[p->len / 64] |= 1ULL << (p->len % 64);
}

static bool kp_prefix_has_len(const struct kp_prefix_set *s, u8 family, unsigned int len)
{
	if (family == AF_INET)
		return s->lens4 & (1ULL << len);
	return s->lens6[len / 64] & (1ULL << (len % 64));
}

u32 kp_prefix_set_build(struct kp_prefix_set *s, struct kp_prefix *p, u32 n)
{
	u32 i, kept = 0;

	memset(s, 0, sizeof(*s));
	sort(p, n, sizeof(*p), kp_prefix_cmp, NULL);
	for (i = 0; i < n; i++) {
		if (kept && !kp_prefix_cmp(&p[kept - 1], &p[i]))
			continue;
		p[kept++] = p[i];
		kp_prefix_set_len(s, &p[i]);
	}
	s->p = p;
	s->n = kept;
	return kept;
}

static const struct kp_prefix *kp_prefix_search(const struct kp_prefix_set *s,
						const struct kp_prefix *key)
{
	u32 lo = 0, hi = s ? s->n : 0;

	while (lo < hi) {
		u32 mid = lo + (hi - lo) / 2;
		int c = kp_prefix_cmp(&s->p[mid], key);

		if (!c)
			return &s->p[mid];
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

const struct kp_prefix *kp_prefix_set_lookup(const struct kp_prefix_set *s, u8 family,
					     const u8 *addr)
{
	struct kp_prefix key = { .family = family };
	int len;

	if (!s || !s->n || (family != AF_INET && family != AF_INET6))
		return NULL;
	for (len = kp_family_bits(family); len >= 0; len--) {
		const struct kp_prefix *hit;

		if (!kp_prefix_has_len(s, family, len))
			continue;
		key.len = len;
		kp_prefix_masked(key.addr, addr, family, len);
		hit = kp_prefix_search(s, &key);
		if (hit)
			return hit;
	}
	return NULL;
}

u32 kp_prefix_set_remove(struct kp_prefix_set *s, const struct kp_prefix *del, u32 n_del)
{
	u32 i, kept = 0, gone = 0;

	for (i = 0; i < n_del; i++) {
		struct kp_prefix *hit = (struct kp_prefix *)kp_prefix_search(s, &del[i]);

		if (hit && !hit->pad[0]) {
			hit->pad[0] = 1;	/* marked; never set in a published set */
			gone++;
		}
	}
	if (!gone)
		return 0;
	s->lens4 = 0;
	memset(s->lens6, 0, sizeof(s->lens6));
	for (i = 0; i < s->n; i++) {
		if (s->p[i].pad[0])
			continue;
		s->p[kept++] = s->p[i];
		kp_prefix_set_len(s, &s->p[i]);
	}
	s->n = kept;
	return gone;
}
