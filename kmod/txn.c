// SPDX-License-Identifier: GPL-2.0
/* Transactions over a node's configuration: see txn.h. */
#include <linux/module.h>
#include <linux/netlink.h>
#include <linux/notifier.h>
#include <linux/rhashtable.h>
#include <linux/slab.h>
#include <linux/workqueue.h>
#include <net/net_namespace.h>
#include "budget.h"
#include "hooks.h"
#include "node.h"
#include "txn.h"

unsigned int kp_max_txn_ops = 262144;
module_param_named(max_txn_ops, kp_max_txn_ops, uint, 0644);
MODULE_PARM_DESC(max_txn_ops, "Most changes one transaction may stage (default 262144)");

/*
 * The final change to one frontend: set to @svc, or delete (@svc NULL).
 * A staged service's Maglev tables are built in the background while the
 * client goes on staging (building is most of the cost of programming a
 * service, and another CPU is usually idle meanwhile): the op waits on the
 * transaction's build_queue (@queued) for its one work item, which builds
 * queued services in turn.  One item per transaction, not per service: a
 * batch of thousands would otherwise wake a kworker each, on the CPU the
 * client needs.  kp_txn_op_settle() before anyone looks at or frees @svc.
 */
struct kp_txn_op {
	struct rhash_head node;
	struct kp_svc_key key;
	struct list_head list;
	struct kp_service *svc;
	struct list_head queued;	/* on build_queue; empty once taken */
	int build_err;
};

static struct workqueue_struct *kp_build_wq;

/*
 * A staged policy or endpoint change, applied at commit in staging order.
 * An added endpoint's pod netns was resolved from the request's fd, gone
 * by the commit: the op holds a reference until the transaction ends (by
 * then the endpoint is indexed, and the netns' exit unbinds it).
 */
struct kp_txn_pol_op {
	struct list_head list;
	long charged;			/* to the node's configuration memory */
	struct kp_pol_change c;
	struct net *pod_net;
};

static const struct rhashtable_params kp_txn_op_params = {
	.head_offset = offsetof(struct kp_txn_op, node),
	.key_offset = offsetof(struct kp_txn_op, key),
	.key_len = sizeof(struct kp_svc_key),
	.automatic_shrinking = true,
};

/* Builds queued services until none is left (the work item, or a commit helping it). */
static void kp_txn_build_queued(struct kp_txn *txn)
{
	struct kp_txn_op *op;

	spin_lock(&txn->build_lock);
	while ((op = list_first_entry_or_null(&txn->build_queue, struct kp_txn_op, queued))) {
		list_del_init(&op->queued);
		spin_unlock(&txn->build_lock);
		op->build_err = kp_svc_build(op->svc, NULL);
		cond_resched();
		spin_lock(&txn->build_lock);
	}
	spin_unlock(&txn->build_lock);
}

static void kp_txn_build_work(struct work_struct *work)
{
	kp_txn_build_queued(container_of(work, struct kp_txn, build));
}

int kp_txn_begin(struct kp_node *node, u32 portid, u32 *id, struct netlink_ext_ack *extack)
{
	struct kp_txn *txn;
	int err;

	lockdep_assert_held(&node->lock);
	if (node->n_txns >= KP_TXNS_MAX) {
		NL_SET_ERR_MSG(extack, "too many open transactions on this node");
		return -EBUSY;
	}
	txn = kzalloc(sizeof(*txn), GFP_KERNEL_ACCOUNT);
	if (!txn)
		return -ENOMEM;
	err = rhashtable_init(&txn->ops, &kp_txn_op_params);
	if (err) {
		kfree(txn);
		return err;
	}
	INIT_LIST_HEAD(&txn->order);
	INIT_LIST_HEAD(&txn->pol_ops);
	spin_lock_init(&txn->build_lock);
	INIT_LIST_HEAD(&txn->build_queue);
	INIT_WORK(&txn->build, kp_txn_build_work);
	txn->portid = portid;
	txn->budget = node->cfg_budget;	/* aborted before the node drops it */
	/* Never 0: 0 stands for "no transaction". */
	do {
		txn->id = ++node->next_txn_id;
	} while (!txn->id);
	list_add_tail(&txn->list, &node->txns);
	WRITE_ONCE(node->n_txns, node->n_txns + 1);
	*id = txn->id;
	return 0;
}

struct kp_txn *kp_txn_find(struct kp_node *node, u32 id, u32 portid,
			   struct netlink_ext_ack *extack)
{
	struct kp_txn *txn;

