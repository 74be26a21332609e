// SPDX-License-Identifier: GPL-2.0
#include <arpa/inet.h>
#include <inttypes.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include "args.h"
#include "output.h"

static void kp_json_string(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\')
			fprintf(f, "\\%c", c);
		else if (c < 0x20)
			fprintf(f, "\\u%04x", c);
		else
			fputc(c, f);
	}
	fputc('"', f);
}

static const char *kp_ip_str(const struct kp_ip *ip, char *buf, size_t len)
{
	if (!inet_ntop(ip->family, ip->ip, buf, (socklen_t)len))
		snprintf(buf, len, "?");
	return buf;
}

void kp_print_status(FILE *f, const struct kp_status *st, bool json)
{
	if (json) {
		fprintf(f, "{\"version\":%" PRIu32 ",\"enabled\":%s,\"generation\":%" PRIu32
			",\"endpoints\":%" PRIu32 ",\"endpoint_limit\":%" PRIu32
			",\"counters\":{\"rx_packets\":%" PRIu64 ",\"rx_bytes\":%" PRIu64
			",\"endpoint_table_full\":%" PRIu64 ",\"endpoints_reaped\":%" PRIu64
			",\"service_table_full\":%" PRIu64 ",\"connect_lb\":%" PRIu64
			",\"connect_refused\":%" PRIu64 ",\"flows_created\":%" PRIu64
			",\"flow_table_full\":%" PRIu64 ",\"flows_expired\":%" PRIu64
			",\"flows_torn_down\":%" PRIu64 ",\"nat_packets\":%" PRIu64
			",\"nat_refused\":%" PRIu64 ",\"snat_exhausted\":%" PRIu64
			"},\"services\":%" PRIu32 ",\"service_limit\":%" PRIu32
			",\"flows\":%" PRIu32 ",\"flow_limit\":%" PRIu32 "}\n",
			st->version, st->enabled ? "true" : "false", st->generation,
			st->endpoint_count, st->endpoint_limit, st->rx_packets, st->rx_bytes,
			st->ep_table_full, st->ep_reaped, st->svc_table_full, st->connect_lb,
			st->connect_refused, st->flow_created, st->flow_table_full,
			st->flow_expired, st->flow_torn_down, st->nat_packets, st->nat_refused,
			st->snat_exhausted, st->service_count, st->service_limit,
			st->flow_count, st->flow_limit);
		return;
	}
	fprintf(f, "node:        %s (generation %" PRIu32 ", ABI version %" PRIu32 ")\n",
		st->enabled ? "enabled" : "disabled", st->generation, st->version);
	fprintf(f, "endpoints:   %" PRIu32 " of %" PRIu32 "\n",
		st->endpoint_count, st->endpoint_limit);
	fprintf(f, "services:    %" PRIu32 " of %" PRIu32 "\n",
		st->service_count, st->service_limit);
	fprintf(f, "connects:    %" PRIu64 " sent to a backend, %" PRIu64 " refused (no backend)\n",
		st->connect_lb, st->connect_refused);
	fprintf(f, "received:    %" PRIu64 " packets, %" PRIu64 " bytes\n",
		st->rx_packets, st->rx_bytes);
	fprintf(f, "refused:     %" PRIu64 " endpoint adds (table full)\n", st->ep_table_full);
	fprintf(f, "reaped:      %" PRIu64 " endpoints (pod netns gone)\n", st->ep_reaped);
	fprintf(f, "refused:     %" PRIu64 " service sets (table full)\n", st->svc_table_full);
	fprintf(f, "flows:       %" PRIu32 " of %" PRIu32 "; %" PRIu64 " created, %" PRIu64
		" expired, %" PRIu64 " torn down (UDP backend left)\n",
		st->flow_count, st->flow_limit, st->flow_created, st->flow_expired,
		st->flow_torn_down);
	fprintf(f, "packet NAT:  %" PRIu64 " packets rewritten, %" PRIu64
		" refused (no backend)\n", st->nat_packets, st->nat_refused);
	fprintf(f, "refused:     %" PRIu64 " new flows (table full), %" PRIu64
		" (no SNAT port)\n", st->flow_table_full, st->snat_exhausted);
}

