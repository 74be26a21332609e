#!/usr/bin/env bash
# Connect-time service load balancing (issue 3, first part): a node with
# three server pods and a client pod; connect() to a ClusterIP reaches a
# backend, the server sees the pod's own address, getpeername() shows the
# service; TCP and connected UDP, IPv4 and IPv6; empty services refuse at once.
. /scenarios/lib.sh

kp_load
kp_kplane_node node1 2 3 4 5
for n in 2 3 4; do
	ip netns exec pod$n kp-echo serve tcp 0.0.0.0 8080 web-$n &
	ip netns exec pod$n kp-echo serve udp 0.0.0.0 8053 dns-$n &
	ip netns exec pod$n kp-echo serve tcp :: 8081 web6-$n &
	ip netns exec pod$n kp-echo serve udp :: 8054 dns6-$n &
done
ip netns exec pod3 kp-echo serve udp 0.0.0.0 8055 late-3 late >/tmp/late.out &
sleep 0.5

kp_check "service set (TCP, 2 backends)" kpctl node1 service set 10.96.0.10:80/tcp id default/web \
	backend 10.244.1.2:8080 backend 10.244.1.3:8080
kp_check "service set (UDP)" kpctl node1 service set 10.96.0.53:53/udp id kube-system/dns \
	backend 10.244.1.4:8053
kp_check "service set (IPv6 TCP)" kpctl node1 service set '[fd00:96::10]:80/tcp' id default/web6 \
	backend '[fd00:244::2]:8081' backend '[fd00:244::3]:8081'
kpctl node1 service list
kpctl node1 service show 10.96.0.10:80/tcp

out=$(ip netns exec pod5 kp-echo connect tcp 10.96.0.10 80)
echo "$out"
kp_eq "TCP: getpeername shows the service" "$(echo "$out" | grep '^peer=')" "peer=10.96.0.10:80"
kp_check "TCP: a backend answered and saw the pod's own address" \
	grep -Eq '^reply=web-[23] 10\.244\.1\.5$' <<<"$out"
web_of() { ip netns exec pod5 kp-echo connect tcp 10.96.0.10 80 | sed -n 's/^reply=\(web-[0-9]\).*/\1/p'; }
kp_spread "TCP: connections spread over both backends" "web-2 web-3" 1 40 web_of
spread_draws=$KP_DRAWS

out=$(ip netns exec pod5 kp-echo connect udp 10.96.0.53 53)
echo "$out"
kp_eq "UDP: getpeername shows the service" "$(echo "$out" | grep '^peer=')" "peer=10.96.0.53:53"
kp_eq "UDP: the backend answered the pod" "$(echo "$out" | grep '^reply=')" "reply=dns-4 10.244.1.5"

out=$(ip netns exec pod5 kp-echo sendto udp 10.96.0.53 53)
echo "$out"
kp_eq "unconnected UDP: recvfrom shows the service" "$(echo "$out" | grep '^from=')" "from=10.96.0.53:53"
kp_eq "unconnected UDP: the backend answered the pod" "$(echo "$out" | grep '^reply=')" "reply=dns-4 10.244.1.5"
kp_check "service set (IPv6 UDP)" kpctl node1 service set '[fd00:96::53]:53/udp' \
	backend '[fd00:244::4]:8054'
out=$(ip netns exec pod5 kp-echo sendto udp fd00:96::53 53)
echo "$out"
kp_eq "unconnected UDP over IPv6: recvfrom shows the service" "$(echo "$out" | grep '^from=')" \
	"from=[fd00:96::53]:53"
kp_check "unconnected UDP over IPv6: answered [$out]" grep -q '^reply=dns6-4 fd00:244::5$' <<<"$out"

out=$(ip netns exec pod5 kp-echo connect tcp fd00:96::10 80)
echo "$out"
kp_eq "IPv6: getpeername shows the service" "$(echo "$out" | grep '^peer=')" "peer=[fd00:96::10]:80"
kp_check "IPv6: a backend answered and saw the pod's own address" \
	grep -Eq '^reply=web6-[23] fd00:244::5$' <<<"$out"