	lockdep_assert_held(&node->lock);
	list_for_each_entry(txn, &node->txns, list)
		if (txn->id == id && txn->portid == portid)
			return txn;
	NL_SET_ERR_MSG(extack, "no such transaction (begin one on this socket first)");
	return NULL;
}

/* No build of @op is queued or running: its service may change or go. */
static void kp_txn_op_settle(struct kp_txn *txn, struct kp_txn_op *op)
{
	bool queued;

	spin_lock(&txn->build_lock);
	queued = !list_empty(&op->queued);
	list_del_init(&op->queued);
	spin_unlock(&txn->build_lock);
	/* Taken: perhaps being built right now.  (Rare: a key staged twice.) */
	if (!queued && op->svc)
		flush_work(&txn->build);
}

/* @op is settled (kp_txn_op_settle): nothing builds its service. */
static void kp_txn_op_free(struct kp_txn *txn, struct kp_txn_op *op)
{
	rhashtable_remove_fast(&txn->ops, &op->node, kp_txn_op_params);
	list_del(&op->list);
	txn->n_ops--;
	if (op->svc)
		kp_svc_free(op->svc);
	kfree(op);
}

/* The op for @key, made if new (NULL: out of memory or over the limit). */
static struct kp_txn_op *kp_txn_op_get(struct kp_txn *txn, const struct kp_svc_key *key,
				       struct netlink_ext_ack *extack)
{
	struct kp_txn_op *op = rhashtable_lookup_fast(&txn->ops, key, kp_txn_op_params);

	if (op)
		return op;
	if (txn->n_ops >= READ_ONCE(kp_max_txn_ops)) {
		NL_SET_ERR_MSG(extack, "transaction has too many changes (see max_txn_ops)");
		return ERR_PTR(-ENOSPC);
	}
	op = kzalloc(sizeof(*op), GFP_KERNEL_ACCOUNT);
	if (!op)
		return ERR_PTR(-ENOMEM);
	op->key = *key;
	INIT_LIST_HEAD(&op->queued);
	if (rhashtable_insert_fast(&txn->ops, &op->node, kp_txn_op_params)) {
		kfree(op);
		return ERR_PTR(-ENOMEM);
	}
	list_add_tail(&op->list, &txn->order);
	txn->n_ops++;
	return op;
}

/* Makes @svc (NULL: deletion; else not yet built) the final change to @key. */
static int kp_txn_stage(struct kp_txn *txn, const struct kp_svc_key *key,
			struct kp_service *svc, struct netlink_ext_ack *extack)
{
	struct kp_txn_op *op = kp_txn_op_get(txn, key, extack);

	if (IS_ERR(op))
		return PTR_ERR(op);
	kp_txn_op_settle(txn, op);
	if (op->svc)
		kp_svc_free(op->svc);
	op->svc = svc;
	op->build_err = 0;
	if (!svc)
		return 0;
	spin_lock(&txn->build_lock);
	list_add_tail(&op->queued, &txn->build_queue);
	spin_unlock(&txn->build_lock);
	queue_work(kp_build_wq, &txn->build);
	return 0;
}

int kp_txn_stage_svc_set(struct kp_txn *txn, struct kp_service *svc,
			 struct netlink_ext_ack *extack)
{
	int err = kp_txn_stage(txn, &svc->key, svc, extack);

	if (err)
		kp_svc_free(svc);
	return err;
}

int kp_txn_stage_svc_del(struct kp_node *node, struct kp_txn *txn,
			 const struct kp_svc_key *key, struct netlink_ext_ack *extack)
{
	bool exists = kp_svc_lookup(&node->svcs, key);
	struct kp_txn_op *op = rhashtable_lookup_fast(&txn->ops, key, kp_txn_op_params);

	if (!exists && !(op && op->svc)) {
		NL_SET_ERR_MSG(extack, "no service with this frontend");
		return -ENOENT;
	}
	if (!exists) {		/* made in this transaction: unmade */
		kp_txn_op_settle(txn, op);
		kp_txn_op_free(txn, op);
		return 0;
	}
	return kp_txn_stage(txn, key, NULL, extack);
}

/* A new policy op, last in order; the caller fills it in. */
static struct kp_txn_pol_op *kp_txn_pol_op_new(struct kp_txn *txn,
					       struct netlink_ext_ack *extack)
{
	struct kp_txn_pol_op *op;

