# netd — build, test, bench. `make help` lists the targets.
PREFIX      ?= /usr/local
CNI_BIN_DIR ?= /opt/cni/bin
DESTDIR     ?=
CC          ?= cc
PKGS        := libnl-3.0 libnl-route-3.0 libnftnl libmnl jansson libseccomp

BUILD := build$(if $(SAN),-san)
BIN   := $(if $(SAN),build-san/bin,bin)

WARN := -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes -Wpointer-arith \
	-Wformat=2 -Wundef -Wwrite-strings -Wvla -Wimplicit-fallthrough \
	-Wno-missing-field-initializers -Werror
HARDEN := -D_FORTIFY_SOURCE=2 -fstack-protector-strong -fPIE
CFLAGS ?= -O2 -g
override CFLAGS += -std=gnu11 -D_GNU_SOURCE $(WARN) -Ilib $(shell pkg-config --cflags $(PKGS))
LDLIBS = $(shell pkg-config --libs $(PKGS))
LDFLAGS += -pie -Wl,-z,relro,-z,now
ifdef SAN
override CFLAGS += -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer -O1
LDFLAGS += -fsanitize=address,undefined
else
override CFLAGS += $(HARDEN)
endif

LIB_SRC := $(wildcard lib/*.c)
LIB_OBJ := $(LIB_SRC:%.c=$(BUILD)/%.o)
LIBA    := $(BUILD)/libnetd.a
PLUGINS := netd-bridge netd-ipam netd-loopback
PLUGIN_BINS := $(PLUGINS:%=$(BIN)/%)
UNIT_SRC := $(wildcard tests/unit/test_*.c)
UNIT_BINS := $(UNIT_SRC:tests/unit/%.c=$(BUILD)/tests/%)
BENCH := $(BUILD)/netd-bench

all: $(PLUGIN_BINS) $(BENCH)

$(BUILD)/%.o: %.c $(wildcard lib/*.h)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -c -o $@ $<

$(LIBA): $(LIB_OBJ)
	@mkdir -p $(dir $@)
	$(AR) rcs $@ $^

# Plugins are exec'd once per operation: linking libnl, libnftnl and jansson statically
# saves the dynamic loader ~0.2 ms per exec (measured). libmnl ships no static archive.
PLUGIN_LDLIBS = $(if $(SAN),$(LDLIBS),-Wl,-Bstatic -lnl-route-3 -lnl-3 -lnftnl -ljansson \
	-Wl,-Bdynamic -lmnl -lpthread -lm)
# The binaries that start containers install the seccomp profile: libseccomp, static too.
SECCOMP_LDLIBS = $(if $(SAN),,-Wl,-Bstatic -lseccomp -Wl,-Bdynamic)
$(BIN)/netd-%: $(BUILD)/plugins/%/main.o $(LIBA)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(PLUGIN_LDLIBS)

$(BUILD)/tests/test_%: $(BUILD)/tests/unit/test_%.o $(LIBA)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(LDLIBS) -lcmocka

$(BENCH): $(BUILD)/tests/bench/bench.o $(LIBA)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(LDLIBS)

# ---- bin/netd (CLI, runtime), bin/netd-daemon (alone in linking libmicrohttpd) and
# bin/netd-oci (the runtime's commands with OCI image support: libarchive, libcrypto),
# all from netd/*.c over libnetd.a. Each links only what it needs, so that no netd start
# pays for loading the others' libraries. cmd_run.c (the runtime's commands) overrides the
# weak stand-ins of cmd_run_stub.c.
NETD_BIN    := $(BIN)/netd
DAEMON_BIN  := $(BIN)/netd-daemon
OCI_BIN     := $(BIN)/netd-oci
DAEMON_ONLY := netd/daemon_main.c netd/daemon.c netd/httpd.c
NETD_SRC    := $(filter-out $(DAEMON_ONLY),$(wildcard netd/*.c))
NETD_OBJ    := $(NETD_SRC:%.c=$(BUILD)/%.o)
DAEMON_OBJ  := $(DAEMON_ONLY:%.c=$(BUILD)/%.o) $(BUILD)/netd/routes.o
OCI_OBJ     := $(filter-out $(BUILD)/netd/cmd_run.o,$(NETD_OBJ)) $(BUILD)/netd/cmd_run-oci.o
RUNTIME_LIBS = $(shell pkg-config --libs libarchive libcrypto)
$(NETD_OBJ) $(DAEMON_OBJ) $(BUILD)/netd/cmd_run-oci.o: override CFLAGS += $(shell pkg-config --cflags libmicrohttpd)
$(NETD_OBJ) $(DAEMON_OBJ): $(wildcard netd/*.h)
$(BUILD)/netd/cmd_run-oci.o: netd/cmd_run.c $(wildcard netd/*.h lib/*.h)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -DND_WITH_OCI -c -o $@ $<
$(NETD_BIN): $(NETD_OBJ) $(LIBA)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(SECCOMP_LDLIBS) $(PLUGIN_LDLIBS) -lpthread
$(OCI_BIN): $(OCI_OBJ) $(LIBA)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(SECCOMP_LDLIBS) $(PLUGIN_LDLIBS) $(RUNTIME_LIBS) -lpthread
$(DAEMON_BIN): $(DAEMON_OBJ) $(LIBA)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(shell pkg-config --libs libmicrohttpd) $(PLUGIN_LDLIBS) -lpthread
$(BUILD)/tests/test_oci: LDLIBS += $(RUNTIME_LIBS)
all: $(NETD_BIN) $(DAEMON_BIN) $(OCI_BIN)
# ---- end of bin/netd ----

# Debian packages the build, the tests, the demo and the benchmark need.
DEPS := build-essential pkg-config clang libnl-3-dev libnl-route-3-dev libnftnl-dev libmnl-dev \
	libjansson-dev libcmocka-dev iproute2 nftables iputils-ping jq util-linux valgrind \
	containernetworking-plugins cppcheck libmicrohttpd-dev curl \
	libarchive-dev libssl-dev busybox-static iptables libclang-rt-14-dev \
	libseccomp-dev keyutils attr
deps:
	@if ! dpkg -s $(DEPS) >/dev/null 2>&1; then \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(DEPS); fi

unit: $(UNIT_BINS)
	@sh tests/run-unit.sh $(UNIT_BINS)

# Helpers the integration tests run (not installed): devcg attaches the v2 device program.
TEST_TOOLS := $(BUILD)/tests/devcg
$(BUILD)/tests/devcg: $(BUILD)/tests/integ/devcg.o $(LIBA)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(LDLIBS)

integ: $(PLUGIN_BINS) $(TEST_TOOLS)
	@NETD_TEST_TOOLS=$(CURDIR)/$(BUILD)/tests sh tests/integ/run.sh $(BIN)

# The README's second command: every test, on the normal and the sanitizer build.
test:
	@$(MAKE) -s deps
	@$(MAKE) -s all
	@$(MAKE) -s unit
	@$(MAKE) -s integ
	@$(MAKE) -s fuzz-replay
	@$(MAKE) -s static-check
	@$(MAKE) -s valgrind-test
	@$(MAKE) -s san-test

check: test

# The README's first command: dependencies, build, then the demo in a private netns.
demo:
	@$(MAKE) -s deps
	@$(MAKE) -s all
	@sh tests/demo.sh $(BIN)

BENCH_N ?= 200
bench: $(PLUGIN_BINS) $(BENCH)
	@sh tests/bench/run.sh $(BIN) $(BENCH) $(BENCH_N)

# libFuzzer targets (clang): one per parser of untrusted input, see tests/fuzz/.
FUZZ_TARGETS := $(patsubst tests/fuzz/fuzz_%.c,%,$(wildcard tests/fuzz/fuzz_*.c))
FUZZ_BINS := $(FUZZ_TARGETS:%=build-fuzz/fuzz_%)
FUZZ_TIME ?= 60
FUZZ_CFLAGS = -std=gnu11 -D_GNU_SOURCE -g -O1 -Ilib $(shell pkg-config --cflags $(PKGS)) \
	-fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=all
build-fuzz/lib/%.o: lib/%.c $(wildcard lib/*.h)
	@mkdir -p $(dir $@)
	clang $(FUZZ_CFLAGS) -c -o $@ $<

# Through an archive: a target links only the modules it reaches (not, say, oci's libarchive).
build-fuzz/libnetd.a: $(LIB_SRC:%.c=build-fuzz/%.o)
	$(AR) rcs $@ $^

build-fuzz/fuzz_%: tests/fuzz/fuzz_%.c build-fuzz/libnetd.a
	clang $(FUZZ_CFLAGS) -fsanitize=fuzzer -o $@ $^ $(LDLIBS)

fuzz: $(FUZZ_BINS)
	@for t in $(FUZZ_TARGETS); do mkdir -p tests/fuzz/corpus-out/$$t; \
		echo "== fuzz_$$t for $(FUZZ_TIME)s"; \
		build-fuzz/fuzz_$$t -max_total_time=$(FUZZ_TIME) -print_final_stats=1 \
			tests/fuzz/corpus-out/$$t tests/fuzz/corpus/$$t 2>&1 | tail -15 || exit 1; done

# Replays every seed and every past crash once (part of make test).
fuzz-replay: $(FUZZ_BINS)
	@for t in $(FUZZ_TARGETS); do build-fuzz/fuzz_$$t -runs=0 tests/fuzz/corpus/$$t >/dev/null 2>&1 \
		&& echo "ok   fuzz corpus $$t ($$(ls tests/fuzz/corpus/$$t | wc -l) inputs)" \
		|| { echo "FAIL fuzz corpus $$t"; build-fuzz/fuzz_$$t -runs=0 tests/fuzz/corpus/$$t 2>&1 | tail -20; exit 1; }; done

install: all
	install -d $(DESTDIR)$(CNI_BIN_DIR) $(DESTDIR)$(PREFIX)/bin
	install -m 0755 $(PLUGIN_BINS) $(DESTDIR)$(CNI_BIN_DIR)/
	install -m 0755 $(NETD_BIN) $(DAEMON_BIN) $(OCI_BIN) $(DESTDIR)$(PREFIX)/bin/

clean:
	rm -rf build build-san build-fuzz bin

help:
	@echo "targets: all deps unit integ test demo bench install clean (SAN=1 for ASan+UBSan)"

.PHONY: all deps unit integ test check demo bench install clean help fuzz fuzz-replay
.SECONDARY:

# ---- sanitizers, valgrind, static checks (issue 3): part of `make test` ----
DEPS += strace
# The daemon's security tests (issue 8) hold connections and write odd files with it.
DEPS += python3
# Sanitizer reports go to files, so a leak on a path that fails anyway (bad input, injected
# faults) is caught too, not only a failing exit status.
SAN_REPORTS := $(CURDIR)/build-san/reports
# Unit and integration suites again, on the ASan + UBSan build (plugins in build-san/bin).
san-test:
	@$(MAKE) -s SAN=1 all
	@rm -rf $(SAN_REPORTS) && mkdir -p $(SAN_REPORTS)
	@export ASAN_OPTIONS=log_path=$(SAN_REPORTS)/asan:detect_leaks=1 \
		UBSAN_OPTIONS=log_path=$(SAN_REPORTS)/ubsan:print_stacktrace=1:halt_on_error=1; \
		$(MAKE) -s SAN=1 unit && $(MAKE) -s SAN=1 integ; rc=$$?; \
		if [ -n "$$(ls $(SAN_REPORTS))" ]; then head -n 40 $(SAN_REPORTS)/*; \
			echo "FAIL san-test: sanitizer reports in $(SAN_REPORTS)"; exit 1; fi; \
		[ $$rc = 0 ] && echo "ok   san-test: unit + integration on ASan + UBSan, no report"
# ADD, CHECK, DEL, GC, STATUS of each plugin under valgrind --leak-check=full.
valgrind-test: $(PLUGIN_BINS)
	@sh tests/valgrind.sh $(BIN)
# cppcheck (tests/cppcheck.supp), then no shell and close-on-exec everywhere (static + strace).
static-check: $(PLUGIN_BINS)
	@sh tests/cppcheck.sh
	@sh tests/check_product.sh $(BIN)
	@sh tests/check_tests.sh
.PHONY: san-test valgrind-test static-check
# ---- end of sanitizers, valgrind, static checks ----