out=$(ip netns exec pod5 kp-uring-connect 10.96.0.10 80)
echo "$out"
kp_eq "io_uring connect: getpeername shows the service" "$(echo "$out" | grep '^peer=')" "peer=10.96.0.10:80"
kp_check "io_uring connect: a backend answered the pod" grep -Eq '^reply=web-[23] 10\.244\.1\.5$' <<<"$out"

out=$(ip netns exec node1 kp-echo connect tcp 10.96.0.10 80)
kp_check "the node netns itself is load-balanced too [$out]" grep -q '^reply=web-[23] ' <<<"$out"
ip netns add stranger
out=$(ip netns exec stranger kp-echo connect tcp 10.96.0.10 80 2>&1)
kp_check "a netns that is neither node nor pod is left alone" bash -c "! grep -q '^reply=' <<<'$out'"

kp_check "service without backends" kpctl node1 service set 10.96.0.99:80/tcp
out=$(ip netns exec pod5 kp-echo connect tcp 10.96.0.99 80)
kp_check "empty service refuses at once [$out]" bash -c "[[ '$out' =~ ^refused\ in\ ([0-9]+)\ ms$ ]] && [ \${BASH_REMATCH[1]} -lt 1000 ]"
kpctl node1 service set 10.96.0.98:53/udp
out=$(ip netns exec pod5 kp-echo sendto udp 10.96.0.98 53)
kp_check "unconnected UDP to an empty service: sendto refused at once [$out]" \
	bash -c "[[ '$out' =~ ^refused\ in\ ([0-9]+)\ ms$ ]] && [ \${BASH_REMATCH[1]} -lt 1000 ]"
kpctl node1 service del 10.96.0.98:53/udp
kpctl node1 service set 10.96.0.99:80/tcp backend 10.244.1.2:8080,state=terminating
out=$(ip netns exec pod5 kp-echo connect tcp 10.96.0.99 80)
kp_check "only a terminating backend: refused [$out]" grep -q '^refused' <<<"$out"
kpctl node1 service set 10.96.0.99:80/tcp backend 10.244.1.2:8080,state=terminating \
	backend 10.244.1.3:8080,state=serving-terminating
out=$(ip netns exec pod5 kp-echo connect tcp 10.96.0.99 80)
kp_check "serving-terminating is used when nothing is active [$out]" grep -q '^reply=web-3 ' <<<"$out"

st=$(kpctl node1 --json status)
echo "$st"
lb=$(grep -o '"connect_lb":[0-9]*' <<<"$st" | cut -d: -f2)
refused=$(grep -o '"connect_refused":[0-9]*' <<<"$st" | cut -d: -f2)
kp_eq "connect_lb counts each balanced connect and datagram" "$lb" $((8 + spread_draws))
kp_eq "connect_refused counts each refusal" "$refused" 3
kp_eq "services counted" "$(grep -o '"services":[0-9]*' <<<"$st")" '"services":5'

# udp_backend_moves SVC OLD NEW FILE LINE CLIENT...: with SVC served by OLD
# alone, starts CLIENT in pod5 (its output in /tmp/udp.out, its pid in
# $client); once FILE has a line starting with LINE, NEW replaces OLD.
udp_backend_moves() {
	local svc=$1 old=$2 new=$3 file=$4 line=$5 i
	shift 5
	kpctl node1 service set "$svc" backend "$old"
	: >/tmp/udp.out
	ip netns exec pod5 "$@" >/tmp/udp.out &
	client=$!
	for i in $(seq 600); do grep -q "^$line" "$file" && break; sleep 0.1; done
	kpctl node1 service set "$svc" backend "$new"
}

# A connected UDP socket whose backend leaves is connected to a live one:
# its next datagram is answered (kubernetes#19029 cannot happen here).
udp_backend_moves 10.96.0.54:53/udp 10.244.1.3:8053 10.244.1.4:8053 /tmp/udp.out reply= \
	kp-echo repeat udp 10.96.0.54 53 8 300
