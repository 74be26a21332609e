#!/usr/bin/env bash
# Real programs through kplane, none of them ours: dnsmasq behind a UDP
# ClusterIP asked by glibc's resolver (getent), c-ares, dig and busybox
# nslookup; busybox httpd behind a ClusterIP and a NodePort fetched by wget
# from a pod, the node and outside; iperf3's control and data connections
# through a ClusterIP with ClientIP affinity; conntrack -L for what must
# not be tracked.  Then the socket lives real clients lead: AF_INET6
# sockets to v4-mapped ClusterIPs (Java's default) in every mode, TCP Fast
# Open, connect(AF_UNSPEC), a socket reused after a failed connect, and 200
# threads asking getpeername/recvfrom at once.
#
#   outside (192.168.50.2) --ext0-- node1 -- pod2, pod3, pod4, pod5 (client)
. /scenarios/lib.sh

kp_load
kp_kplane_node node1 2 3 4 5
ip netns add outside
kp_link node1 ext0 outside eth0 192.168.50 fd00:50
ip -n outside link set lo up
ip -n outside route add 10.244.1.0/24 via 192.168.50.1
st() { kpctl node1 --json status | grep -o "\"$1\":[0-9]*" | cut -d: -f2; }

# What dnsmasq (-u root) and glibc's resolver read; `ip netns exec` binds
# /etc/netns/POD/resolv.conf over /etc/resolv.conf, which must exist.
echo "root:x:0:0:root:/root:/bin/sh" >/etc/passwd
echo "root:x:0:" >/etc/group
echo "hosts: files dns" >/etc/nsswitch.conf
: >/etc/resolv.conf
mkdir -p /etc/netns/pod5
echo "nameserver 10.96.0.10" >/etc/netns/pod5/resolv.conf
for n in 2 3; do
	ip netns exec pod$n dnsmasq -k -u root --conf-file=/dev/null --no-resolv --no-hosts \
		--pid-file= --host-record=web.cluster.test,10.96.0.80 \
		--host-record=who.cluster.test,10.0.0.$n &
	mkdir -p /srv/pod$n
	echo "page of pod$n" >/srv/pod$n/index.html
	ip netns exec pod$n busybox httpd -f -p 80 -h /srv/pod$n &
	ip netns exec pod$n iperf3 -s -p 5201 >/dev/null 2>&1 &
	ip netns exec pod$n kp-echo serve tcp 0.0.0.0 8080 web-$n &
	ip netns exec pod$n kp-echo serve tcp 0.0.0.0 8090 hold-$n hold &
	ip netns exec pod$n kp-echo serve udp 0.0.0.0 8053 dns-$n &
done
ip netns exec pod4 kp-echo serve udp 0.0.0.0 8053 dns-4 &
for n in 2 3; do
	kp_until 10 kp_listening pod$n udp 53
	kp_until 10 kp_listening pod$n tcp 5201
done

kp_check "DNS ClusterIP (UDP) in front of two dnsmasq" kpctl node1 service set \
	10.96.0.10:53/udp id kube-system/kube-dns backend 10.244.1.2:53 backend 10.244.1.3:53
kp_check "HTTP ClusterIP" kpctl node1 service set 10.96.0.80:80/tcp id default/web \
	backend 10.244.1.2:80 backend 10.244.1.3:80
kp_check "HTTP NodePort" kpctl node1 service set 0.0.0.0:30080/tcp type nodeport \
	id default/web-np backend 10.244.1.2:80,local backend 10.244.1.3:80,local
kp_check "iperf3 ClusterIP with ClientIP affinity" kpctl node1 service set \
	10.96.0.52:5201/tcp id default/iperf affinity 600 \
	backend 10.244.1.2:5201 backend 10.244.1.3:5201
kp_check "echo ClusterIPs (TCP and UDP)" kpctl node1 service set 10.96.0.81:80/tcp \
	backend 10.244.1.2:8080 backend 10.244.1.3:8080
