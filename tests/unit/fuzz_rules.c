// SPDX-License-Identifier: GPL-2.0
/*
 * The rule validator and matcher (kmod/lib/match.c) under the fuzzer: a rule,
 * two IP sets and a packet built from raw bytes; the rule is validated and,
 * when valid, matched.  Called by fuzz_parsers.c.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "match.h"

struct kp_ipset {
	struct kp_ipset_view v;		/* one view here: both point at d */
	struct kp_ipset_data d;
};

static void set_publish(struct kp_ipset *set)
{
	set->v.data[0] = set->v.data[1] = &set->d;
}

void fuzz_rule(const uint8_t *data, size_t len);

/* Bytes, consumed from the front; zeros once they run out. */
struct fuzz_bytes {
	const uint8_t *p;
	size_t n;
};

static uint8_t take(struct fuzz_bytes *b)
{
	if (!b->n)
		return 0;
	b->n--;
	return *b->p++;
}

static void take_prefixes(struct fuzz_bytes *b, struct kp_prefix_set *s)
{
	unsigned int n = take(b) % 4, i, k;
	struct kp_prefix *p = calloc(n + 1, sizeof(*p));

	for (i = 0; i < n; i++) {
		p[i].family = take(b) & 1 ? AF_INET6 : AF_INET;
		p[i].len = take(b) % (p[i].family == AF_INET ? 33 : 129);
		for (k = 0; k < 16; k++)
			p[i].addr[k] = k < 4 || p[i].family == AF_INET6 ? take(b) : 0;
		kp_prefix_mask(&p[i]);
	}
	kp_prefix_set_build(s, p, n);
}

static void take_ports(struct fuzz_bytes *b, struct kp_port_range **r, u16 *n)
{
	unsigned int i;

	*n = take(b) % 4;
	*r = calloc(*n + 1, sizeof(**r));
	for (i = 0; i < *n; i++) {
		(*r)[i].lo = (u16)(take(b) << 8 | take(b));
		(*r)[i].hi = (u16)(take(b) << 8 | take(b));
	}
}

static void take_sets(struct fuzz_bytes *b, struct kp_ipset *pool, struct kp_ipset ***sets,
		      u8 *n)
{
	unsigned int i;

	*n = take(b) % 3;
	*sets = calloc(*n + 1, sizeof(**sets));
	for (i = 0; i < *n; i++)
		(*sets)[i] = &pool[take(b) % 2];
}

static void take_side(struct fuzz_bytes *b, struct kp_ipset *pool, struct kp_rule_side *s)
{
	take_prefixes(b, &s->nets);
	take_prefixes(b, &s->not_nets);
	take_sets(b, pool, &s->sets, &s->n_sets);
	take_sets(b, pool, &s->not_sets, &s->n_not_sets);
	take_ports(b, &s->ports, &s->n_ports);
	take_ports(b, &s->not_ports, &s->n_not_ports);
}

/* A rule and a packet from raw bytes: validated, and matched when valid. */
void fuzz_rule(const uint8_t *data, size_t len)
{
	struct fuzz_bytes b = { data, len };
	struct kp_ipset pool[2];
	struct kp_match_pkt pkt;
	struct kp_rule r;
	unsigned int i;

	memset(&r, 0, sizeof(r));
	memset(&pkt, 0, sizeof(pkt));
	take_prefixes(&b, &pool[0].d.s);
	take_prefixes(&b, &pool[1].d.s);
	set_publish(&pool[0]);
	set_publish(&pool[1]);
	r.action = take(&b);
	r.flags = take(&b);
	r.proto = take(&b);
	r.not_proto = take(&b);
	r.icmp_type = take(&b);
	r.icmp_code = take(&b);
	r.not_icmp_type = take(&b);
	r.not_icmp_code = take(&b);
	take_side(&b, pool, &r.src);
	take_side(&b, pool, &r.dst);
	pkt.family = take(&b) & 1 ? AF_INET6 : AF_INET;
	pkt.proto = take(&b);
	pkt.icmp_type = take(&b);
	pkt.icmp_code = take(&b);
	pkt.sport = (u16)(take(&b) << 8 | take(&b));
	pkt.dport = (u16)(take(&b) << 8 | take(&b));
	for (i = 0; i < 16; i++) {
		pkt.saddr[i] = take(&b);
		pkt.daddr[i] = take(&b);
	}
	if (!kp_rule_invalid(&r))
		(void)kp_rule_match(&r, &pkt);
	kp_rule_release(&r);
	free(pool[0].d.s.p);
	free(pool[1].d.s.p);
}

