/* SPDX-License-Identifier: LGPL-2.1 */
/*
 * libkplane's own plumbing, shared by its files (libkplane.c: node,
 * endpoints, services, transactions; policy.c: IP sets, policies, trace).
 * Not installed.
 */
#ifndef LIBKPLANE_INT_H
#define LIBKPLANE_INT_H

#include <netlink/netlink.h>
#include <netlink/attr.h>
#include "libkplane.h"

typedef int (*kp_parse_fn)(struct nlattr **tb, void *arg);

/* The objects of a dump, parsed into a growing array. */
struct kp_array {
	void *items;
	size_t n, cap, size;
	kp_parse_fn parse;		/* parses one reply into one item */
	void (*release)(void *item);	/* frees what an item owns, or NULL */
	/* Instead of parse, for objects spanning replies: gets the array. */
	kp_parse_fn parse_reply;
};

/* Calls @release (if any) on each of @n items of @size bytes at @items. */
void kp_items_release(void *items, size_t n, size_t size, void (*release)(void *item));
/* A new zeroed item at the end of @a, or NULL. */
void *kp_array_push(struct kp_array *a);
/*
 * Chunked dumps (a policy's rules, an IP set's members): the last item when
 * a part whose first element is @first continues the object named @name
 * (a string at @name_off in each item), else NULL.
 */
void *kp_array_continued(struct kp_array *a, uint32_t first, size_t name_off,
			 const char *name);

int kp_fail(struct kpl_handle *h, int err, const char *msg);
/* Whether a transaction is open on @h. */
bool kp_txn_open(const struct kpl_handle *h);
/* Aborts the open transaction (if any) after a failure, keeping its message. */
void kp_txn_abort_after(struct kpl_handle *h);
/* A request for @cmd, or NULL; _sized for large ones (@size bytes). */
struct nl_msg *kp_msg(struct kpl_handle *h, uint8_t cmd, int flags);
struct nl_msg *kp_msg_sized(struct kpl_handle *h, uint8_t cmd, int flags, size_t size);
/*
 * Sends @msg (consumed) and reads until its ack, its dump's end or an error,
 * handing each reply's top-level attributes to @parse.
 */
int kp_exchange(struct kpl_handle *h, struct nl_msg *msg, kp_parse_fn parse, void *arg);
/* KPLANE_A_TXN_ID when the handle has a transaction open. */
int kp_put_txn(struct kpl_handle *h, struct nl_msg *msg);
/*
 * A change request's end: closes @nest, adds the open transaction's id and
 * exchanges @msg; with @bad (building it failed) or no @nest, frees it.
 */
int kp_send_change(struct kpl_handle *h, struct nl_msg *msg, struct nlattr *nest, bool bad);
/* Dumps @cmd into @a, retried for a snapshot while the kernel flags a change. */
int kp_dump_array(struct kpl_handle *h, uint8_t cmd, struct kp_array *a);
uint64_t kp_get_u64_or0(struct nlattr *a);
uint32_t kp_get_u32_or0(struct nlattr *a);
int kpl_put_ip(struct nl_msg *msg, int type, const struct kpl_ip *ip);
int kp_parse_ip(struct nlattr *nest, struct kpl_ip *ip);
int kp_parse_settings(struct nlattr *nest, struct kpl_node_settings *s);

#endif /* LIBKPLANE_INT_H */
