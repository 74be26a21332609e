/* SPDX-License-Identifier: GPL-2.0 */
/* The "kplane" generic netlink family: see include/uapi/linux/kplane.h. */
#ifndef KPLANE_NETLINK_H
#define KPLANE_NETLINK_H

int kp_netlink_init(void);
void kp_netlink_uninit(void);

#endif /* KPLANE_NETLINK_H */
