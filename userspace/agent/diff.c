// SPDX-License-Identifier: GPL-2.0
/* The services that turn what the kernel has into what is wanted: see k8s.h. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "k8s.h"

int kp_fe_cmp(const struct kpl_service *a, const struct kpl_service *b)
{
	int c = (int)a->addr.family - (int)b->addr.family;

	if (!c)
		c = memcmp(a->addr.ip, b->addr.ip, sizeof(a->addr.ip));
	if (!c)
		c = (int)a->port - (int)b->port;
	return c ? c : (int)a->proto - (int)b->proto;
}

/* Same frontends keep their input order: the first of duplicates is the one set. */
static int kp_fe_ptr_cmp(const void *pa, const void *pb)
{
	const struct kpl_service *a = *(const struct kpl_service *const *)pa;
	const struct kpl_service *b = *(const struct kpl_service *const *)pb;
	int c = kp_fe_cmp(a, b);

	return c ? c : (a > b) - (a < b);
}

/* Backends equal as sets (the kernel keeps them in its own order). */
static bool kp_backends_equal(const struct kpl_service *a, const struct kpl_service *b)
{
	struct kpl_backend *x, *y;
	unsigned int i, n = a->n_backends;
	bool eq = true;

	if (n != b->n_backends)
		return false;
	if (!n)
		return true;
	x = malloc(2 * n * sizeof(*x));
	if (!x)
		return false;	/* set it again: never wrong, only a write more */
	y = x + n;
	memcpy(x, a->backends, n * sizeof(*x));
	memcpy(y, b->backends, n * sizeof(*y));
	qsort(x, n, sizeof(*x), kp_backend_cmp);
	qsort(y, n, sizeof(*y), kp_backend_cmp);
	for (i = 0; eq && i < n; i++)
		eq = !kp_backend_cmp(&x[i], &y[i]) && x[i].weight == y[i].weight &&
		     x[i].state == y[i].state && x[i].local == y[i].local;
	free(x);
	return eq;
}

/* Whether the kernel's @have already is @want (a 0 Maglev size: whatever it has). */
static bool kp_svc_same(const struct kpl_service *want, const struct kpl_service *have)
{
	return !strcmp(want->id, have->id) && want->type == have->type &&
	       (!want->maglev_size || want->maglev_size == have->maglev_size) &&
	       want->ext_policy == have->ext_policy && want->int_policy == have->int_policy &&
	       want->affinity_timeout == have->affinity_timeout && kp_backends_equal(want, have);
}

static const struct kpl_service **kp_sorted(const struct kpl_service *svcs, unsigned int n)
{
	const struct kpl_service **p = malloc((n ? n : 1) * sizeof(*p));
	unsigned int i;

	if (!p)
		return NULL;
	for (i = 0; i < n; i++)
		p[i] = &svcs[i];
	qsort(p, n, sizeof(*p), kp_fe_ptr_cmp);
	return p;
}

int kp_svc_diff(const struct kpl_service *want, unsigned int n_want,
		const struct kpl_service *have, unsigned int n_have, struct kp_svc_diff *d)
{
	const struct kpl_service **w = kp_sorted(want, n_want), **h = kp_sorted(have, n_have);
	unsigned int i = 0, j = 0;

	memset(d, 0, sizeof(*d));
	d->set = malloc((n_want ? n_want : 1) * sizeof(*d->set));
	d->del = malloc((n_have ? n_have : 1) * sizeof(*d->del));
	if (!w || !h || !d->set || !d->del) {
		free(w);
		free(h);
		kp_svc_diff_free(d);
		return -ENOMEM;
	}
	while (i < n_want || j < n_have) {
		int c = i == n_want ? 1 : j == n_have ? -1 : kp_fe_cmp(w[i], h[j]);

		if (i && i < n_want && !kp_fe_cmp(w[i - 1], w[i])) {
			i++;	/* a frontend wanted twice (a port listed twice, a
				 * shared externalIP): the first stands, so a diff
				 * against the kernel settles */
		} else if (j && j < n_have && !kp_fe_cmp(h[j - 1], h[j])) {
			j++;	/* the same in what was applied: one was set */
		} else if (c < 0) {
			d->set[d->n_set++] = w[i++];
		} else if (c > 0) {
			d->del[d->n_del++] = h[j++];
		} else {
			if (!kp_svc_same(w[i], h[j]))
				d->set[d->n_set++] = w[i];
			i++;
			j++;
		}
	}
	free(w);
	free(h);
	return 0;
}

void kp_svc_diff_free(struct kp_svc_diff *d)
{
	free(d->set);
	free(d->del);
	memset(d, 0, sizeof(*d));
}
