// SPDX-License-Identifier: GPL-2.0
#include <arpa/inet.h>
#include <inttypes.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <string.h>
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

static const char *kp_name(const char *const *names, unsigned int n, unsigned int i)
{
	return i < n ? names[i] : "?";
}

static const char *kp_ip_str(const struct kpl_ip *ip, char *buf, size_t len)
{
	if (!inet_ntop(ip->family, ip->ip, buf, (socklen_t)len))
		snprintf(buf, len, "?");
	return buf;
}

/* The node's own settings ("default": it follows the host's module parameter). */
static void kp_print_settings(FILE *f, const struct kpl_node_settings *s)
{
	const uint32_t limits[] = { s->max_endpoints, s->max_services, s->max_flows };
	char buf[3][16];
	unsigned int i;

	for (i = 0; i < 3; i++)
		snprintf(buf[i], sizeof(buf[i]), limits[i] ? "%" PRIu32 : "default", limits[i]);
	fprintf(f, "settings:    max-endpoints %s, max-services %s, max-flows %s\n", buf[0], buf[1],
		buf[2]);
	fprintf(f, "             policy-reject %s, bypass-conntrack %s, fast-forward %s\n",
		kp_name(kp_setting_names, __KPLANE_SETTING_MAX, s->policy_reject),
		kp_name(kp_setting_names, __KPLANE_SETTING_MAX, s->bypass_conntrack),
		kp_name(kp_setting_names, __KPLANE_SETTING_MAX, s->fast_forward));
	fprintf(f, "             failsafe-in %s\n             failsafe-out %s\n",
		s->failsafe_in[0] ? s->failsafe_in : "none",
		s->failsafe_out[0] ? s->failsafe_out : "none");
}

static void kp_print_settings_json(FILE *f, const struct kpl_node_settings *s)
{
	fprintf(f, "{\"max_endpoints\":%" PRIu32 ",\"max_services\":%" PRIu32
		",\"max_flows\":%" PRIu32 ",\"policy_reject\":\"%s\",\"bypass_conntrack\":\"%s\""
		",\"fast_forward\":\"%s\",\"failsafe_in\":", s->max_endpoints, s->max_services,
		s->max_flows, kp_name(kp_setting_names, __KPLANE_SETTING_MAX, s->policy_reject),
		kp_name(kp_setting_names, __KPLANE_SETTING_MAX, s->bypass_conntrack),
		kp_name(kp_setting_names, __KPLANE_SETTING_MAX, s->fast_forward));
	kp_json_string(f, s->failsafe_in);
	fputs(",\"failsafe_out\":", f);
	kp_json_string(f, s->failsafe_out);
	fputc('}', f);
}

