# cellvm build. `make run` boots the default guest, `make test` runs the
# whole suite; both install what they need from Debian's packages first.
#
# Two builds live side by side:
#   build/host/   portable code (core, devices, arm64 boot/fdt, test backend)
#                 for x86_64 or whatever the host is, with ASan+UBSan, for
#                 unit tests; build/fuzz/ the same with clang + libFuzzer.
#   build/arm64/  the cellvm command for AArch64 (cross-compiled on x86_64,
#                 native on arm64), with the KVM backend and guest images.

SHELL := /bin/bash
Q ?= @
.DEFAULT_GOAL := all
HOST_ARCH := $(shell uname -m)

DEPS := build/deps
DEPS_STAMP := build/.deps-stamp
HOST_STAMP := build/.host-deps-stamp

ifeq ($(HOST_ARCH),aarch64)
CROSS_CC ?= gcc
CROSS_FDT_CFLAGS :=
CROSS_FDT_LIBS := -lfdt
else
CROSS_CC ?= aarch64-linux-gnu-gcc
CROSS_FDT_CFLAGS := -isystem $(DEPS)/sysroot/usr/include
CROSS_FDT_LIBS := $(DEPS)/sysroot/usr/lib/aarch64-linux-gnu/libfdt.a
endif

WARN := -Wall -Wextra -Wmissing-prototypes -Wshadow -Wno-unused-parameter -Werror
COMMON_CFLAGS := -std=gnu11 -Iinclude -Isrc $(WARN) -D_GNU_SOURCE

