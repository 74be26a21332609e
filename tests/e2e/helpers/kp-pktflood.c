// SPDX-License-Identifier: GPL-2.0
/*
 * kp-pktflood: one IPv4 UDP flow's packets, as fast as one CPU makes them,
 * from a packet socket with the qdisc bypassed: the sender runs no UDP, IP
 * or neighbour code and each frame is a fresh, unshared skb, so a bench
 * measures the path of the node that receives and forwards them.
 *   kp-pktflood IFNAME DSTMAC SRC SPORT DST DPORT SECONDS [FRAME-BYTES]
 * DSTMAC is the next hop's (the node's side of the veth).  Prints
 * "sent=N secs=S pps=R".  Frames default to 64 bytes, the Ethernet minimum.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <netinet/ip.h>
#include <netinet/udp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define KP_BATCH 256

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static unsigned short ip_csum(const void *hdr, size_t len)
{
	const unsigned short *w = hdr;
	unsigned long sum = 0;

	for (; len > 1; len -= 2)
		sum += *w++;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (unsigned short)~sum;
}

/* Ethernet, IPv4 (checksummed), UDP (no checksum, as IPv4 allows), zeros. */
static int build_frame(unsigned char *f, size_t size, const unsigned char *dmac,
		       const unsigned char *smac, char **argv)
{
	struct ether_header *eth = (struct ether_header *)f;
	struct iphdr *ip = (struct iphdr *)(eth + 1);
	struct udphdr *udp = (struct udphdr *)(ip + 1);
	size_t l3 = size - sizeof(*eth);

	memset(f, 0, size);
	memcpy(eth->ether_dhost, dmac, ETH_ALEN);
	memcpy(eth->ether_shost, smac, ETH_ALEN);
	eth->ether_type = htons(ETHERTYPE_IP);
	ip->ihl = 5;
	ip->version = 4;
	ip->ttl = 64;
	ip->protocol = IPPROTO_UDP;
	ip->tot_len = htons((unsigned short)l3);
	if (inet_pton(AF_INET, argv[3], &ip->saddr) != 1 ||
	    inet_pton(AF_INET, argv[5], &ip->daddr) != 1)
		return -1;
	ip->check = ip_csum(ip, sizeof(*ip));
	udp->source = htons((unsigned short)atoi(argv[4]));
	udp->dest = htons((unsigned short)atoi(argv[6]));
	udp->len = htons((unsigned short)(l3 - sizeof(*ip)));
	return 0;
}

static int open_socket(const char *ifname, unsigned char *smac)
{
	struct sockaddr_ll ll = { .sll_family = AF_PACKET, .sll_protocol = htons(ETH_P_IP) };
	struct ifreq ifr = { 0 };
	int one = 1, fd = socket(AF_PACKET, SOCK_RAW, 0);

	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
	if (fd < 0 || ioctl(fd, SIOCGIFHWADDR, &ifr) ||
	    setsockopt(fd, SOL_PACKET, PACKET_QDISC_BYPASS, &one, sizeof(one)))
		return -1;
	memcpy(smac, ifr.ifr_hwaddr.sa_data, ETH_ALEN);
	ll.sll_ifindex = (int)if_nametoindex(ifname);
	if (!ll.sll_ifindex || bind(fd, (struct sockaddr *)&ll, sizeof(ll)))
		return -1;
	return fd;
}

int main(int argc, char **argv)
{
	static struct mmsghdr msgs[KP_BATCH];
	static unsigned char frame[1514];
	unsigned char dmac[ETH_ALEN], smac[ETH_ALEN];
	size_t size = argc > 8 ? strtoul(argv[8], NULL, 0) : 64;
	struct iovec iov = { frame, 0 };
	unsigned long long sent = 0;
	double t0, t;
	int fd, i;

	if (argc < 8 || size < 42 || size > sizeof(frame) ||
	    sscanf(argv[2], "%hhx:%hhx:%hhx:%hhx:%hhx:%hhx", &dmac[0], &dmac[1], &dmac[2],
		   &dmac[3], &dmac[4], &dmac[5]) != 6) {
		fprintf(stderr, "usage: kp-pktflood IFNAME DSTMAC SRC SPORT DST DPORT SECONDS [FRAME-BYTES]\n");
		return 2;
	}
	fd = open_socket(argv[1], smac);
	if (fd < 0 || build_frame(frame, size, dmac, smac, argv)) {
		perror("kp-pktflood");
		return 1;
	}
	iov.iov_len = size;
	for (i = 0; i < KP_BATCH; i++) {
		msgs[i].msg_hdr.msg_iov = &iov;
		msgs[i].msg_hdr.msg_iovlen = 1;
	}
	t0 = t = now_s();
	while (t - t0 < atof(argv[7])) {
		int n = sendmmsg(fd, msgs, KP_BATCH, 0);

		if (n < 0 && errno != ENOBUFS && errno != EAGAIN) {
			perror("kp-pktflood: sendmmsg");
			return 1;
		}
		sent += n > 0 ? (unsigned long long)n : 0;
		t = now_s();
	}
	printf("sent=%llu secs=%.3f pps=%.0f\n", sent, t - t0, (double)sent / (t - t0));
	return 0;
}