void kp_print_status(FILE *f, const struct kpl_status *st, bool json)
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
			",\"policy_checked\":%" PRIu64 ",\"policy_bypassed\":%" PRIu64
			",\"policy_denied\":%" PRIu64 ",\"policy_failsafe\":%" PRIu64
			",\"policy_related\":%" PRIu64 ",\"spoofed\":%" PRIu64
			",\"lb_socket_full\":%" PRIu64 ",\"probe_missed\":%" PRIu64
			",\"fast_forwarded\":%" PRIu64 "},\"policy_revision\":%" PRIu32 ",\"services\":%" PRIu32 ",\"service_limit\":%" PRIu32
			",\"flows\":%" PRIu32 ",\"flow_limit\":%" PRIu32 ",\"settings\":",
			st->version, st->enabled ? "true" : "false", st->generation,
			st->endpoint_count, st->endpoint_limit, st->rx_packets, st->rx_bytes,
			st->ep_table_full, st->ep_reaped, st->svc_table_full, st->connect_lb,
			st->connect_refused, st->flow_created, st->flow_table_full,
			st->flow_expired, st->flow_torn_down, st->nat_packets, st->nat_refused,
			st->snat_exhausted, st->policy_checked, st->policy_bypassed,
			st->policy_denied, st->policy_failsafe, st->policy_related,
			st->spoofed, st->lb_socket_full, st->probe_missed, st->fast_forwarded,
			st->policy_revision,
			st->service_count, st->service_limit,
			st->flow_count, st->flow_limit);
		kp_print_settings_json(f, &st->settings);
		fputs("}\n", f);
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
	fprintf(f, "policy:      revision %" PRIu32 "; %" PRIu64 " packets checked, %" PRIu64
		" bypassed (approved flow), %" PRIu64 " denied, %" PRIu64
		" failsafe, %" PRIu64 " ICMP errors related to approved flows\n",
		st->policy_revision, st->policy_checked, st->policy_bypassed,
		st->policy_denied, st->policy_failsafe, st->policy_related);
	fprintf(f, "fast path:   %" PRIu64 " packets forwarded from the first hook\n",
		st->fast_forwarded);
	fprintf(f, "spoofed:     %" PRIu64 " packets dropped (a workload's source not its own)\n",
		st->spoofed);
	fprintf(f, "sockets:     %" PRIu64 " not shown their service (node's share full); "
		"%" PRIu64 " probe hits missed on the host\n", st->lb_socket_full, st->probe_missed);
	kp_print_settings(f, &st->settings);
}

static void kp_print_endpoint_json(FILE *f, const struct kpl_endpoint *ep)
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
	fprintf(f, "],\"host\":%s,\"policies\":[", ep->host ? "true" : "false");
	for (i = 0; i < ep->n_attach; i++) {
		fprintf(f, "%s{\"dir\":\"%s\",\"tier\":", i ? "," : "",
			kp_dir_names[ep->attach[i].dir % __KPLANE_DIR_MAX]);
		kp_json_string(f, ep->attach[i].tier);
		fprintf(f, ",\"policy\":");
		kp_json_string(f, ep->attach[i].policy);
		fputc('}', f);
	}
	fprintf(f, "]}");
}

/* "  ingress: TIER[POLICY,...] TIER[]" for each direction with tiers. */
static void kp_print_attach(FILE *f, const struct kpl_endpoint *ep)
{
	unsigned int d, i;

	for (d = 0; d < __KPLANE_DIR_MAX; d++) {
		const char *tier = NULL;
		bool any = false;

		for (i = 0; i < ep->n_attach; i++) {
			const struct kpl_ep_attach *a = &ep->attach[i];

			if (a->dir != d)
				continue;
			if (!any)
				fprintf(f, "    %s:", kp_dir_names[d]);
			if (!tier || strcmp(tier, a->tier))
				fprintf(f, "%s %s[", tier ? "]" : "", a->tier);
			else
				fputc(',', f);
			fprintf(f, "%s", a->policy);
			tier = a->tier;
			any = true;
		}
		if (any)
			fprintf(f, "]\n");
	}
}

static void kp_print_endpoint_row(FILE *f, const struct kpl_endpoint *ep)
{
	char buf[INET6_ADDRSTRLEN], nsid[16] = "-";
	unsigned int i;

	if (ep->has_netnsid)
		snprintf(nsid, sizeof(nsid), "%" PRId32, ep->netnsid);
	fprintf(f, "%-32s %-15s %7" PRIu32 " %7s ", ep->id, ep->ifname, ep->ifindex, nsid);
	for (i = 0; i < ep->n_addrs; i++)
		fprintf(f, "%s%s", i ? "," : "", kp_ip_str(&ep->addrs[i], buf, sizeof(buf)));
	fprintf(f, "%s%s\n", ep->n_addrs ? "" : "-", ep->host ? " (host endpoint)" : "");
	kp_print_attach(f, ep);
}

static void kp_print_header(FILE *f)
{
	fprintf(f, "%-32s %-15s %7s %7s %s\n", "ID", "INTERFACE", "IFINDEX", "NETNSID",
		"ADDRESSES");
}

