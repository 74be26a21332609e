// SPDX-License-Identifier: GPL-2.0
/*
 * The policy state kplaned keeps, against the kernel's: its own sets and
 * policies taken from a dump, and the diff that adds and removes set
 * members rather than rebuilding sets (see agent.h).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "agent.h"
#include "pol_int.h"

/* kplaned's own: the sets and policies it names; the rest are an operator's. */
static bool kp_own_set(const char *name)
{
	return !strncmp(name, "s:", 2) || !strncmp(name, "np:", 3);
}

static bool kp_own_policy(const char *id)
{
	return !strncmp(id, "knp:", 4) || !strncmp(id, "cnp:", 4) || !strncmp(id, "gnp:", 4);
}

int kp_pol_want_take(struct kp_pol_want *out, struct kpl_ipset_info *sets, size_t n_sets,
		     struct kpl_policy *pols, size_t n_pols)
{
	size_t i, j;

	memset(out, 0, sizeof(*out));
	out->sets = calloc(n_sets + 1, sizeof(*out->sets));
	out->pols = calloc(n_pols + 1, sizeof(*out->pols));
	if (!out->sets || !out->pols) {
		kp_pol_want_free(out);
		return -ENOMEM;
	}
	for (i = 0; i < n_sets; i++) {
		struct kp_pset *s = &out->sets[out->n_sets];

		if (!kp_own_set(sets[i].name))
			continue;
		snprintf(s->name, sizeof(s->name), "%s", sets[i].name);
		s->m = sets[i].members;
		s->n = s->cap = sets[i].n_members;
		sets[i].members = NULL;
		sets[i].n_members = 0;
		kp_pset_settle(s);
		out->n_sets++;
	}
	for (i = 0; i < n_pols; i++) {
		struct kpl_policy *pol = &out->pols[out->n_pols];

		if (!kp_own_policy(pols[i].id))
			continue;
		*pol = pols[i];
		memset(&pols[i], 0, sizeof(pols[i]));
		for (j = 0; j < pol->n_rules; j++) {
			kp_sort(pol->rules[j].items, pol->rules[j].n_items, sizeof(*pol->rules[j].items),
			      kp_item_cmp);
			pol->rules[j].packets = pol->rules[j].bytes = 0;
		}
		out->n_pols++;
	}
	kp_sort(out->sets, out->n_sets, sizeof(*out->sets), kp_pset_cmp);
	kp_sort(out->pols, out->n_pols, sizeof(*out->pols), kp_pol_id_cmp);
	out->cap_sets = out->n_sets;
	out->cap_pols = out->n_pols;
	return 0;
}

static bool kp_rule_same(const struct kpl_rule *a, const struct kpl_rule *b)
{
	return a->dir == b->dir && a->action == b->action && a->has == b->has &&
	       a->proto == b->proto && a->not_proto == b->not_proto &&
	       a->icmp_type == b->icmp_type && a->icmp_code == b->icmp_code &&
	       a->not_icmp_type == b->not_icmp_type && a->not_icmp_code == b->not_icmp_code &&
	       a->n_items == b->n_items &&
	       (!a->n_items || !memcmp(a->items, b->items, a->n_items * sizeof(*a->items)));
}

/* Whether the kernel's @have is @want: rules in order, each side's items as sorted. */
static bool kp_policy_same(const struct kpl_policy *want, const struct kpl_policy *have)
{
	unsigned int i;

	if (strcmp(want->tier, have->tier) || want->order != have->order ||
	    want->types != have->types || want->apply_on_forward != have->apply_on_forward ||
	    want->n_rules != have->n_rules)
		return false;
	for (i = 0; i < want->n_rules; i++)
		if (!kp_rule_same(&want->rules[i], &have->rules[i]))
			return false;
	return true;
}

/* @want's members not in @have (both sorted) into *@out; -ENOMEM. */
static int kp_members_minus(const struct kp_pset *want, const struct kp_pset *have,
			    struct kplane_prefix **out, unsigned int *n)
{
	unsigned int i, j = 0;

	*n = 0;
	*out = malloc((want->n ? want->n : 1) * sizeof(**out));
	if (!*out)
		return -ENOMEM;
	for (i = 0; i < want->n; i++) {
		int c = 1;

		while (have && j < have->n && (c = kp_member_cmp(&have->m[j], &want->m[i])) < 0)
			j++;
		if (!have || j == have->n || c)
			(*out)[(*n)++] = want->m[i];
	}
	return 0;
}

static int kp_set_diff(const struct kp_pset *w, const struct kp_pset *h, struct kp_pol_diff *d)
{
	struct kp_pset_upd *u;
	int err;

	if (!h) {
		d->set_new[d->n_set_new++] = w;
		return 0;
	}
	u = &d->set_upd[d->n_set_upd];
	memset(u, 0, sizeof(*u));
	u->set = w;
	err = kp_members_minus(w, h, &u->add, &u->n_add);
	if (!err)
		err = kp_members_minus(h, w, &u->del, &u->n_del);
	if (!err && (u->n_add || u->n_del))
		d->n_set_upd++;
	else {
		free(u->add);
		free(u->del);
	}
	return err;
}

int kp_pol_diff(const struct kp_pol_want *want, const struct kp_pol_want *have,
		struct kp_pol_diff *d)
{
	unsigned int i = 0, j = 0;
	int err = 0;

	memset(d, 0, sizeof(*d));
	d->set_new = malloc((want->n_sets + 1) * sizeof(*d->set_new));
	d->set_upd = malloc((want->n_sets + 1) * sizeof(*d->set_upd));
	d->set_del = malloc((have->n_sets + 1) * sizeof(*d->set_del));
	d->pol_set = malloc((want->n_pols + 1) * sizeof(*d->pol_set));
	d->pol_del = malloc((have->n_pols + 1) * sizeof(*d->pol_del));
	if (!d->set_new || !d->set_upd || !d->set_del || !d->pol_set || !d->pol_del)
		err = -ENOMEM;
	while (!err && (i < want->n_sets || j < have->n_sets)) {
		int c = i == want->n_sets ? 1 : j == have->n_sets ? -1 :
			strcmp(want->sets[i].name, have->sets[j].name);

		if (c > 0)
			d->set_del[d->n_set_del++] = &have->sets[j++];
		else
			err = kp_set_diff(&want->sets[i++], c ? NULL : &have->sets[j++], d);
	}
	for (i = 0, j = 0; !err && (i < want->n_pols || j < have->n_pols);) {
		int c = i == want->n_pols ? 1 : j == have->n_pols ? -1 :
			strcmp(want->pols[i].id, have->pols[j].id);

		if (c > 0)
			d->pol_del[d->n_pol_del++] = &have->pols[j++];
		else if (c < 0 || !kp_policy_same(&want->pols[i], &have->pols[j]))
			d->pol_set[d->n_pol_set++] = &want->pols[i];
		i += c <= 0;
		j += c == 0;
	}
	if (err)
		kp_pol_diff_free(d);
	return err;
}

void kp_pol_diff_free(struct kp_pol_diff *d)
{
	unsigned int i;

	for (i = 0; d->set_upd && i < d->n_set_upd; i++) {
		free(d->set_upd[i].add);
		free(d->set_upd[i].del);
	}
	free(d->set_new);
	free(d->set_upd);
	free(d->set_del);
	free(d->pol_set);
	free(d->pol_del);
	memset(d, 0, sizeof(*d));
}

bool kp_pol_diff_empty(const struct kp_pol_diff *d)
{
	return !d->n_set_new && !d->n_set_upd && !d->n_set_del && !d->n_pol_set && !d->n_pol_del;
}
