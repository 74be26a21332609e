// SPDX-License-Identifier: GPL-2.0
/* Service selection: see lb.h. */
#include "lb.h"
#include "route.h"

unsigned int kp_net_id __read_mostly;

struct kp_node *kp_node_serving(const struct net *net)
{
	struct kp_node *node = kp_node_get(net);
	struct kp_endpoint *ep;

	if (READ_ONCE(node->enabled))
		return node;
	ep = kp_ep_lookup_netns(net);
	if (!ep)
		return NULL;
	node = kp_node_of_table(ep->table);
	return READ_ONCE(node->enabled) ? node : NULL;
}

struct kp_service *kp_lb_service(struct kp_node *node, const struct kp_svc_key *key)
{
	struct kp_service *svc = kp_svc_lookup_wild(&node->svcs, key, kp_view(node));

	if (svc && kp_svc_is_wild(svc) && !kp_net_has_addr(node->net, key->family, key->addr))
		return NULL;
	return svc;
}

const struct kp_backend *kp_lb_pick(struct kp_node *node, const struct kp_service *svc,
				    const u8 *client, u64 hash, bool local)
{
	const struct kp_backend *be;

	if (svc->affinity_timeout) {
		be = kp_affinity_get(&node->flows, svc, client, local);
		if (be)
			return be;
	}
	be = kp_svc_pick(svc, hash, local);
	if (be && svc->affinity_timeout)
		kp_affinity_set(&node->flows, svc, client, be);
	return be;
}