	if (txn->n_ops >= READ_ONCE(kp_max_txn_ops)) {
		NL_SET_ERR_MSG(extack, "transaction has too many changes (see max_txn_ops)");
		return ERR_PTR(-ENOSPC);
	}
	op = kzalloc(sizeof(*op), GFP_KERNEL_ACCOUNT);
	if (!op)
		return ERR_PTR(-ENOMEM);
	list_add_tail(&op->list, &txn->pol_ops);
	txn->n_ops++;
	return op;
}

static void kp_txn_pol_op_free(struct kp_txn *txn, struct kp_txn_pol_op *op)
{
	list_del(&op->list);
	txn->n_ops--;
	kp_config_uncharge(txn->budget, op->charged);
	kp_pol_change_release(&op->c);
	if (op->pod_net)
		put_net(op->pod_net);
	kfree(op);
}

int kp_txn_stage_pol(struct kp_txn *txn, struct kp_pol_change *c,
		     struct netlink_ext_ack *extack)
{
	struct kp_txn_pol_op *op = kp_txn_pol_op_new(txn, extack);
	long bytes;
	int err;

	if (IS_ERR(op))
		return PTR_ERR(op);
	/* What the parsed change holds, not what its request took. */
	bytes = sizeof(*op) + (long)c->n_attach * sizeof(*c->attach) +
		(c->ep ? sizeof(*c->ep) : 0) +
		(long)(c->set.n_add + c->set.n_del) * sizeof(struct kp_prefix) +
		(c->pol ? kp_pol_footprint(c->pol) : 0);
	err = kp_config_charge(txn->budget, bytes, extack);
	if (err) {
		kp_txn_pol_op_free(txn, op);
		return err;
	}
	op->charged = bytes;
	op->c = *c;
	memset(c, 0, sizeof(*c));
	op->pod_net = op->c.ep ? op->c.ep->pod_net : NULL;
	return 0;
}

void kp_pol_change_release(struct kp_pol_change *c)
{
	kp_free(c->set.add);
	kp_free(c->set.del);
	kp_pol_free(c->pol);
	kvfree(c->attach);
	if (c->ep)
		kp_ep_free(c->ep);
	memset(c, 0, sizeof(*c));
}

/* Endpoint @id's policy becomes @c's attachments. */
static int kp_ep_policy_apply(struct kp_node *node, struct kp_pol_change *c,
			      struct kp_pol_journal *j, struct netlink_ext_ack *extack)
{
	struct kp_endpoint *ep = kp_ep_present(node, c->id, extack);

	if (!ep)
		return -ENOENT;
	return kp_ep_policy_set(node, ep, c->attach, c->n_attach, j, extack);
}

int kp_pol_change_apply(struct kp_node *node, struct kp_pol_change *c,
			struct kp_pol_journal *j, struct netlink_ext_ack *extack)
{
	struct kp_ipset_cfg *set = &c->set;
	struct kp_endpoint *ep;
	struct kp_prefix *add;
	struct kp_pol *pol;

	lockdep_assert_held(&node->lock);
	switch (c->cmd) {
	case KPLANE_CMD_IPSET_SET:
		add = set->add;
		set->add = NULL;		/* taken */
		return kp_ipset_set(node, set->name, add, set->n_add, j, extack);
	case KPLANE_CMD_IPSET_UPDATE:
		return kp_ipset_update(node, set->name, set->add, set->n_add, set->del,
				       set->n_del, j, extack);
	case KPLANE_CMD_IPSET_DEL:
		return kp_ipset_del(node, set->name, j, extack);
	case KPLANE_CMD_POLICY_SET:
		pol = c->pol;
		c->pol = NULL;			/* taken */
		return kp_pol_set(node, pol, j, extack);
	case KPLANE_CMD_POLICY_DEL:
		return kp_pol_del(node, c->id, j, extack);
	case KPLANE_CMD_ENDPOINT_POLICY:
		return kp_ep_policy_apply(node, c, j, extack);
	case KPLANE_CMD_ENDPOINT_ADD:
		ep = c->ep;
		c->ep = NULL;			/* taken: the table or the journal frees it */
		return kp_ep_join(node, ep, c->attach, c->n_attach, j, extack);
	case KPLANE_CMD_ENDPOINT_DEL:
		return kp_ep_leave(node, c->id, j, extack);
	}
	return -EOPNOTSUPP;
}

/*
 * A refused policy change's place among the transaction's policy requests
 * (0: the first staged), in the refusal's cookie: a client that counted
 * what it staged (kplanectl batch) can name the line.
 */