void kp_print_endpoint(FILE *f, const struct kpl_endpoint *ep, bool json)
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

void kp_print_endpoints(FILE *f, const struct kpl_endpoint *eps, size_t n, bool json)
{
	static const struct kp_lister lister = {
		sizeof(struct kpl_endpoint), kp_endpoint_json_any, kp_endpoint_row_any,
		kp_print_header,
	};

	kp_print_list(f, &lister, eps, n, json);
}

/* "ADDR:PORT", IPv6 in brackets. */
static const char *kp_hostport_str(const struct kpl_ip *ip, uint16_t port, char *buf, size_t len)
{
	char a[INET6_ADDRSTRLEN];

	kp_ip_str(ip, a, sizeof(a));
	snprintf(buf, len, ip->family == AF_INET6 ? "[%s]:%u" : "%s:%u", a, port);
	return buf;
}

static const char *kp_proto_str(uint8_t proto)
{
	switch (proto) {
	case IPPROTO_TCP: return "tcp";
	case IPPROTO_UDP: return "udp";
	case IPPROTO_SCTP: return "sctp";
	case IPPROTO_ICMP: return "icmp";
	case IPPROTO_ICMPV6: return "icmpv6";
	}
	return NULL;
}

/* A protocol's name, or its number. */
static const char *kp_proto_name(uint8_t proto, char *buf, size_t len)
{
	if (kp_proto_str(proto))
		return kp_proto_str(proto);
	snprintf(buf, len, "%u", proto);
	return buf;
}


static void kp_print_service_json(FILE *f, const struct kpl_service *svc)
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
		const struct kpl_backend *be = &svc->backends[i];

		fprintf(f, "%s{\"address\":\"%s\",\"port\":%u,\"weight\":%" PRIu32
			",\"state\":\"%s\",\"local\":%s}", i ? "," : "",
			kp_ip_str(&be->addr, buf, sizeof(buf)), be->port, be->weight,
			kp_name(kp_be_state_names, __KPLANE_BE_STATE_MAX, be->state),
			be->local ? "true" : "false");
	}
	fprintf(f, "]}");
}

static void kp_print_service_row(FILE *f, const struct kpl_service *svc)
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