wait $client
cat /tmp/udp.out
kp_eq "connected UDP: answered by the first backend" "$(head -1 /tmp/udp.out)" \
	"reply=dns-3 10.244.1.5"
kp_eq "connected UDP: same socket answered by the new backend once the old left" \
	"$(tail -1 /tmp/udp.out)" "reply=dns-4 10.244.1.5"
kp_check "connected UDP: no datagram went unanswered" bash -c '! grep -q "^error=" /tmp/udp.out'
kpctl node1 service del 10.96.0.54:53/udp
# An answer already in flight from the backend that leaves still reaches
# the socket: it moves at its next send, not while it waits.
udp_backend_moves 10.96.0.55:53/udp 10.244.1.3:8055 10.244.1.4:8053 /tmp/late.out asked \
	kp-echo repeat udp 10.96.0.55 53 2 1000
wait $client
cat /tmp/udp.out
kp_eq "connected UDP: the answer in flight as its backend left arrived, the next went to the new one" \
	"$(tr '\n' ' ' </tmp/udp.out)" "reply=late-3 10.244.1.5 reply=dns-4 10.244.1.5 "
kpctl node1 service del 10.96.0.55:53/udp
# More connected sockets than the module marks in one go (1,024): all move.
udp_backend_moves 10.96.0.56:53/udp 10.244.1.3:8053 10.244.1.4:8053 /tmp/udp.out round \
	kp-echo many udp 10.96.0.56 53 1500
kill -USR1 $client
wait $client
kp_eq "1,500 connected UDP sockets: all answered by the old backend, then all by the new" \
	"$(tr '\n' ' ' </tmp/udp.out)" "round dns-3=1500 round dns-4=1500 "
kpctl node1 service del 10.96.0.56:53/udp

# Bad input: each refused with the kernel's message, nothing applied.
kp_refused "v4 backend on a v6 service" 1 "Invalid argument" \
	"backend address family differs from the service's" \
	kpctl node1 service set '[fd00:96::11]:80/tcp' backend 10.244.1.2:8080
kp_refused "bad Maglev size" 1 "Invalid argument" "Maglev table size must be one of" \
	kpctl node1 service set 10.96.0.11:80/tcp maglev 1000
kp_refused "duplicate backend" 1 "Invalid argument" "duplicate backend" \
	kpctl node1 service set 10.96.0.11:80/tcp backend 10.244.1.2:80 backend 10.244.1.2:80
kp_refused "port 0 is a usage error" 2 "frontend is ADDR:PORT" "" \
	kpctl node1 service set 10.96.0.11:0/tcp
kp_refused "delete unknown service" 1 "No such file or directory" "no service with this frontend" \
	kpctl node1 service del 10.96.0.11:80/tcp
kp_eq "nothing half-applied" "$(kpctl node1 --json status | grep -o '"services":[0-9]*')" '"services":5'
kp_check "service del" kpctl node1 service del 10.96.0.99:80/tcp
kp_refused "permission: service set needs CAP_NET_ADMIN" 1 "Operation not permitted" "" \
	ip netns exec node1 kp-runas nobody kplanectl service set 10.96.0.12:80/tcp

# The connect-path probes exist only while some node is enabled.
kp_check "probes armed while a node is enabled" grep -q inet_stream_connect /sys/kernel/debug/kprobes/list
ip netns exec pod5 kp-echo sendto udp 10.96.0.53 53 >/dev/null	# leave a record behind
kpctl node1 node disable
kp_check "no probes once no node is enabled" bash -c '! grep -q inet_stream_connect /sys/kernel/debug/kprobes/list'
kpctl node1 node enable
kp_check "re-armed when a node is enabled again" grep -q inet_stream_connect /sys/kernel/debug/kprobes/list

kill $(jobs -p) 2>/dev/null
wait 2>/dev/null
kp_check "module unloads with services and load-balanced sockets" kp_unload
kp_done
