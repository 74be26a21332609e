// SPDX-License-Identifier: GPL-2.0
/* One transaction that makes the kernel's services the wanted ones: see agent.h. */
#include <errno.h>
#include <stdint.h>
#include "agent.h"

static int kp_sync_stage(struct kp_handle *h, const struct kp_svc_diff *d, size_t *refused)
{
	unsigned int i;
	int err = 0;

	/* Deletes first: a frontend's slot is free before a set may need it. */
	for (i = 0; !err && i < d->n_del; i++)
		err = kp_batch_service_del(h, d->del[i]);
	for (i = 0; !err && i < d->n_set; i++)
		err = kp_batch_service_set(h, d->set[i]);
	if (err)
		return err;
	err = kp_batch_flush(h, refused);
	if (!err || *refused >= d->n_del + d->n_set)
		*refused = SIZE_MAX;
	return err;
}

int kp_sync_apply(struct kp_handle *h, const struct kp_svc_diff *d, size_t *refused)
{
	int err;

	*refused = SIZE_MAX;
	if (!d->n_set && !d->n_del)
		return 0;
	err = kp_txn_begin(h);
	if (err)
		return err;
	err = kp_sync_stage(h, d, refused);
	if (!err)
		return kp_txn_commit(h);
	kp_txn_abort(h);
	return err;
}

int kp_sync_kernel(struct kp_handle *h, const struct kp_svc_set *want, struct kp_svc_diff *done)
{
	struct kp_service *have;
	size_t n_have, refused;
	int err = kp_service_list(h, &have, &n_have);

	if (err)
		return err;
	err = kp_svc_diff(want->svcs, want->n, have, n_have, done);
	if (!err) {
		err = kp_sync_apply(h, done, &refused);
		/* The diff points into @have: keep only its counts. */
		done->n_set = err ? 0 : done->n_set;
		done->n_del = err ? 0 : done->n_del;
		free(done->set);
		free(done->del);
		done->set = done->del = NULL;
	}
	kp_services_free(have, n_have);
	return err;
}
