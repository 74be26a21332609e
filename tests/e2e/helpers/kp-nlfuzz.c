// SPDX-License-Identifier: GPL-2.0
/*
 * kp-nlfuzz SECONDS SEED [NETNS-PATH...]: sends kplane's generic netlink
 * family random requests for SECONDS, from SEED (the same seed, the same
 * sequence).  Requests follow the UAPI's attribute grammar with values drawn
 * from small pools (so objects collide, get replaced, referenced, deleted),
 * and a quarter of them are then damaged: a byte flipped, a length broken, a
 * nest flag dropped, the tail cut.  Transactions are begun, staged into,
 * committed, aborted and abandoned (the socket closed mid-way); every
 * listing is dumped now and then.  NETNS-PATHs are pod netns files whose
 * descriptors requests may name.
 *
 * Prints "requests=N accepted=N refused=N dumps=N" and exits 0; the verdict
 * is the kernel's (no crash, no KASAN/lockdep report, no leak, clean unload).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/socket.h>
#include <linux/netlink.h>
#include "libkplane.h"

static uint64_t rng;

static uint32_t rnd(uint32_t n)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return n ? (uint32_t)(rng % n) : 0;
}

#define PICK(a) ((a)[rnd(sizeof(a) / sizeof((a)[0]))])

/*
 * Half the requests are well formed, so they reach the code behind the
 * validation; in the others each choice goes wrong one time in @n.
 */
static int well_formed;

static int wild(uint32_t n)
{
	return !well_formed && rnd(n) == 0;
}

/* --- the grammar --- */

/* ENUM: a u8 of a small enum; PROTO: a u8 protocol number. */
enum kind { U8, ENUM, PROTO, U16, U32, MAGLEV, STR, ID, IFNAME, FAMILY, ADDR_IP, PREFIX, PORTS,
	    NEST };

struct field {
	int type;
	enum kind kind;
	const struct schema *nest;
	int repeat;		/* most copies */
	uint32_t lo, hi;	/* numbers: the valid range, mostly kept to (hi 0: a pool) */
};

struct schema {
	const struct field *f;
	int n;
	int max_type;		/* types above it are unknown to the kernel */
	int n_req;		/* the first n_req fields are required */
};