kpctl node1 service set 10.96.0.11:53/udp backend 10.244.1.2:8053 backend 10.244.1.3:8053
# Servers that read what they are sent: TCP Fast Open's data in the SYN.
kpctl node1 service set 10.96.0.82:80/tcp backend 10.244.1.2:8090 backend 10.244.1.3:8090

# --- DNS: every resolver a pod may carry ---
kp_eq "glibc (getent hosts) through the DNS ClusterIP" \
	"$(ip netns exec pod5 getent hosts web.cluster.test | awk '{ print $1 }')" 10.96.0.80
out=$(ip netns exec pod5 kp-ares 10.96.0.10 web.cluster.test 2>&1)
kp_eq "c-ares (connected UDP, recvfrom) through the DNS ClusterIP" "$out" addr=10.96.0.80
kp_eq "c-ares straight to a backend" "$(ip netns exec pod5 kp-ares 10.244.1.2 web.cluster.test)" \
	addr=10.96.0.80
kp_eq "dig through the DNS ClusterIP" \
	"$(ip netns exec pod5 dig +short +tries=1 +time=2 @10.96.0.10 web.cluster.test)" 10.96.0.80
kp_check "busybox nslookup through the DNS ClusterIP" \
	bash -c "ip netns exec pod5 busybox nslookup web.cluster.test 10.96.0.10 | grep -q 'Address: 10.96.0.80'"
kp_spread "c-ares lookups are spread over both dnsmasq" "addr=10.0.0.2 addr=10.0.0.3" 1 40 \
	ip netns exec pod5 kp-ares 10.96.0.10 who.cluster.test