/* The lines under a service's row: settings, then one per backend. */
static void kp_print_service_detail(FILE *f, const struct kpl_service *svc)
{
	char be[64];
	unsigned int i;

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

void kp_print_service(FILE *f, const struct kpl_service *svc, bool json)
{
	if (json) {
		kp_print_service_json(f, svc);
		fputc('\n', f);
		return;
	}
	kp_print_service_header(f);
	kp_print_service_row(f, svc);
	kp_print_service_detail(f, svc);
}

/* One side of a diff as a JSON array. */
static void kp_print_svcs_json(FILE *f, const struct kpl_service *const *svcs, unsigned int n)
{
	unsigned int i;

	fputc('[', f);
	for (i = 0; i < n; i++) {
		if (i)
			fputc(',', f);
		kp_print_service_json(f, svcs[i]);
	}
	fputc(']', f);
}

static void kp_print_ep_ids_json(FILE *f, const struct kp_want_ep *const *eps, unsigned int n)
{
	unsigned int i;

	fputc('[', f);
	for (i = 0; i < n; i++) {
		if (i)
			fputc(',', f);
		kp_json_string(f, eps[i]->ep.id);
	}
	fputc(']', f);
}

void kp_print_change(FILE *f, const struct kp_change *c, bool json)
{
	unsigned int i;

	if (json) {
		fputs("{\"set\":", f);
		kp_print_svcs_json(f, c->svc.set, c->svc.n_set);
		fputs(",\"del\":", f);
		kp_print_svcs_json(f, c->svc.del, c->svc.n_del);
		fputs(",\"endpoints_add\":", f);
		kp_print_ep_ids_json(f, c->ep.add, c->ep.n_add);
		fputs(",\"endpoints_del\":", f);
		kp_print_ep_ids_json(f, c->ep.del, c->ep.n_del);
		fputs(",\"settings\":", f);
		if (c->settings)
			kp_print_settings_json(f, c->settings);
		else
			fputs("null", f);
		fputs("}\n", f);
		return;
	}
	if (c->settings) {
		fputs("set node ", f);
		kp_print_settings(f, c->settings);
	}
	for (i = 0; i < c->ep.n_del; i++)
		fprintf(f, "del endpoint %s\n", c->ep.del[i]->ep.id);
	for (i = 0; i < c->svc.n_del; i++) {
		fputs("del ", f);
		kp_print_service_row(f, c->svc.del[i]);
	}
	for (i = 0; i < c->svc.n_set; i++) {
		fputs("set ", f);
		kp_print_service_row(f, c->svc.set[i]);
		kp_print_service_detail(f, c->svc.set[i]);
	}
	for (i = 0; i < c->ep.n_add; i++)
		fprintf(f, "add endpoint %s dev %s (%u addresses)\n", c->ep.add[i]->ep.id,
			c->ep.add[i]->ep.ifname, c->ep.add[i]->ep.n_addrs);
	fprintf(f, "%u to set, %u to delete; %u endpoints to add, %u to delete%s\n", c->svc.n_set,
		c->svc.n_del, c->ep.n_add, c->ep.n_del, c->settings ? "; node settings to set" : "");
}

static void kp_service_json_any(FILE *f, const void *obj)
{
	kp_print_service_json(f, obj);
}

static void kp_service_row_any(FILE *f, const void *obj)
{
	kp_print_service_row(f, obj);
}

void kp_print_services(FILE *f, const struct kpl_service *svcs, size_t n, bool json)
{
	static const struct kp_lister lister = {
		sizeof(struct kpl_service), kp_service_json_any, kp_service_row_any,
		kp_print_service_header,
	};

	kp_print_list(f, &lister, svcs, n, json);
}

/* --- IP sets, policies, trace --- */

static void kp_ipset_json(FILE *f, const void *obj)
{
	const struct kpl_ipset_info *set = obj;

	fprintf(f, "{\"name\":");
	kp_json_string(f, set->name);
	fprintf(f, ",\"members\":%" PRIu32 "}", set->count);
}

static void kp_ipset_row(FILE *f, const void *obj)
{
	const struct kpl_ipset_info *set = obj;

	fprintf(f, "%-40s %" PRIu32 "\n", set->name, set->count);
}

static void kp_ipset_header(FILE *f)
{
	fprintf(f, "%-40s %s\n", "IPSET", "MEMBERS");
}

void kp_print_ipsets(FILE *f, const struct kpl_ipset_info *sets, size_t n, bool json)
{
	static const struct kp_lister lister = {
		sizeof(struct kpl_ipset_info), kp_ipset_json, kp_ipset_row, kp_ipset_header,
	};

	kp_print_list(f, &lister, sets, n, json);
}

/* One member per line (JSON: an array of strings), as "ipset set" takes them. */
void kp_print_ipset_members(FILE *f, const struct kpl_ipset_info *set, bool json)
{
	char buf[INET6_ADDRSTRLEN];
	uint32_t i;

	if (json) {
		fprintf(f, "{\"name\":");
		kp_json_string(f, set->name);
		fprintf(f, ",\"members\":[");
	}
	for (i = 0; i < set->n_members; i++) {
		const struct kplane_prefix *m = &set->members[i];

		if (!inet_ntop(m->family, m->addr, buf, sizeof(buf)))
			snprintf(buf, sizeof(buf), "?");
		if (json)
			fprintf(f, "%s\"%s/%u\"", i ? "," : "", buf, m->len);
		else
			fprintf(f, "%s/%u\n", buf, m->len);
	}
	if (json)
		fprintf(f, "]}\n");
}


static void kp_print_item(FILE *f, const struct kpl_rule_item *it)
{
	static const char *const names[KPLANE_SIDE_A_MAX + 1] = {
		[KPLANE_SIDE_A_NET] = "net", [KPLANE_SIDE_A_NOT_NET] = "not-net",
		[KPLANE_SIDE_A_SET] = "set", [KPLANE_SIDE_A_NOT_SET] = "not-set",
		[KPLANE_SIDE_A_PORT] = "port", [KPLANE_SIDE_A_NOT_PORT] = "not-port",
	};
	char buf[INET6_ADDRSTRLEN];

	if (it->kind == 0 || it->kind > KPLANE_SIDE_A_MAX)
		return;
	fprintf(f, " %s ", names[it->kind]);
	if (it->kind == KPLANE_SIDE_A_SET || it->kind == KPLANE_SIDE_A_NOT_SET) {
		fprintf(f, "%s", it->set);
	} else if (it->kind == KPLANE_SIDE_A_PORT || it->kind == KPLANE_SIDE_A_NOT_PORT) {
		fprintf(f, "%u", it->ports.first);
		if (it->ports.last != it->ports.first)
			fprintf(f, "-%u", it->ports.last);
	} else {
		if (!inet_ntop(it->prefix.family, it->prefix.addr, buf, sizeof(buf)))
			snprintf(buf, sizeof(buf), "?");
		fprintf(f, "%s/%u", buf, it->prefix.len);
	}
}

/* A rule in the syntax policy set takes. */
static void kp_print_rule(FILE *f, const struct kpl_rule *r)
{
	char buf[8];
	unsigned int side, i;

	fprintf(f, "%s", r->action < __KPLANE_ACTION_MAX ? kp_action_names[r->action] : "?");
	if (r->has & KPL_HAS_PROTO)
		fprintf(f, " proto %s", kp_proto_name(r->proto, buf, sizeof(buf)));
	if (r->has & KPL_HAS_NOT_PROTO)
		fprintf(f, " not-proto %s", kp_proto_name(r->not_proto, buf, sizeof(buf)));
	if (r->has & KPL_HAS_ICMP_TYPE)
		fprintf(f, " icmp %u", r->icmp_type);
	if (r->has & KPL_HAS_ICMP_CODE)
		fprintf(f, "/%u", r->icmp_code);
	if (r->has & KPL_HAS_NOT_ICMP_TYPE)
		fprintf(f, " not-icmp %u", r->not_icmp_type);
	if (r->has & KPL_HAS_NOT_ICMP_CODE)
		fprintf(f, "/%u", r->not_icmp_code);
	for (side = 0; side < 2; side++) {
		bool first = true;

		for (i = 0; i < r->n_items; i++) {
			if (r->items[i].dst != side)
				continue;
			if (first)
				fprintf(f, " %s", side ? "to" : "from");
			first = false;
			kp_print_item(f, &r->items[i]);
		}
	}
}

static void kp_print_policy_json(FILE *f, const struct kpl_policy *pol)
{
	unsigned int i;

	fprintf(f, "{\"id\":");
	kp_json_string(f, pol->id);
	fprintf(f, ",\"tier\":");
	kp_json_string(f, pol->tier);
	fprintf(f, ",\"order\":%" PRIu32 ",\"types\":%u,\"apply_on_forward\":%s,\"rules\":[",
		pol->order, pol->types, pol->apply_on_forward ? "true" : "false");
	for (i = 0; i < pol->n_rules; i++)
		fprintf(f, "%s{\"dir\":\"%s\",\"action\":\"%s\",\"packets\":%" PRIu64
			",\"bytes\":%" PRIu64 "}", i ? "," : "",
			kp_dir_names[pol->rules[i].dir % __KPLANE_DIR_MAX],
			pol->rules[i].action < __KPLANE_ACTION_MAX ?
			kp_action_names[pol->rules[i].action] : "?",
			pol->rules[i].packets, pol->rules[i].bytes);
	fprintf(f, "]}");
}

void kp_print_policies(FILE *f, const struct kpl_policy *pols, size_t n, bool json)
{
	unsigned int idx[__KPLANE_DIR_MAX];
	size_t p, i;

	if (json) {
		fputc('[', f);
		for (p = 0; p < n; p++) {
			fprintf(f, "%s", p ? "," : "");
			kp_print_policy_json(f, &pols[p]);
		}
		fprintf(f, "]\n");
		return;
	}
	for (p = 0; p < n; p++) {
		const struct kpl_policy *pol = &pols[p];

		fprintf(f, "policy %s tier %s order %" PRIu32 " types %s%s%s%s\n", pol->id,
			pol->tier, pol->order,
			pol->types & KPLANE_POLICY_INGRESS ? "ingress" : "",
			pol->types == (KPLANE_POLICY_INGRESS | KPLANE_POLICY_EGRESS) ? "," : "",
			pol->types & KPLANE_POLICY_EGRESS ? "egress" : "",
			pol->apply_on_forward ? " apply-on-forward true" : "");
		memset(idx, 0, sizeof(idx));
		for (i = 0; i < pol->n_rules; i++) {
			const struct kpl_rule *r = &pol->rules[i];
			unsigned int d = r->dir % __KPLANE_DIR_MAX;

			fprintf(f, "  %-7s %3u  %10" PRIu64 " pkts %12" PRIu64 " bytes  ",
				kp_dir_names[d], idx[d]++, r->packets, r->bytes);
			kp_print_rule(f, r);
			fputc('\n', f);
		}
	}
}

void kp_print_trace(FILE *f, const struct kpl_trace_result *res, bool json)
{
	unsigned int i;

	if (json) {
		fprintf(f, "{\"verdict\":\"%s\",\"steps\":[",
			res->verdict < __KPLANE_ACTION_MAX ? kp_action_names[res->verdict] : "?");
		for (i = 0; i < res->n_steps; i++) {
			const struct kpl_trace_step *s = &res->steps[i];

			fprintf(f, "%s{\"endpoint\":", i ? "," : "");
			kp_json_string(f, s->endpoint);
			fprintf(f, ",\"dir\":\"%s\",\"forwarded\":%s,\"action\":\"%s\","
				"\"reason\":\"%s\",\"tier\":",
				kp_dir_names[s->dir % __KPLANE_DIR_MAX], s->forwarded ? "true" : "false",
				kp_action_names[s->action % __KPLANE_ACTION_MAX],
				kp_reason_names[s->reason % __KPLANE_REASON_MAX]);
			kp_json_string(f, s->tier);
			fprintf(f, ",\"policy\":");
			kp_json_string(f, s->policy);
			fprintf(f, ",\"rule\":%" PRIu32 "}", s->rule);
		}
		fprintf(f, "]}\n");
		return;
	}
	fprintf(f, "verdict: %s\n",
		res->verdict < __KPLANE_ACTION_MAX ? kp_action_names[res->verdict] : "?");
	if (!res->n_steps)
		fprintf(f, "  no endpoint involved: not kplane's traffic\n");
	for (i = 0; i < res->n_steps; i++) {
		const struct kpl_trace_step *s = &res->steps[i];

		fprintf(f, "  %s %s%s: %s (%s", s->endpoint, kp_dir_names[s->dir % __KPLANE_DIR_MAX],
			s->forwarded ? " (forwarded)" : "", kp_action_names[s->action % __KPLANE_ACTION_MAX],
			kp_reason_names[s->reason % __KPLANE_REASON_MAX]);
		if (s->tier[0])
			fprintf(f, ", tier %s", s->tier);
		if (s->policy[0])
			fprintf(f, ", policy %s %s rule %" PRIu32, s->policy,
				kp_dir_names[s->dir % __KPLANE_DIR_MAX], s->rule);
		fprintf(f, ")\n");
	}
}