static void kp_txn_blame(struct netlink_ext_ack *extack, u32 index)
{
	if (!extack)
		return;
	memcpy(extack->cookie, &index, sizeof(index));
	extack->cookie_len = sizeof(index);
}

/* Every policy change in order, into the staged view (@j: what to undo). */
static int kp_txn_apply_pol(struct kp_node *node, struct kp_txn *txn,
			    struct kp_pol_journal *j, struct netlink_ext_ack *extack)
{
	struct kp_txn_pol_op *op;
	u32 index = 0;
	int err;

	list_for_each_entry(op, &txn->pol_ops, list) {
		/*
		 * The attribute a refusal names lives in the staged copy, not in
		 * the commit request: pass on the message alone.
		 */
		struct netlink_ext_ack op_extack = {};

		err = kp_pol_change_apply(node, &op->c, j, &op_extack);
		if (err) {
			if (extack)
				extack->_msg = op_extack._msg;
			kp_txn_blame(extack, index);
			return err;
		}
		index++;
	}
	return 0;
}

/* Whether every staged change can apply to the tables as they are now. */
static int kp_txn_check(struct kp_node *node, struct kp_txn *txn,
			struct netlink_ext_ack *extack)
{
	long count = node->svcs.count;
	struct kp_txn_op *op;

	/* What is left to build, built on this CPU as well as by the work. */
	kp_txn_build_queued(txn);
	flush_work(&txn->build);
	list_for_each_entry(op, &txn->order, list) {
		bool exists = kp_svc_lookup(&node->svcs, &op->key);

		if (op->build_err) {
			NL_SET_ERR_MSG(extack, "cannot build a staged service's Maglev table");
			return op->build_err;
		}
		if (!op->svc && !exists) {
			NL_SET_ERR_MSG(extack,
				       "transaction deletes a service that no longer exists");
			return -ENOENT;
		}
		count += op->svc ? !exists : -1;
	}
	if (count > kp_node_max_services(node)) {
		atomic64_inc(&node->svcs.full);
		NL_SET_ERR_MSG(extack, "transaction would exceed the service limit (the node's max-services, or the host's max_services)");
		return -ENOSPC;
	}
	return 0;
}

/*
 * Every service change into the staged view (the objects were built at
 * staging: this only links).  Only an allocation in rhashtable can fail;
 * then every change staged is taken back, and the new services may be
 * freed once no packet can still be looking at them.
 */
static int kp_txn_stage_svcs(struct kp_node *node, struct kp_txn *txn)
{
	struct kp_txn_op *op;
	int err = 0;

	list_for_each_entry(op, &txn->order, list) {
		err = kp_svc_stage(&node->svcs, kp_svc_lookup(&node->svcs, &op->key), op->svc,
				   kp_view_staged(node));
		if (err)
			break;
	}
	if (!err)
		return 0;
	list_for_each_entry_continue_reverse(op, &txn->order, list)
		kp_svc_unstage(&node->svcs, kp_svc_lookup(&node->svcs, &op->key), op->svc);
	synchronize_rcu();
	return err;
}

/*
 * After the flip: the table as direct changes leave it (deletions first,
 * so it never lists more than its final count), then what followed the
 * departed backends of UDP services moves, in one pass for the commit.
 */
static void kp_txn_finish_svcs(struct kp_node *node, struct kp_txn *txn)
{
	struct kp_txn_op *op;
	bool udp = false;

	list_for_each_entry(op, &txn->order, list) {
		udp |= op->key.proto == IPPROTO_UDP;
		if (!op->svc)
			kp_svc_table_del(&node->svcs, kp_svc_lookup(&node->svcs, &op->key));
	}
	list_for_each_entry(op, &txn->order, list) {
		if (!op->svc)
			continue;
		/* Cannot fail: staged, it is hashed already (or replaces one that is). */
		WARN_ON_ONCE(kp_svc_table_set(&node->svcs, op->svc, UINT_MAX, NULL));
		op->svc = NULL;		/* the table owns it now */
	}
	if (udp)
		kp_node_udp_moved(node, NULL);
}

static void kp_txn_free(struct kp_node *node, struct kp_txn *txn)
{
	struct kp_txn_pol_op *pop, *ptmp;
	struct kp_txn_op *op, *tmp;

	/*
	 * Nothing more to build: what is queued is dropped, not built, and
	 * once the work is idle every op is settled for kp_txn_op_free.
	 */
	spin_lock(&txn->build_lock);
	list_for_each_entry_safe(op, tmp, &txn->build_queue, queued)
		list_del_init(&op->queued);
	spin_unlock(&txn->build_lock);
	flush_work(&txn->build);
	list_for_each_entry_safe(op, tmp, &txn->order, list)
		kp_txn_op_free(txn, op);
	list_for_each_entry_safe(pop, ptmp, &txn->pol_ops, list)
		kp_txn_pol_op_free(txn, pop);
	rhashtable_destroy(&txn->ops);
	list_del(&txn->list);
	WRITE_ONCE(node->n_txns, node->n_txns - 1);
	kfree(txn);
}