#define SCHEMA(name, max, req) static const struct schema name = { name##_f, \
	sizeof(name##_f) / sizeof(name##_f[0]), max, req }

static const struct field addr_f[] = {
	{ KPLANE_ADDR_A_FAMILY, FAMILY, NULL, 1, 0, 0 }, { KPLANE_ADDR_A_IP, ADDR_IP, NULL, 1, 0, 0 },
};
SCHEMA(addr, KPLANE_ADDR_A_MAX, 2);
static const struct field backend_f[] = {
	{ KPLANE_BE_A_ADDR, NEST, &addr, 1, 0, 0 }, { KPLANE_BE_A_PORT, U16, NULL, 1, 0, 0 },
	{ KPLANE_BE_A_WEIGHT, U32, NULL, 1, 1, 10 },
	{ KPLANE_BE_A_STATE, ENUM, NULL, 1, 0, 2 }, { KPLANE_BE_A_LOCAL, U8, NULL, 1, 0, 1 },
};
SCHEMA(backend, KPLANE_BE_A_MAX, 2);
static const struct field service_f[] = {
	{ KPLANE_SVC_A_ADDR, NEST, &addr, 1, 0, 0 }, { KPLANE_SVC_A_PORT, U16, NULL, 1, 0, 0 },
	{ KPLANE_SVC_A_PROTO, PROTO, NULL, 1, 0, 0 }, { KPLANE_SVC_A_ID, ID, NULL, 1, 0, 0 },
	{ KPLANE_SVC_A_TYPE, ENUM, NULL, 1, 0, 3 }, { KPLANE_SVC_A_MAGLEV_SIZE, MAGLEV, NULL, 1, 0, 0 },
	{ KPLANE_SVC_A_BACKEND, NEST, &backend, 6, 0, 0 },
	{ KPLANE_SVC_A_EXT_POLICY, ENUM, NULL, 1, 0, 1 },
	{ KPLANE_SVC_A_INT_POLICY, ENUM, NULL, 1, 0, 1 },
	{ KPLANE_SVC_A_AFFINITY_TIMEOUT, U32, NULL, 1, 0, 3 },
};
SCHEMA(service, KPLANE_SVC_A_MAX, 3);
static const struct field tier_f[] = {
	{ KPLANE_TIER_A_NAME, ID, NULL, 1, 0, 0 }, { KPLANE_TIER_A_POLICY, ID, NULL, 3, 0, 0 },
};
SCHEMA(tier, KPLANE_TIER_A_MAX, 1);
static const struct field prog_f[] = { { KPLANE_PROG_A_TIER, NEST, &tier, 3, 0, 0 } };
SCHEMA(prog, KPLANE_PROG_A_MAX, 0);
static const struct field endpoint_f[] = {
	{ KPLANE_EP_A_ID, ID, NULL, 1, 0, 0 }, { KPLANE_EP_A_IFNAME, IFNAME, NULL, 1, 0, 0 },
	{ KPLANE_EP_A_NETNS_FD, U32, NULL, 1, 0, 0 }, { KPLANE_EP_A_ADDR, NEST, &addr, 3, 0, 0 },
	{ KPLANE_EP_A_HOST, U8, NULL, 1, 0, 1 }, { KPLANE_EP_A_INGRESS, NEST, &prog, 1, 0, 0 },
	{ KPLANE_EP_A_EGRESS, NEST, &prog, 1, 0, 0 },
};
SCHEMA(endpoint, KPLANE_EP_A_MAX, 2);
static const struct field ep_policy_f[] = {
	{ KPLANE_EP_A_ID, ID, NULL, 1, 0, 0 }, { KPLANE_EP_A_INGRESS, NEST, &prog, 1, 0, 0 },
	{ KPLANE_EP_A_EGRESS, NEST, &prog, 1, 0, 0 },
};
SCHEMA(ep_policy, KPLANE_EP_A_MAX, 1);
static const struct field ipset_f[] = {
	{ KPLANE_IPSET_A_NAME, ID, NULL, 1, 0, 0 }, { KPLANE_IPSET_A_MEMBER, PREFIX, NULL, 8, 0, 0 },
	{ KPLANE_IPSET_A_REMOVE, PREFIX, NULL, 4, 0, 0 },
};
SCHEMA(ipset, KPLANE_IPSET_A_MAX, 1);
static const struct field side_f[] = {
	{ KPLANE_SIDE_A_NET, PREFIX, NULL, 3, 0, 0 }, { KPLANE_SIDE_A_NOT_NET, PREFIX, NULL, 2, 0, 0 },
	{ KPLANE_SIDE_A_SET, ID, NULL, 2, 0, 0 }, { KPLANE_SIDE_A_NOT_SET, ID, NULL, 2, 0, 0 },
	{ KPLANE_SIDE_A_PORT, PORTS, NULL, 3, 0, 0 }, { KPLANE_SIDE_A_NOT_PORT, PORTS, NULL, 2, 0, 0 },
};
SCHEMA(side, KPLANE_SIDE_A_MAX, 0);
static const struct field rule_f[] = {
	{ KPLANE_RULE_A_ACTION, ENUM, NULL, 1, 0, 3 }, { KPLANE_RULE_A_PROTO, PROTO, NULL, 1, 0, 0 },
	{ KPLANE_RULE_A_NOT_PROTO, PROTO, NULL, 1, 0, 0 }, { KPLANE_RULE_A_ICMP_TYPE, U8, NULL, 1, 0, 0 },
	{ KPLANE_RULE_A_ICMP_CODE, U8, NULL, 1, 0, 0 }, { KPLANE_RULE_A_NOT_ICMP_TYPE, U8, NULL, 1, 0, 0 },
	{ KPLANE_RULE_A_NOT_ICMP_CODE, U8, NULL, 1, 0, 0 }, { KPLANE_RULE_A_SRC, NEST, &side, 1, 0, 0 },
	{ KPLANE_RULE_A_DST, NEST, &side, 1, 0, 0 },
};
SCHEMA(rule, KPLANE_RULE_A_MAX, 1);
static const struct field policy_f[] = {
	{ KPLANE_POL_A_ID, ID, NULL, 1, 0, 0 }, { KPLANE_POL_A_TIER, ID, NULL, 1, 0, 0 },
	{ KPLANE_POL_A_ORDER, U32, NULL, 1, 0, 9 }, { KPLANE_POL_A_TYPES, ENUM, NULL, 1, 1, 3 },
	{ KPLANE_POL_A_INGRESS_RULE, NEST, &rule, 4, 0, 0 }, { KPLANE_POL_A_EGRESS_RULE, NEST, &rule, 4, 0, 0 },
	{ KPLANE_POL_A_APPLY_ON_FORWARD, U8, NULL, 1, 0, 1 },
};
SCHEMA(policy, KPLANE_POL_A_MAX, 1);
static const struct field trace_f[] = {
	{ KPLANE_TRACE_A_PROTO, PROTO, NULL, 1, 0, 0 }, { KPLANE_TRACE_A_SRC, NEST, &addr, 1, 0, 0 },
	{ KPLANE_TRACE_A_DST, NEST, &addr, 1, 0, 0 }, { KPLANE_TRACE_A_ENDPOINT, ID, NULL, 1, 0, 0 },
	{ KPLANE_TRACE_A_SPORT, U16, NULL, 1, 0, 0 }, { KPLANE_TRACE_A_DPORT, U16, NULL, 1, 0, 0 },
	{ KPLANE_TRACE_A_ICMP_TYPE, U8, NULL, 1, 0, 0 }, { KPLANE_TRACE_A_ICMP_CODE, U8, NULL, 1, 0, 0 },
};
SCHEMA(trace, KPLANE_TRACE_A_MAX, 3);

/*
 * Each command, the top-level nest it takes (NULL: none) and, in a well
 * formed request, how many of the nest's fields it sends (0: all);
 * whether it may be staged in a transaction.
 */
static const struct {
	uint8_t cmd;
	int attr;
	const struct schema *s;
	int n_fields;
	int txn;
	int weight;
} cmds[] = {
	{ KPLANE_CMD_SERVICE_SET, KPLANE_A_SERVICE, &service, 0, 1, 10 },
	{ KPLANE_CMD_SERVICE_DEL, KPLANE_A_SERVICE, &service, 3, 1, 3 },
	{ KPLANE_CMD_SERVICE_GET, KPLANE_A_SERVICE, &service, 3, 0, 1 },
	{ KPLANE_CMD_ENDPOINT_ADD, KPLANE_A_ENDPOINT, &endpoint, 0, 1, 4 },
	{ KPLANE_CMD_ENDPOINT_DEL, KPLANE_A_ENDPOINT, &endpoint, 1, 1, 2 },
	{ KPLANE_CMD_ENDPOINT_GET, KPLANE_A_ENDPOINT, &endpoint, 1, 0, 1 },
	{ KPLANE_CMD_ENDPOINT_POLICY, KPLANE_A_ENDPOINT, &ep_policy, 0, 1, 5 },
	{ KPLANE_CMD_IPSET_SET, KPLANE_A_IPSET, &ipset, 2, 1, 5 },
	{ KPLANE_CMD_IPSET_UPDATE, KPLANE_A_IPSET, &ipset, 0, 1, 4 },
	{ KPLANE_CMD_IPSET_DEL, KPLANE_A_IPSET, &ipset, 1, 1, 2 },
	{ KPLANE_CMD_POLICY_SET, KPLANE_A_POLICY, &policy, 0, 1, 8 },
	{ KPLANE_CMD_POLICY_DEL, KPLANE_A_POLICY, &policy, 1, 1, 2 },
	{ KPLANE_CMD_TRACE, KPLANE_A_TRACE, &trace, 0, 0, 3 },
	{ KPLANE_CMD_NODE_GET, 0, NULL, 0, 0, 1 },
	{ KPLANE_CMD_UNSPEC, 0, NULL, 0, 0, 1 },
	{ KPLANE_CMD_MAX + 1, 0, NULL, 0, 0, 1 },
};

/* --- values: small pools, so that objects meet again --- */

static int netns_fds[8], n_netns_fds;

static const char *const strs[] = {
	"a", "b", "pod2", "pod3", "default", "security", "web", "x/y:z", "", "bad name",
	"veth-f0", "veth-f1", "veth-f2", "lo", "nosuch0",
	"0123456789012345678901234567890123456789012345678901234567890123456789",
};
static const char *const ids[] = { "a", "b", "c", "pod2", "pod3", "default", "security" };
static const char *const ifnames[] = { "veth-f0", "veth-f1", "veth-f2", "lo" };
/* The family of the addresses a request is made of (mostly one). */
static uint16_t family, last_family;

static const uint32_t u32s[] = { 0, 1, 2, 3, 7, 13, 251, 1021, 2039, 65521, 65537,
				  86400, 86401, 0x7fffffff, 0xffffffff };
static const uint16_t u16s[] = { 0, 1, 2, 10, 53, 80, 443, 8080, 30080, 65535 };
static const uint8_t u8s[] = { 0, 1, 2, 3, 4, 6, 17, 58, 132, 254, 255 };
static const uint8_t protos[] = { 6, 6, 17, 17, 1, 58, 132 };
static const uint32_t primes[] = { 251, 509, 1021, 2039 };

struct buf {
	unsigned char d[16384];
	size_t len;
};

static struct nlattr *put(struct buf *b, int type, const void *val, size_t len)
{
	struct nlattr *a = (struct nlattr *)(b->d + b->len);

	if (b->len + NLA_HDRLEN + NLA_ALIGN(len) > sizeof(b->d))
		return NULL;
	a->nla_type = (uint16_t)type;
	a->nla_len = (uint16_t)(NLA_HDRLEN + len);
	memcpy((char *)a + NLA_HDRLEN, val, len);
	memset((char *)a + NLA_HDRLEN + len, 0, NLA_ALIGN(len) - len);
	b->len += NLA_HDRLEN + NLA_ALIGN(len);
	return a;
}

static void ip_of(uint8_t *ip, unsigned int len)
{
	static const uint8_t v4[][4] = { { 10, 96, 0, 1 }, { 10, 96, 0, 2 }, { 10, 244, 1, 2 },
					 { 10, 244, 1, 3 }, { 192, 168, 50, 1 }, { 0, 0, 0, 0 },
					 { 224, 0, 0, 1 }, { 127, 0, 0, 1 } };
	/* fd00:96::N (services), fd00:244::N (pods), ::, ff02::1 */
	static const uint8_t v6_head[][2] = { { 0xfd, 0x00 }, { 0xfd, 0x00 }, { 0, 0 }, { 0xff, 0x02 } };
	unsigned int i = rnd(4);

	memset(ip, 0, 16);
	if (len == 4) {
		memcpy(ip, PICK(v4), 4);
		return;
	}
	memcpy(ip, v6_head[i], 2);
	ip[3] = i == 0 ? 0x96 : i == 1 ? 0x44 : 0;
	ip[2] = i == 1 ? 0x02 : 0;
	ip[15] = (uint8_t)(i == 3 ? 1 : rnd(4));
	while (wild(8))
		ip[rnd(len)] = (uint8_t)rnd(256);
}

static void put_value(struct buf *b, const struct field *f)
{
	uint8_t ip[16];
	struct kplane_prefix p = { 0 };
	struct kplane_port_range r;
	uint32_t v32;
	uint16_t v16;
	uint8_t v8;
	const char *s;

	switch (f->kind) {
	case U8:
	case ENUM:
		v8 = f->hi && !wild(8) ? (uint8_t)(f->lo + rnd(f->hi - f->lo + 1)) :
		     rnd(4) ? PICK(u8s) : (uint8_t)rnd(256);
		put(b, f->type, &v8, 1);
		break;
	case PROTO:
		v8 = !wild(8) ? PICK(protos) : PICK(u8s);
		put(b, f->type, &v8, 1);
		break;
	case U16:
		v16 = !wild(8) ? u16s[1 + rnd(sizeof(u16s) / sizeof(u16s[0]) - 1)] : PICK(u16s);
		put(b, f->type, &v16, 2);
		break;
	case FAMILY:
		last_family = !wild(10) ? family : (rnd(2) ? (uint16_t)rnd(64) : family ^ 8);
		put(b, f->type, &last_family, 2);
		break;
	case U32:
		v32 = f->type == KPLANE_EP_A_NETNS_FD && n_netns_fds && rnd(2) ?
		      (uint32_t)netns_fds[rnd(n_netns_fds)] :
		      f->hi && !wild(8) ? f->lo + rnd(f->hi - f->lo + 1) : PICK(u32s);
		put(b, f->type, &v32, 4);
		break;
	case MAGLEV:
		v32 = !wild(8) ? PICK(primes) : PICK(u32s);
		put(b, f->type, &v32, 4);
		break;
	case STR:
	case ID:
	case IFNAME:
		s = f->kind == ID && !wild(8) ? PICK(ids) :
		    f->kind == IFNAME && !wild(8) ? PICK(ifnames) : PICK(strs);
		put(b, f->type, s, strlen(s) + !wild(32));	/* sometimes no NUL */
		break;
	case ADDR_IP:
		v8 = (uint8_t)(!wild(10) ? (last_family == 2 ? 4 : 16) : rnd(20));
		ip_of(ip, v8 > 16 ? 16 : v8);
		put(b, f->type, ip, v8 > 16 ? 16 : v8);
		break;
	case PREFIX:
		p.family = !wild(8) ? (uint8_t)family : (uint8_t)rnd(16);
		ip_of(p.addr, p.family == 2 ? 4 : 16);
		p.len = (uint8_t)(!wild(4) ? rnd(p.family == 2 ? 33 : 129) : rnd(256));
		if (wild(16))
			p.pad[0] = 1;
		put(b, f->type, &p, !wild(16) ? sizeof(p) : rnd(sizeof(p)));
		break;
	case PORTS:
		r.first = PICK(u16s);
		r.last = rnd(3) ? r.first : PICK(u16s);
		put(b, f->type, &r, sizeof(r));
		break;
	case NEST:
		break;
	}
}

static void gen(struct buf *b, const struct schema *s, int n_fields, int depth);

static void gen_field(struct buf *b, const struct field *f, int depth)
{
	struct nlattr *n;

	if (f->kind != NEST) {
		put_value(b, f);
		return;
	}
	n = put(b, f->type | NLA_F_NESTED, NULL, 0);
	if (!n)
		return;
	gen(b, f->nest, 0, depth + 1);
	n->nla_len = (uint16_t)(b->d + b->len - (unsigned char *)n);
}

/*
 * Most fields present (a well-formed request: every required one, and no
 * more than @n_fields if not 0), a few copies of the repeated ones, now and
 * then a stranger.
 */
static void gen(struct buf *b, const struct schema *s, int n_fields, int depth)
{
	int i, k, copies, n = well_formed && n_fields ? n_fields : s->n;
	uint32_t junk = rnd(UINT32_MAX);

	if (depth > 6)
		return;
	for (i = 0; i < n; i++) {
		if (well_formed ? i >= s->n_req && !rnd(3) : !rnd(8))
			continue;
		copies = s->f[i].repeat > 1 ? 1 + (int)rnd((uint32_t)s->f[i].repeat) : 1;
		if (wild(32))
			copies++;	/* a single attribute twice */
		for (k = 0; k < copies; k++)
			gen_field(b, &s->f[i], depth);
	}
	if (wild(24))
		put(b, (int)rnd((uint32_t)s->max_type + 3), &junk, rnd(5));
}

/* Damage a request: the kernel must refuse it cleanly whatever it became. */
static void damage(struct buf *b)
{
	struct nlattr *a;
	size_t off;

	if (!b->len)
		return;
	switch (rnd(5)) {
	case 0:
		b->d[rnd((uint32_t)b->len)] ^= (uint8_t)(1 + rnd(255));
		break;
	case 1:
		b->len = rnd((uint32_t)b->len);
		break;
	case 2:	/* some attribute header's length */
	case 3:	/* or its type and flags */
		off = 0;
		a = (struct nlattr *)b->d;
		while (off + NLA_HDRLEN <= b->len && rnd(3)) {
			a = (struct nlattr *)(b->d + off);
			off += (a->nla_type & NLA_F_NESTED) && rnd(2) ? NLA_HDRLEN :
			       NLA_ALIGN(a->nla_len ? a->nla_len : NLA_HDRLEN);
		}
		if ((unsigned char *)a + NLA_HDRLEN > b->d + b->len)
			break;
		if (rnd(2))
			a->nla_len = (uint16_t)rnd(a->nla_len + 8);
		else
			a->nla_type ^= (uint16_t)(rnd(2) ? NLA_F_NESTED : 1 + rnd(20));
		break;
	default:
		memmove(b->d, b->d + NLA_HDRLEN, b->len > NLA_HDRLEN ? b->len - NLA_HDRLEN : 0);
		b->len = b->len > NLA_HDRLEN ? b->len - NLA_HDRLEN : 0;
		break;
	}
}

/* --- the run --- */

#define N_CMDS (sizeof(cmds) / sizeof(cmds[0]))

/* KP_FUZZ_WHY=1: the commonest refusals per command, to aim the grammar. */
#define N_WHY 12

struct stats {
	unsigned long requests, accepted, refused, dumps, txns;
	unsigned long cmd_accepted[N_CMDS];
	struct {
		char msg[96];
		unsigned long n;
	} why[N_CMDS][N_WHY];
};

static void note_why(struct stats *st, int cmd, const char *msg)
{
	int k;

	for (k = 0; k < N_WHY && st->why[cmd][k].n; k++)
		if (!strncmp(st->why[cmd][k].msg, msg, sizeof(st->why[cmd][k].msg) - 1))
			break;
	if (k == N_WHY)
		return;
	snprintf(st->why[cmd][k].msg, sizeof(st->why[cmd][k].msg), "%s", msg);
	st->why[cmd][k].n++;
}

static int pick_cmd(void)
{
	int total = 0, i, r;

	for (i = 0; i < (int)N_CMDS; i++)
		total += cmds[i].weight;
	r = (int)rnd((uint32_t)total);
	for (i = 0; r >= cmds[i].weight; i++)
		r -= cmds[i].weight;
	return i;
}

static void dump_all(struct kpl_handle *h, struct stats *st)
{
	struct kpl_service *svcs;
	struct kpl_endpoint *eps;
	struct kpl_policy *pols;
	struct kpl_ipset_info *sets;
	struct kpl_status status;
	size_t n;

	if (!kpl_service_list(h, &svcs, &n))
		kpl_services_free(svcs, n);
	if (!kpl_endpoint_list(h, &eps, &n))
		kpl_endpoints_free(eps, n);
	if (!kpl_policy_list(h, &pols, &n))
		kpl_policies_free(pols, n);
	if (!kpl_ipset_list(h, &sets, &n))
		kpl_ipsets_free(sets, n);
	kpl_node_status(h, &status);
	st->dumps++;
}

/* One request; inside a transaction (@txn: its id, or 0) mostly staged into it. */
static void one(struct kpl_handle *h, uint32_t txn, struct stats *st)
{
	struct buf b = { .len = 0 };
	int i = pick_cmd();
	struct nlattr *n;
	uint32_t id;

	well_formed = rnd(2);
	id = txn && !wild(8) ? txn : (uint32_t)rnd(4);
	family = last_family = rnd(3) ? 2 : 10;
	if ((txn && cmds[i].txn && rnd(4)) || wild(32))
		put(&b, KPLANE_A_TXN_ID, &id, 4);
	if (cmds[i].s) {
		n = put(&b, cmds[i].attr | NLA_F_NESTED, NULL, 0);
		gen(&b, cmds[i].s, cmds[i].n_fields, 0);
		n->nla_len = (uint16_t)(b.d + b.len - (unsigned char *)n);
	}
	if (wild(3))
		damage(&b);
	st->requests++;
	if (kpl_request_raw(h, cmds[i].cmd, b.d, b.len)) {
		st->refused++;
		note_why(st, i, kpl_error(h) ? kpl_error(h) : "(no message)");
	} else {
		st->accepted++;
		st->cmd_accepted[i]++;
	}
}

int main(int argc, char **argv)
{
	static struct stats st;
	struct kpl_handle *h;
	uint32_t txn = 0, txns_begun = 0;
	time_t end;
	int i;

	if (argc < 3) {
		fprintf(stderr, "usage: kp-nlfuzz SECONDS SEED [NETNS-PATH...]\n");
		return 2;
	}
	end = time(NULL) + atoi(argv[1]);
	rng = strtoull(argv[2], NULL, 0) | 1;
	for (i = 3; i < argc && n_netns_fds < 8; i++) {
		int fd = open(argv[i], O_RDONLY);

		if (fd >= 0)
			netns_fds[n_netns_fds++] = fd;
	}
	if (kpl_open(&h)) {
		perror("kp-nlfuzz: open");
		return 1;
	}
	while (time(NULL) < end) {
		switch (rnd(64)) {
		case 0:		/* a transaction: begin, or leave it for the next */
			if (!txn && !kpl_txn_begin(h)) {
				txn = ++txns_begun;
				st.txns++;
			}
			break;
		case 1:
			if (txn)
				kpl_txn_commit(h);
			txn = 0;
			break;
		case 2:
			if (txn)
				kpl_txn_abort(h);
			txn = 0;
			break;
		case 3:		/* the client goes away: its transaction with it */
			kpl_close(h);
			if (kpl_open(&h)) {
				perror("kp-nlfuzz: reopen");
				return 1;
			}
			txn = 0;
			break;
		case 4:
			dump_all(h, &st);
			break;
		default:
			one(h, txn, &st);
		}
	}
	if (txn)
		kpl_txn_commit(h);
	dump_all(h, &st);
	kpl_close(h);
	printf("requests=%lu accepted=%lu refused=%lu dumps=%lu txns=%lu\n", st.requests,
	       st.accepted, st.refused, st.dumps, st.txns);
	for (i = 0; i < (int)N_CMDS; i++) {
		int k;

		printf("  command %u accepted %lu\n", cmds[i].cmd, st.cmd_accepted[i]);
		for (k = 0; getenv("KP_FUZZ_WHY") && k < N_WHY && st.why[i][k].n; k++)
			printf("    %6lu %s\n", st.why[i][k].n, st.why[i][k].msg);
	}
	return 0;
}