# Portable sources: everything but the KVM backend and the command.
PORTABLE_SRCS := $(wildcard src/core/*.c src/dev/*.c src/arch/arm64/*.c) src/hv/test.c
ARM64_SRCS := $(PORTABLE_SRCS) src/hv/kvm.c src/hv/kvm_arm64.c $(wildcard src/cli/*.c)
HEADERS := $(wildcard include/cellvm/*.h src/*/*.h src/arch/arm64/*.h)

# ---- the virtio test driver and ring oracle (tests/lib/) -------------------
# One compiled copy per build, linked into the unit tests and the fuzzers.
TLIB_SRCS := $(wildcard tests/lib/*.c)
TLIB_DEPS := $(HEADERS) $(wildcard tests/lib/*.h)
HOST_TLIB := build/host/libvdrv.a
FUZZ_TLIB := build/fuzz/libvdrv.a

build/host/tlib/%.o: tests/lib/%.c $(TLIB_DEPS) | $(HOST_STAMP)
	@mkdir -p $(dir $@)
	@echo "  CC      $@"
	$(Q)$(HOST_CC) $(HOST_CFLAGS) -Itests/lib -c $< -o $@
build/fuzz/tlib/%.o: tests/lib/%.c $(TLIB_DEPS) | $(HOST_STAMP)
	@mkdir -p $(dir $@)
	@echo "  CC      $@"
	$(Q)$(FUZZ_CC) $(FUZZ_CFLAGS) -Itests/lib -c $< -o $@
$(HOST_TLIB): $(patsubst tests/lib/%.c,build/host/tlib/%.o,$(TLIB_SRCS))
$(FUZZ_TLIB): $(patsubst tests/lib/%.c,build/fuzz/tlib/%.o,$(TLIB_SRCS))
$(HOST_TLIB) $(FUZZ_TLIB):
	@rm -f $@
	$(Q)ar rcs $@ $^

# ---- host (unit test) build ------------------------------------------------
HOST_CC ?= gcc
SAN := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
HOST_CFLAGS := $(COMMON_CFLAGS) -g -O1 $(SAN)
HOST_OBJS := $(patsubst src/%.c,build/host/obj/%.o,$(PORTABLE_SRCS))
UNIT_SRCS := $(wildcard tests/unit/test_*.c)
# The command's pure, host-buildable parts some unit tests link (jail).
HOST_CLI_OBJS := build/host/obj/cli/jail.o
.SECONDARY: $(HOST_CLI_OBJS)
UNIT_BINS := $(patsubst tests/unit/%.c,build/host/tests/%,$(UNIT_SRCS))

build/host/obj/%.o: src/%.c $(HEADERS) | $(HOST_STAMP)
	@mkdir -p $(dir $@)
	@echo "  CC      $@"
	$(Q)$(HOST_CC) $(HOST_CFLAGS) -c $< -o $@

build/host/libcellvm.a: $(HOST_OBJS)
	@rm -f $@
	$(Q)ar rcs $@ $^

build/host/tests/%: tests/unit/%.c $(wildcard tests/unit/*.h) $(HOST_TLIB) build/host/libcellvm.a $(HOST_CLI_OBJS)
	@mkdir -p $(dir $@)
	@echo "  LD      $@"
	$(Q)$(HOST_CC) $(HOST_CFLAGS) -Itests/unit -Itests/lib $< $(HOST_TLIB) build/host/libcellvm.a $(HOST_CLI_OBJS) -lcmocka -lfdt -lpthread -o $@

.PHONY: unit
unit: $(UNIT_BINS)
	@tools/run-unit $(UNIT_BINS)

# ---- fuzz targets (clang + libFuzzer) --------------------------------------
FUZZ_CC ?= clang
FUZZ_CFLAGS := $(COMMON_CFLAGS) -g -O1 -fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=all
FUZZ_OBJS := $(patsubst src/%.c,build/fuzz/obj/%.o,$(PORTABLE_SRCS))
FUZZ_SRCS := $(wildcard fuzz/fuzz_*.c)
FUZZ_BINS := $(patsubst fuzz/%.c,build/fuzz/%,$(FUZZ_SRCS))
FUZZ_SECONDS ?= 20

build/fuzz/obj/%.o: src/%.c $(HEADERS) | $(HOST_STAMP)
	@mkdir -p $(dir $@)
	@echo "  CC      $@"
	$(Q)$(FUZZ_CC) $(FUZZ_CFLAGS) -c $< -o $@

build/fuzz/libcellvm.a: $(FUZZ_OBJS)
	@rm -f $@
	$(Q)ar rcs $@ $^

build/fuzz/%: fuzz/%.c $(wildcard fuzz/*.h) $(FUZZ_TLIB) build/fuzz/libcellvm.a
	@mkdir -p $(dir $@)
	@echo "  LD      $@"
	$(Q)$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer -Itests/lib $< $(FUZZ_TLIB) build/fuzz/libcellvm.a -lfdt -lpthread -o $@

.PHONY: fuzz
fuzz: $(FUZZ_BINS)
	@tools/run-fuzz $(FUZZ_SECONDS) $(FUZZ_BINS)

# ---- dependencies ---------------------------------------------------------
# Host packages (compilers, cmocka, libfdt, QEMU) ...
$(HOST_STAMP): tools/install-deps
	tools/install-deps
	@mkdir -p $(dir $@) && touch $@
# ... and the arm64 pieces: Debian's arm64 kernel, busybox, libfdt.a.
$(DEPS_STAMP): tools/fetch-deps $(HOST_STAMP)
	tools/fetch-deps $(DEPS)
	@mkdir -p $(dir $@) && touch $@

.PHONY: deps
deps: $(DEPS_STAMP)

# ---- the default guest and the arm64 cellvm --------------------------------
GUEST_KERNEL := $(DEPS)/kernel/Image
GUEST_INITRD := build/guest/initramfs.cpio.gz
GUEST_FILES := $(shell find guest -type f 2>/dev/null)

$(GUEST_INITRD): $(GUEST_FILES) tools/mkguest tools/mkinitramfs $(DEPS_STAMP)
	@echo "  GUEST   $@"
	$(Q)tools/mkguest build/guest $(DEPS)

ARM64_CFLAGS := $(COMMON_CFLAGS) -O2 -g $(CROSS_FDT_CFLAGS)
ARM64_OBJS := $(patsubst src/%.c,build/arm64/obj/%.o,$(ARM64_SRCS))

build/arm64/obj/%.o: src/%.c $(HEADERS) | $(DEPS_STAMP)
	@mkdir -p $(dir $@)
	@echo "  CC      $@"
	$(Q)$(CROSS_CC) $(ARM64_CFLAGS) -c $< -o $@

$(GUEST_KERNEL): $(DEPS_STAMP)

build/arm64/obj/cli/images.o: src/cli/images.S $(GUEST_KERNEL) $(GUEST_INITRD)
	@mkdir -p $(dir $@)
	@echo "  AS      $@"
	$(Q)$(CROSS_CC) -c $< -o $@ -DCELLVM_GUEST_KERNEL='"$(GUEST_KERNEL)"' \
		-DCELLVM_GUEST_INITRD='"$(GUEST_INITRD)"'

build/arm64/cellvm: $(ARM64_OBJS) build/arm64/obj/cli/images.o
	@echo "  LD      $@"
	$(Q)$(CROSS_CC) -static -o $@ $^ $(CROSS_FDT_LIBS) -lpthread

.PHONY: all cellvm clean run test
all: build/arm64/cellvm $(UNIT_BINS)
cellvm: build/arm64/cellvm

# Boot the default guest interactively: natively on an arm64 KVM host,
# otherwise inside the arm64 host harness (qemu-system-aarch64, EL2).
run: build/arm64/cellvm
ifeq ($(HOST_ARCH),aarch64)
	build/arm64/cellvm $(CELLVM_ARGS)
else
	tools/arm64-host run -- cellvm $(CELLVM_ARGS)
endif

# ---- end-to-end, in the arm64 host ------------------------------------------
# One outer boot per host GIC version; each runs its scenario files in turn.
E2E_SCRIPTS := $(wildcard tests/e2e/*.sh)
E2E_FILES := $(foreach f,$(E2E_SCRIPTS),--file $(f)) --file $(GUEST_KERNEL):/tmp/guest-Image \
	--file build/arm64/ptyrun:/usr/bin/ptyrun
E2E_PARTS_GIC3 ?= boot console user_gic virtio bad_input jail
E2E_PARTS_GIC2 ?= boot user_gic virtio bad_input jail
# The GICv2 host's CPU lacks SVE and pointer authentication, so that
# --cpu-features is seen refused there (tests/e2e/cpu_features.sh).
E2E_CPU_GIC2 ?= max,sve=off,pauth=off
ARM64_HOST := tools/arm64-host run

.PHONY: e2e e2e-gic3 e2e-gic2
e2e: e2e-gic3 e2e-gic2
# A test helper: runs a command on a pseudo-terminal (tests/e2e/console.sh).
build/arm64/ptyrun: tests/e2e/ptyrun.c | $(DEPS_STAMP)
	@mkdir -p $(dir $@)
	@echo "  CC      $@"
	$(Q)$(CROSS_CC) -static -O2 -Wall -Wextra -Werror -D_GNU_SOURCE -o $@ $<

e2e-gic3: build/arm64/cellvm build/arm64/ptyrun
	$(ARM64_HOST) --gic 3 $(E2E_FILES) -- sh suite.sh 3 $(E2E_PARTS_GIC3)
e2e-gic2: build/arm64/cellvm build/arm64/ptyrun
	$(ARM64_HOST) --gic 2 --cpu $(E2E_CPU_GIC2) $(E2E_FILES) -- sh suite.sh 2 $(E2E_PARTS_GIC2)

# Further rules (benchmarks, test guests) live in mk/*.mk.
-include $(wildcard mk/*.mk)

# Each public header compiles on its own.
.PHONY: check-headers
check-headers: | $(HOST_STAMP)
	@for h in $(wildcard include/cellvm/*.h); do \
		echo "#include \"$${h#include/}\"" | \
		$(HOST_CC) -std=gnu11 -Iinclude $(WARN) -fsyntax-only -x c - || exit 1; \
	done; echo "headers: each public header compiles on its own"

# The include graph points down only (tests/check-layers).
.PHONY: check-layers
check-layers: ; @tests/check-layers

# The whole suite: headers, layers, unit tests (ASan+UBSan), fuzzers, end-to-end.
test: check-headers check-layers unit fuzz e2e

clean:
	rm -rf build/host build/fuzz build/arm64 build/guest