/*
 * The ingress hooks of the endpoints a published commit adds (@cmd
 * ENDPOINT_ADD: after they are in the table) or deletes (ENDPOINT_DEL:
 * before the journal frees them).
 */
static void kp_txn_hooks(struct kp_node *node, struct kp_txn *txn, u8 cmd)
{
	struct kp_txn_pol_op *op;
	struct kp_endpoint *ep;

	list_for_each_entry(op, &txn->pol_ops, list) {
		if (op->c.cmd != cmd)
			continue;
		ep = kp_ep_lookup_id(&node->eps, op->c.id);
		if (!ep)
			continue;
		if (cmd == KPLANE_CMD_ENDPOINT_ADD)
			kp_hooks_ingress_add(node, ep);
		else
			kp_hooks_ingress_del(node, ep);
	}
}

/*
 * Everything goes into the staged view; a refusal there takes it all back
 * before any packet saw it.  Then one flip publishes the lot, and once no
 * packet reads the old view, that view catches up and the table is tidied.
 */
int kp_txn_commit(struct kp_node *node, struct kp_txn *txn, struct netlink_ext_ack *extack)
{
	struct kp_pol_journal j;
	int err;

	lockdep_assert_held(&node->lock);
	err = kp_txn_check(node, txn, extack);
	if (err)
		goto out;
	kp_pol_journal_init(node, &j);
	err = kp_txn_apply_pol(node, txn, &j, extack);
	if (!err) {
		err = kp_txn_stage_svcs(node, txn);
		if (err)
			NL_SET_ERR_MSG(extack, "out of memory while committing; nothing applied");
	}
	if (err) {
		kp_pol_rollback(node, &j);
		goto out;
	}
	kp_node_publish(node);
	kp_txn_hooks(node, txn, KPLANE_CMD_ENDPOINT_DEL);
	kp_pol_journal_done(&j);
	kp_txn_hooks(node, txn, KPLANE_CMD_ENDPOINT_ADD);
	kp_txn_finish_svcs(node, txn);
	kp_node_changed(node);
out:
	kp_txn_free(node, txn);
	return err;
}

void kp_txn_abort(struct kp_node *node, struct kp_txn *txn)
{
	lockdep_assert_held(&node->lock);
	kp_txn_free(node, txn);
}

void kp_txn_abort_all(struct kp_node *node)
{
	struct kp_txn *txn, *tmp;

	list_for_each_entry_safe(txn, tmp, &node->txns, list)
		kp_txn_free(node, txn);
}

/* A client that goes away without commit or abort: its transactions go too. */
static int kp_txn_netlink_event(struct notifier_block *nb, unsigned long event, void *ptr)
{
	struct netlink_notify *n = ptr;
	struct kp_txn *txn, *tmp;
	struct kp_node *node;

	if (event != NETLINK_URELEASE || n->protocol != NETLINK_GENERIC || !n->portid)
		return NOTIFY_DONE;
	node = kp_node_get(n->net);
	/*
	 * Lockless for the sockets of nodes with no transaction open (nearly
	 * all): this one's requests, which open them, are over.
	 */
	if (!READ_ONCE(node->n_txns))
		return NOTIFY_DONE;
	mutex_lock(&node->lock);
	list_for_each_entry_safe(txn, tmp, &node->txns, list)
		if (txn->portid == n->portid)
			kp_txn_free(node, txn);
	mutex_unlock(&node->lock);
	return NOTIFY_DONE;
}

static struct notifier_block kp_txn_notifier = {
	.notifier_call = kp_txn_netlink_event,
};

int kp_txn_init(void)
{
	int err;

	kp_build_wq = alloc_workqueue("kplane_build", WQ_UNBOUND, 0);
	if (!kp_build_wq)
		return -ENOMEM;
	err = netlink_register_notifier(&kp_txn_notifier);
	if (err)
		destroy_workqueue(kp_build_wq);
	return err;
}

void kp_txn_uninit(void)
{
	netlink_unregister_notifier(&kp_txn_notifier);
	destroy_workqueue(kp_build_wq);
}