static void kp_print_endpoint_json(FILE *f, const struct kp_endpoint *ep)
{
	char buf[INET6_ADDRSTRLEN];
	unsigned int i;

	fprintf(f, "{\"id\":");
	kp_json_string(f, ep->id);
	fprintf(f, ",\"ifname\":");
	kp_json_string(f, ep->ifname);
	fprintf(f, ",\"ifindex\":%" PRIu32, ep->ifindex);
	if (ep->has_netnsid)
		fprintf(f, ",\"netnsid\":%" PRId32, ep->netnsid);
	fprintf(f, ",\"addrs\":[");
	for (i = 0; i < ep->n_addrs; i++)
		fprintf(f, "%s\"%s\"", i ? "," : "", kp_ip_str(&ep->addrs[i], buf, sizeof(buf)));
	fprintf(f, "]}");
}

static void kp_print_endpoint_row(FILE *f, const struct kp_endpoint *ep)
{
	char buf[INET6_ADDRSTRLEN], nsid[16] = "-";
	unsigned int i;

	if (ep->has_netnsid)
		snprintf(nsid, sizeof(nsid), "%" PRId32, ep->netnsid);
	fprintf(f, "%-32s %-15s %7" PRIu32 " %7s ", ep->id, ep->ifname, ep->ifindex, nsid);
	for (i = 0; i < ep->n_addrs; i++)
		fprintf(f, "%s%s", i ? "," : "", kp_ip_str(&ep->addrs[i], buf, sizeof(buf)));
	fprintf(f, "%s\n", ep->n_addrs ? "" : "-");
}

static void kp_print_header(FILE *f)
{
	fprintf(f, "%-32s %-15s %7s %7s %s\n", "ID", "INTERFACE", "IFINDEX", "NETNSID",
		"ADDRESSES");
}

void kp_print_endpoint(FILE *f, const struct kp_endpoint *ep, bool json)
{
	if (json) {
		kp_print_endpoint_json(f, ep);
		fputc('\n', f);
		return;
	}
	kp_print_header(f);
	kp_print_endpoint_row(f, ep);
}

/* A list of objects: a JSON array, or a header and one row each. */
struct kp_lister {
	size_t size;					/* of one object */
	void (*json)(FILE *f, const void *obj);
	void (*row)(FILE *f, const void *obj);
	void (*header)(FILE *f);
};

static void kp_print_list(FILE *f, const struct kp_lister *l, const void *objs, size_t n,
			  bool json)
{
	size_t i;

	if (json) {
		fputc('[', f);
		for (i = 0; i < n; i++) {
			if (i)
				fputc(',', f);
			l->json(f, (const char *)objs + i * l->size);
		}
		fprintf(f, "]\n");
		return;
	}
	l->header(f);
	for (i = 0; i < n; i++)
		l->row(f, (const char *)objs + i * l->size);
}

static void kp_endpoint_json_any(FILE *f, const void *obj)
{
	kp_print_endpoint_json(f, obj);
}

static void kp_endpoint_row_any(FILE *f, const void *obj)
{
	kp_print_endpoint_row(f, obj);
}

void kp_print_endpoints(FILE *f, const struct kp_endpoint *eps, size_t n, bool json)
{
	static const struct kp_lister lister = {
		sizeof(struct kp_endpoint), kp_endpoint_json_any, kp_endpoint_row_any,
		kp_print_header,
	};

	kp_print_list(f, &lister, eps, n, json);
}

/* "ADDR:PORT", IPv6 in brackets. */
static const char *kp_hostport_str(const struct kp_ip *ip, uint16_t port, char *buf, size_t len)
{
	char a[INET6_ADDRSTRLEN];

	kp_ip_str(ip, a, sizeof(a));
	snprintf(buf, len, ip->family == AF_INET6 ? "[%s]:%u" : "%s:%u", a, port);
	return buf;
}

static const char *kp_proto_str(uint8_t proto)
{
	return proto == IPPROTO_TCP ? "tcp" : proto == IPPROTO_UDP ? "udp" : "?";
}

static const char *kp_name(const char *const *names, unsigned int n, unsigned int i)
{
	return i < n ? names[i] : "?";
}

