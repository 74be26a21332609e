# The module's objects by layer, lowest first (README, "Layout").  A layer
# calls only its own and the layers below it: tests/layers.sh checks that
# from the objects' symbols.  main.o, which wires them up, sits on top.
# Shared by Kbuild and tests/kunit/Kbuild.
kplane-lib	:= kmod/lib/validate.o kmod/lib/prefix.o kmod/lib/match.o kmod/lib/maglev.o
kplane-tables	:= kmod/budget.o kmod/counters.o kmod/settings.o kmod/endpoint.o \
		   kmod/service.o kmod/flow.o kmod/policy.o
kplane-datapath	:= kmod/packet.o kmod/route.o kmod/lb.o kmod/nat.o kmod/filter.o \
		   kmod/fastpath.o kmod/sockhook.o
kplane-control	:= kmod/node.o kmod/hooks.o kmod/txn.o
kplane-netlink	:= kmod/attrs.o kmod/settings_nl.o kmod/policy_attrs.o kmod/policy_nl.o kmod/netlink.o
kplane-layers	:= lib tables datapath control netlink
kplane-core	:= $(foreach l,$(kplane-layers),$(kplane-$(l)))
