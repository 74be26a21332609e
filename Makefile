# kplane: see README.md.  `make demo` and `make check` are the two entry points.
#
# KDIR: kernel build tree for the module.  Default: the running kernel's, or,
# when it has none (a build host, CI), the newest installed Debian
# linux-headers-*-amd64.
KDIR ?= $(shell tests/qemu/kernels.sh kdir)
BUILD := build
PKG_CFLAGS := $(shell pkg-config --cflags libnl-genl-3.0 2>/dev/null)
PKG_LIBS := $(shell pkg-config --libs libnl-genl-3.0 2>/dev/null)
ROUTE_LIBS := $(shell pkg-config --libs libnl-route-3.0 2>/dev/null)
USER_CFLAGS := -std=gnu11 -O2 -g -Wall -Wextra -Werror -D_GNU_SOURCE \
	-Iinclude/uapi -Iinclude -Iuserspace/lib -Iuserspace/agent $(PKG_CFLAGS)

AGENT_SRC := $(wildcard userspace/agent/*.c)
LIB_SRC := userspace/lib/libkplane.c userspace/lib/policy.c userspace/lib/settings.c \
	userspace/lib/podlink.c
CTL_SRC := userspace/kplanectl/kplanectl.c userspace/kplanectl/args.c \
	userspace/kplanectl/policy_args.c \
	userspace/kplanectl/output.c $(AGENT_SRC)
D_SRC := $(wildcard userspace/kplaned/*.c) $(AGENT_SRC)
D_LIBS := -lfyaml -lmicrohttpd -lcurl -lcrypto -lpthread
HELPER_SRC := $(wildcard tests/e2e/helpers/*.c)

.PHONY: all module userspace deps demo check check-quick unit kunit e2e e2e-debug dkms-test \
	dkms-install install bench clean

all: module userspace

deps:
	tests/install-deps.sh

module:
	tests/qemu/build-module.sh "$(KDIR)" .

userspace: $(BUILD)/kplanectl $(BUILD)/kplaned $(BUILD)/cni/kplane $(BUILD)/libkplane.a \
	$(patsubst tests/e2e/helpers/%.c,$(BUILD)/helpers/%,$(HELPER_SRC))

LIB_OBJ := $(patsubst userspace/lib/%.c,$(BUILD)/lib/%.o,$(LIB_SRC))

$(BUILD)/lib/%.o: userspace/lib/%.c userspace/lib/libkplane.h userspace/lib/libkplane_int.h \
		include/uapi/linux/kplane.h
	@mkdir -p $(BUILD)/lib
	$(CC) $(USER_CFLAGS) -c $< -o $@

$(BUILD)/libkplane.a: $(LIB_OBJ)
	$(AR) rcs $@ $(LIB_OBJ)

$(BUILD)/kplanectl: $(CTL_SRC) $(wildcard userspace/kplanectl/*.h userspace/agent/*.h) \
		$(BUILD)/libkplane.a
	$(CC) $(USER_CFLAGS) $(CTL_SRC) $(BUILD)/libkplane.a $(PKG_LIBS) -lfyaml -o $@

$(BUILD)/kplaned: $(D_SRC) $(wildcard userspace/kplaned/*.h userspace/agent/*.h) \
		$(BUILD)/libkplane.a
	$(CC) $(USER_CFLAGS) $(D_SRC) $(BUILD)/libkplane.a $(PKG_LIBS) $(D_LIBS) -o $@

# The CNI plugin: the agent's reader (its helpers), libfyaml, and libkplane's
# pod link (rtnetlink) for its standalone mode.
$(BUILD)/cni/kplane: userspace/cni/kplane.c userspace/agent/k8s.c userspace/agent/netpol.c userspace/agent/calico.c userspace/agent/selector.c userspace/agent/load.c \
		$(wildcard userspace/agent/*.h) $(BUILD)/libkplane.a
	@mkdir -p $(BUILD)/cni
	$(CC) $(USER_CFLAGS) userspace/cni/kplane.c userspace/agent/k8s.c userspace/agent/netpol.c userspace/agent/calico.c userspace/agent/selector.c userspace/agent/load.c \
		$(BUILD)/libkplane.a $(ROUTE_LIBS) -lfyaml -o $@

# Test-only tools for the VM (helpers/): may use liburing, like real clients.
$(BUILD)/helpers/%: tests/e2e/helpers/%.c $(BUILD)/libkplane.a
	@mkdir -p $(BUILD)/helpers
	$(CC) $(USER_CFLAGS) $< $(BUILD)/libkplane.a $(PKG_LIBS) -luring $(HELPER_LIBS) -o $@

# c-ares, the resolver real clients (Node.js, curl, gRPC) use.
$(BUILD)/helpers/kp-ares: HELPER_LIBS = -lcares

# The main job: boot a VM, make a node, add endpoints, show them.  deps runs
# first and userspace in a fresh make, so pkg-config is there when it is read.
demo: deps
	$(MAKE) userspace
	tests/qemu/run.sh --kernel stock --scenario demo

# Every test: unit (sanitizers), KUnit (debug kernel), e2e (stock and debug),
# DKMS.  Installs what is missing first.  SCENARIOS="a b": only those e2e
# scenarios, on both kernels.
check:
	SCENARIOS="$(SCENARIOS)" tests/run-all.sh

# For iterating: build, unit, KUnit and the stock e2e suite.
check-quick:
	tests/run-all.sh --quick

unit:
	tests/unit/run.sh

kunit: userspace
	tests/kunit/run.sh

e2e: userspace
	tests/e2e/run.sh --kernel stock

e2e-debug: userspace
	tests/e2e/run.sh --kernel debug

dkms-test: userspace
	tests/dkms/run.sh

dkms-install:
	tests/dkms/install.sh

# The userspace on this machine (the module: make dkms-install): kplaned and
# its systemd unit and defaults, kplanectl, the CNI plugin, an example state.
PREFIX ?= /usr/local
DESTDIR ?=
install: userspace
	install -D -m 0755 $(BUILD)/kplaned $(DESTDIR)$(PREFIX)/sbin/kplaned
	install -D -m 0755 $(BUILD)/kplanectl $(DESTDIR)$(PREFIX)/sbin/kplanectl
	install -D -m 0755 $(BUILD)/cni/kplane $(DESTDIR)/opt/cni/bin/kplane
	install -D -m 0644 dist/kplaned.service $(DESTDIR)/etc/systemd/system/kplaned.service
	sed -i 's|/usr/local/sbin|$(PREFIX)/sbin|' $(DESTDIR)/etc/systemd/system/kplaned.service
	[ -e $(DESTDIR)/etc/default/kplaned ] || \
		install -D -m 0644 dist/kplaned.default $(DESTDIR)/etc/default/kplaned
	install -d -m 0755 $(DESTDIR)/etc/kplane/state.d
	install -D -m 0644 dist/state.d-example.yaml $(DESTDIR)$(PREFIX)/share/kplane/state.d-example.yaml
	install -D -m 0644 dist/10-kplane.conflist $(DESTDIR)$(PREFIX)/share/kplane/10-kplane.conflist

# Measurements, not tests: see tests/bench/run.sh; results land in docs/bench/.
bench: deps
	$(MAKE) userspace
	tests/bench/run.sh

clean:
	rm -rf $(BUILD) kmod/*.o kmod/.*.cmd kmod/lib/*.o kmod/lib/.*.cmd *.o .*.cmd *.ko *.mod *.mod.c \
		modules.order Module.symvers .tmp_versions