static void kp_print_service_json(FILE *f, const struct kp_service *svc)
{
	char buf[INET6_ADDRSTRLEN];
	unsigned int i;

	fprintf(f, "{\"id\":");
	kp_json_string(f, svc->id);
	fprintf(f, ",\"address\":\"%s\",\"port\":%u,\"protocol\":\"%s\",\"type\":\"%s\","
		"\"maglev_size\":%" PRIu32 ",\"external_policy\":\"%s\","
		"\"internal_policy\":\"%s\",\"affinity_timeout\":%" PRIu32 ",\"backends\":[",
		kp_ip_str(&svc->addr, buf, sizeof(buf)), svc->port, kp_proto_str(svc->proto),
		kp_name(kp_svc_type_names, __KPLANE_SVC_TYPE_MAX, svc->type), svc->maglev_size,
		kp_name(kp_policy_names, __KPLANE_POLICY_MAX, svc->ext_policy),
		kp_name(kp_policy_names, __KPLANE_POLICY_MAX, svc->int_policy),
		svc->affinity_timeout);
	for (i = 0; i < svc->n_backends; i++) {
		const struct kp_backend *be = &svc->backends[i];

		fprintf(f, "%s{\"address\":\"%s\",\"port\":%u,\"weight\":%" PRIu32
			",\"state\":\"%s\",\"local\":%s}", i ? "," : "",
			kp_ip_str(&be->addr, buf, sizeof(buf)), be->port, be->weight,
			kp_name(kp_be_state_names, __KPLANE_BE_STATE_MAX, be->state),
			be->local ? "true" : "false");
	}
	fprintf(f, "]}");
}

static void kp_print_service_row(FILE *f, const struct kp_service *svc)
{
	char fe[64];

	fprintf(f, "%-46s %-5s %-12s %8u  %s\n",
		kp_hostport_str(&svc->addr, svc->port, fe, sizeof(fe)), kp_proto_str(svc->proto),
		kp_name(kp_svc_type_names, __KPLANE_SVC_TYPE_MAX, svc->type), svc->n_backends,
		svc->id[0] ? svc->id : "-");
}

static void kp_print_service_header(FILE *f)
{
	fprintf(f, "%-46s %-5s %-12s %8s  %s\n", "FRONTEND", "PROTO", "TYPE", "BACKENDS", "ID");
}

void kp_print_service(FILE *f, const struct kp_service *svc, bool json)
{
	char be[64];
	unsigned int i;

	if (json) {
		kp_print_service_json(f, svc);
		fputc('\n', f);
		return;
	}
	kp_print_service_header(f);
	kp_print_service_row(f, svc);
	fprintf(f, "  maglev table size %" PRIu32 ", external policy %s, internal policy %s, "
		"affinity %s%" PRIu32 "\n", svc->maglev_size,
		kp_name(kp_policy_names, __KPLANE_POLICY_MAX, svc->ext_policy),
		kp_name(kp_policy_names, __KPLANE_POLICY_MAX, svc->int_policy),
		svc->affinity_timeout ? "ClientIP " : "none ", svc->affinity_timeout);
	for (i = 0; i < svc->n_backends; i++)
		fprintf(f, "  backend %-46s weight %-5" PRIu32 " %s%s\n",
			kp_hostport_str(&svc->backends[i].addr, svc->backends[i].port, be, sizeof(be)),
			svc->backends[i].weight,
			kp_name(kp_be_state_names, __KPLANE_BE_STATE_MAX, svc->backends[i].state),
			svc->backends[i].local ? " local" : "");
}

static void kp_service_json_any(FILE *f, const void *obj)
{
	kp_print_service_json(f, obj);
}

static void kp_service_row_any(FILE *f, const void *obj)
{
	kp_print_service_row(f, obj);
}

void kp_print_services(FILE *f, const struct kp_service *svcs, size_t n, bool json)
{
	static const struct kp_lister lister = {
		sizeof(struct kp_service), kp_service_json_any, kp_service_row_any,
		kp_print_service_header,
	};

	kp_print_list(f, &lister, svcs, n, json);
}