# --- HTTP: busybox httpd and wget, from a pod, the node and outside ---
# (busybox 1.35's own wget -T crashes: timeout bounds it instead)
fetch() { ip netns exec "$1" timeout 5 busybox wget -q -O - "$2" 2>/dev/null; }
serves() { fetch "$1" "$2" | grep -q '^page of pod[23]$'; }
kp_check "wget from a pod through the ClusterIP" serves pod5 http://10.96.0.80/
page_of() { fetch pod5 http://10.96.0.80/ | sed 's/^page of //'; }
kp_spread "wget: both backends serve" "pod2 pod3" 1 40 page_of
kp_check "wget from the node through the ClusterIP" serves node1 http://10.96.0.80/
kp_check "wget from outside through the NodePort" serves outside http://192.168.50.1:30080/
kp_check "wget from a pod to the NodePort on the node's address" serves pod5 http://192.168.50.1:30080/

# --- iperf3: its data connection must reach the server its control one did ---
for i in 1 2 3; do
	kp_check "iperf3 through the ClusterIP (ClientIP affinity), run $i" \
		bash -c "ip netns exec pod5 iperf3 -c 10.96.0.52 -t 1 -l 16K 2>&1 | grep -q receiver"
done

# --- conntrack: connect-time balancing leaves nothing that names a service ---
ip netns exec pod5 iptables-legacy -t nat -A OUTPUT -d 127.0.0.2 -p tcp -j DNAT \
	--to-destination 127.0.0.3
fetch pod5 http://10.96.0.80/ >/dev/null
ip netns exec pod5 kp-ares 10.96.0.10 web.cluster.test >/dev/null
ct=$(ip netns exec pod5 conntrack -L 2>/dev/null)
kp_check "conntrack is live in the pod (it holds the backend flows)" grep -q 'dport=80 ' <<<"$ct"
kp_check "no conntrack entry names a ClusterIP" bash -c "! grep -q 10.96.0. <<<'$ct'"

# --- AF_INET6 sockets to v4-mapped ClusterIPs, every mode ---
out=$(ip netns exec pod5 kp-echo connect tcp ::ffff:10.96.0.81 80)
kp_eq "v4-mapped TCP: getpeername shows the service" "$(grep '^peer=' <<<"$out")" \
	"peer=[::ffff:10.96.0.81]:80"
kp_check "v4-mapped TCP: a backend answered [$out]" grep -q '^reply=web-[23] ' <<<"$out"
out=$(ip netns exec pod5 kp-echo connect udp ::ffff:10.96.0.11 53)
kp_eq "v4-mapped connected UDP: getpeername shows the service" "$(grep '^peer=' <<<"$out")" \
	"peer=[::ffff:10.96.0.11]:53"
kp_eq "v4-mapped connected UDP: recvfrom shows the service" "$(grep '^from=' <<<"$out")" \
	"from=[::ffff:10.96.0.11]:53"
kp_check "v4-mapped connected UDP: a backend answered [$out]" grep -q '^reply=dns-[23] ' <<<"$out"
out=$(ip netns exec pod5 kp-echo sendto udp ::ffff:10.96.0.11 53)
kp_eq "v4-mapped unconnected UDP: recvfrom shows the service" "$(grep '^from=' <<<"$out")" \
	"from=[::ffff:10.96.0.11]:53"
out=$(ip netns exec pod5 kp-echo connect udp 10.96.0.11 53)
kp_eq "connected UDP: recvfrom shows the service" "$(grep '^from=' <<<"$out")" \
	"from=10.96.0.11:53"
for a in 10.96.0.82 ::ffff:10.96.0.82; do
	out=$(ip netns exec pod5 kp-sockstate fastopen $a 80)
	want=$([ $a = 10.96.0.82 ] && echo "10.96.0.82:80" || echo "[::ffff:10.96.0.82]:80")
	kp_eq "TCP Fast Open (sendto MSG_FASTOPEN) to $a: getpeername shows the service" \
		"$(grep '^peer=' <<<"$out")" "peer=$want"
	kp_check "TCP Fast Open to $a: a backend answered [$out]" grep -q '^reply=hold-[23] ' <<<"$out"
done

# --- stale connected state ---
ip netns exec pod5 kp-sockstate unspec 10.96.0.11 53 3000 >/tmp/unspec.out &
unspec=$!
kp_until 10 grep -q disconnected /tmp/unspec.out
kpctl node1 service set 10.96.0.11:53/udp backend 10.244.1.4:8053
wait $unspec
kp_eq "connect(AF_UNSPEC), then the backend moves: send() has no destination" \
	"$(tail -1 /tmp/unspec.out)" "error=Destination address required"
# A datagram corked (MSG_MORE) when the backend moves is finished where it
# was begun, then the socket moves (a tenant could make this recurse).
kpctl node1 service set 10.96.0.13:53/udp backend 10.244.1.2:8053
ip netns exec pod5 kp-sockstate corked 10.96.0.13 53 2000 >/tmp/corked.out &
corked=$!
kp_until 10 grep -q corked /tmp/corked.out
kpctl node1 service set 10.96.0.13:53/udp backend 10.244.1.3:8053
wait $corked
kp_eq "a corked datagram when the backend moves: both sends done" "$(tail -1 /tmp/corked.out)" sent=2
kpctl node1 service set 10.96.0.12:80/tcp backend 10.244.1.4:9
out=$(ip netns exec pod5 kp-sockstate reconnect 10.96.0.12 80 10.244.1.3 8080)
kp_eq "TCP connect refused, then elsewhere: getpeername shows where [$(echo $out)]" \
	"$(grep '^peer=' <<<"$out")" "peer=10.244.1.3:8080"

# --- 200 callers at once: the return probes' instances must not run out ---
kpctl node1 service set 10.96.0.11:53/udp backend 10.244.1.2:8053 backend 10.244.1.3:8053
n=$(kp_scale 200 100)
missed=$(st probe_missed)
out=$(ip netns exec pod5 kp-sockstate peers 10.96.0.81 80 "$n" 2000)
kp_check "$n threads' getpeername all show the service [$out]" grep -Eq '^calls=[1-9][0-9]* other=0$' <<<"$out"
out=$(ip netns exec pod5 kp-sockstate receivers 10.96.0.11 53 "$n")
kp_eq "$n threads blocked in recvfrom on connected sockets all see the service" "$out" \
	"answers=$n other=0"
kp_eq "no return probe missed" "$(st probe_missed)" "${missed:-0}"
kp_unload
kp_done
