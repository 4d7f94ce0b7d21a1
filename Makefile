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
# One stamp per tools/install-deps group (build, fuzz, e2e, bench, pkg, ci).
HOST_STAMP := build/.deps-build-stamp
FUZZ_STAMP := build/.deps-fuzz-stamp
E2E_STAMP := build/.deps-e2e-stamp
PKG_STAMP := build/.deps-pkg-stamp

ifeq ($(HOST_ARCH),aarch64)
CROSS_CC ?= gcc
CROSS_FDT_CFLAGS :=
CROSS_FDT_LIBS := -lfdt -lz
CROSS_SECCOMP_LIBS := -lseccomp
CROSS_API_LIBS := -lhttp_parser -ljansson
else
CROSS_CC ?= aarch64-linux-gnu-gcc
CROSS_FDT_CFLAGS := -isystem $(DEPS)/sysroot/usr/include
CROSS_FDT_LIBS := $(DEPS)/sysroot/usr/lib/aarch64-linux-gnu/libfdt.a \
	$(DEPS)/sysroot/usr/lib/aarch64-linux-gnu/libz.a
CROSS_SECCOMP_LIBS := $(DEPS)/sysroot/usr/lib/aarch64-linux-gnu/libseccomp.a
CROSS_API_LIBS := $(DEPS)/sysroot/usr/lib/aarch64-linux-gnu/libhttp_parser.a \
	$(DEPS)/sysroot/usr/lib/aarch64-linux-gnu/libjansson.a
endif

WARN := -Wall -Wextra -Wmissing-prototypes -Wshadow -Wno-unused-parameter -Werror
COMMON_CFLAGS := -std=gnu11 -Iinclude -Isrc $(WARN) -D_GNU_SOURCE

# Portable sources: everything but the backends and the command. The
# scripted test backend (src/hv/test.c) is only in the test builds (host
# library, fuzzers); the arm64 library and command carry the KVM backend.
PORTABLE_SRCS := $(wildcard src/core/*.c src/dev/*.c src/arch/arm64/*.c)
TEST_HV_SRCS := src/hv/test.c
ARM64_LIB_SRCS := $(PORTABLE_SRCS) $(wildcard src/hv/kvm*.c)
# The control plane (src/api) is the command's, beside the library.
API_SRCS := $(wildcard src/api/*.c)
API_LIBS := -lhttp_parser -ljansson
ARM64_SRCS := $(ARM64_LIB_SRCS) $(API_SRCS) $(wildcard src/cli/*.c)
# Each object also writes a .d file of the headers it read (-MMD -MP).
DEPFLAGS := -MMD -MP
PUBLIC_HEADERS = $(wildcard include/cellvm/*.h)
# The test backend's interface: exported by the host (test) library only.
TEST_HV_HEADERS := src/hv/test.h

# The version: `git describe` in a git tree, else the VERSION file a
# release tarball carries, else the packaging's version.
VERSION := $(shell tools/version)

# ---- the virtio test driver and ring oracle (tests/lib/) -------------------
# One compiled copy per build, linked into the unit tests and the fuzzers.
TLIB_SRCS := $(wildcard tests/lib/*.c)
HOST_TLIB := build/host/libvdrv.a
FUZZ_TLIB := build/fuzz/libvdrv.a

build/host/tlib/%.o: tests/lib/%.c | $(HOST_STAMP)
	@mkdir -p $(dir $@)
	@echo "  CC      $@"
	$(Q)$(HOST_CC) $(HOST_CFLAGS) $(DEPFLAGS) -Itests/lib -c $< -o $@
build/fuzz/tlib/%.o: tests/lib/%.c | $(FUZZ_STAMP)
	@mkdir -p $(dir $@)
	@echo "  CC      $@"
	$(Q)$(FUZZ_CC) $(FUZZ_CFLAGS) $(DEPFLAGS) -Itests/lib -c $< -o $@
$(HOST_TLIB): $(patsubst tests/lib/%.c,build/host/tlib/%.o,$(TLIB_SRCS))
$(FUZZ_TLIB): $(patsubst tests/lib/%.c,build/fuzz/tlib/%.o,$(TLIB_SRCS))
$(HOST_TLIB) $(FUZZ_TLIB):
	@rm -f $@
	$(Q)ar rcs $@ $^

# ---- host (unit test) build ------------------------------------------------
HOST_CC ?= gcc
SAN := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
HOST_CFLAGS := $(COMMON_CFLAGS) -g -O1 $(SAN)
HOST_OBJS := $(patsubst src/%.c,build/host/obj/%.o,$(PORTABLE_SRCS) $(TEST_HV_SRCS))
UNIT_SRCS := $(wildcard tests/unit/test_*.c)
# The command's pure, host-buildable parts some unit tests link (jail).
HOST_CLI_OBJS := build/host/obj/cli/jail.o
.SECONDARY: $(HOST_CLI_OBJS)
UNIT_BINS := $(patsubst tests/unit/%.c,build/host/tests/%,$(UNIT_SRCS))

build/host/obj/%.o: src/%.c | $(HOST_STAMP)
	@mkdir -p $(dir $@)
	@echo "  CC      $@"
	$(Q)$(HOST_CC) $(HOST_CFLAGS) $(DEPFLAGS) -c $< -o $@

build/host/libcellvm.a: $(HOST_OBJS)
	@rm -f $@
	$(Q)ar rcs $@ $^

# The API layer, for its unit tests (and fuzz_api in the fuzz build).
build/host/libcellvm-api.a: $(patsubst src/%.c,build/host/obj/%.o,$(API_SRCS))
	@rm -f $@
	$(Q)ar rcs $@ $^

build/host/tests/%: tests/unit/%.c $(wildcard tests/unit/*.h) $(HOST_TLIB) build/host/libcellvm.a build/host/libcellvm-api.a $(HOST_CLI_OBJS)
	@mkdir -p $(dir $@)
	@echo "  LD      $@"
	$(Q)$(HOST_CC) $(HOST_CFLAGS) -Itests/unit -Itests/lib $< $(HOST_TLIB) build/host/libcellvm-api.a build/host/libcellvm.a $(HOST_CLI_OBJS) -lcmocka $(API_LIBS) -lfdt -lz -lpthread -o $@

# The command's seccomp filters, tested on the host (libseccomp).
SECCOMP_TEST_OBJS := build/host/obj/cli/seccomp.o build/host/obj/cli/term.o
.SECONDARY: $(SECCOMP_TEST_OBJS)
build/host/tests/test_seccomp: tests/unit/test_seccomp.c $(SECCOMP_TEST_OBJS) build/host/libcellvm.a
	@mkdir -p $(dir $@)
	@echo "  LD      $@"
	$(Q)$(HOST_CC) $(HOST_CFLAGS) -Itests/unit $< $(SECCOMP_TEST_OBJS) build/host/libcellvm.a -lcmocka -lseccomp -lpthread -o $@

.PHONY: unit
unit: $(UNIT_BINS)
	@tools/run-unit $(UNIT_BINS)

# ---- fuzz targets (clang + libFuzzer) --------------------------------------
FUZZ_CC ?= clang
FUZZ_CFLAGS := $(COMMON_CFLAGS) -g -O1 -fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=all
FUZZ_OBJS := $(patsubst src/%.c,build/fuzz/obj/%.o,$(PORTABLE_SRCS) $(TEST_HV_SRCS))
FUZZ_SRCS := $(wildcard fuzz/fuzz_*.c)
FUZZ_BINS := $(patsubst fuzz/%.c,build/fuzz/%,$(FUZZ_SRCS))
FUZZ_SECONDS ?= 20

build/fuzz/obj/%.o: src/%.c | $(FUZZ_STAMP)
	@mkdir -p $(dir $@)
	@echo "  CC      $@"
	$(Q)$(FUZZ_CC) $(FUZZ_CFLAGS) $(DEPFLAGS) -c $< -o $@

build/fuzz/libcellvm.a: $(FUZZ_OBJS)
	@rm -f $@
	$(Q)ar rcs $@ $^

build/fuzz/libcellvm-api.a: $(patsubst src/%.c,build/fuzz/obj/%.o,$(API_SRCS))
	@rm -f $@
	$(Q)ar rcs $@ $^

build/fuzz/%: fuzz/%.c $(wildcard fuzz/*.h) $(FUZZ_TLIB) build/fuzz/libcellvm.a build/fuzz/libcellvm-api.a
	@mkdir -p $(dir $@)
	@echo "  LD      $@"
	$(Q)$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer -Itests/lib $< $(FUZZ_TLIB) build/fuzz/libcellvm-api.a build/fuzz/libcellvm.a $(API_LIBS) -lfdt -lz -lpthread -o $@

.PHONY: fuzz fuzz-long
fuzz: $(FUZZ_BINS)
	@tools/run-fuzz $(FUZZ_SECONDS) $(FUZZ_BINS)
# Hours of fuzzing: each target for FUZZ_SECONDS, an hour unless given, its
# finds merged back into fuzz/corpus/ (docs/fuzzing.md); commit the corpus.
FUZZ_LONG_SECONDS := $(if $(filter file,$(origin FUZZ_SECONDS)),3600,$(FUZZ_SECONDS))
fuzz-long: $(FUZZ_BINS)
	@tools/run-fuzz --long $(FUZZ_LONG_SECONDS) $(FUZZ_BINS)

# ---- dependencies ---------------------------------------------------------
# Host packages by group (tools/install-deps; nothing happens, and no root
# is needed, when they are all present) ...
build/.deps-%-stamp: tools/install-deps
	tools/install-deps $*
	@mkdir -p $(dir $@) && touch $@
$(FUZZ_STAMP): | $(HOST_STAMP)
# ... and the arm64 pieces: Debian's arm64 kernel, busybox, libfdt.a, libz.a,
# libseccomp.a.
$(DEPS_STAMP): tools/fetch-deps $(HOST_STAMP)
	tools/fetch-deps $(DEPS)
	@mkdir -p $(dir $@) && touch $@

.PHONY: deps
deps: $(DEPS_STAMP) $(FUZZ_STAMP) $(E2E_STAMP) $(PKG_STAMP)

# ---- the default guest and the arm64 cellvm --------------------------------
GUEST_KERNEL := $(DEPS)/kernel/Image
GUEST_INITRD := build/guest/initramfs.cpio.gz
GUEST_FILES := $(shell find guest -type f 2>/dev/null)

$(GUEST_INITRD): $(GUEST_FILES) tools/mkguest tools/mkinitramfs $(DEPS_STAMP)
	@echo "  GUEST   $@"
	$(Q)tools/mkguest build/guest $(DEPS)

# Library objects: hidden visibility but for what the public headers
# declare (build/gen/public.h includes them all under default visibility;
# libcellvm.so's version script in mk/install.mk is the second guard). The
# host test library (build/lib) adds the test backend's header.
VIS_CFLAGS := -fvisibility=hidden -include build/gen/public.h
build/gen/public.h build/gen/public-test.h: FORCE
	@mkdir -p $(dir $@)
	@{ echo '/* Generated: the public headers, with default visibility. */'; \
	  echo '#pragma GCC visibility push(default)'; \
	  for h in $(PUBLIC_HEADERS) $(if $(findstring test,$@),$(TEST_HV_HEADERS)); do \
		h=$${h#include/}; echo "#include \"$${h#src/}\""; done; \
	  echo '#pragma GCC visibility pop'; } >$@.tmp
	@cmp -s $@.tmp $@ && rm -f $@.tmp || mv $@.tmp $@

# Position-independent, so the same objects make the static command, the
# static library and the shared one.
ARM64_CFLAGS := $(COMMON_CFLAGS) -O2 -g -fPIC $(VIS_CFLAGS) $(CROSS_FDT_CFLAGS)
ARM64_OBJS := $(patsubst src/%.c,build/arm64/obj/%.o,$(ARM64_SRCS))
ARM64_LIB_OBJS := $(patsubst src/%.c,build/arm64/obj/%.o,$(ARM64_LIB_SRCS))

build/arm64/obj/%.o: src/%.c | $(DEPS_STAMP) build/gen/public.h
	@mkdir -p $(dir $@)
	@echo "  CC      $@"
	$(Q)$(CROSS_CC) $(ARM64_CFLAGS) $(DEPFLAGS) -c $< -o $@

# cellvm --version: build/gen/version.h, rewritten only when it changes.
build/gen/version.h: FORCE
	@mkdir -p $(dir $@)
	@echo '#define CELLVM_VERSION "$(VERSION)"' >$@.tmp
	@cmp -s $@.tmp $@ && rm -f $@.tmp || mv $@.tmp $@
build/arm64/obj/cli/main.o: build/gen/version.h
build/arm64/obj/cli/main.o: ARM64_CFLAGS += -Ibuild/gen
.PHONY: FORCE

$(GUEST_KERNEL): $(DEPS_STAMP)

build/arm64/obj/cli/images.o: src/cli/images.S $(GUEST_KERNEL) $(GUEST_INITRD)
	@mkdir -p $(dir $@)
	@echo "  AS      $@"
	$(Q)$(CROSS_CC) -c $< -o $@ -DCELLVM_GUEST_KERNEL='"$(GUEST_KERNEL)"' \
		-DCELLVM_GUEST_INITRD='"$(GUEST_INITRD)"'

build/arm64/cellvm: $(ARM64_OBJS) build/arm64/obj/cli/images.o
	@echo "  LD      $@"
	$(Q)$(CROSS_CC) -static -o $@ $^ $(CROSS_FDT_LIBS) $(CROSS_SECCOMP_LIBS) $(CROSS_API_LIBS) -lpthread

.PHONY: all cellvm clean run test help
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
# The one list of parts (tests/e2e/PART.sh, in running order); those in
# E2E_GIC3_ONLY need nothing of the host GIC and run once, on GICv3.
E2E_PARTS := boot console user_gic virtio bad_input zerocopy isv ipi compat cpu_features jail \
	seccomp deb hardening soak hostile rtc kernel_formats power vsock api debian
E2E_GIC3_ONLY := console zerocopy compat deb hardening soak rtc kernel_formats power vsock api debian
E2E_PARTS_GIC3 ?= $(E2E_PARTS)
E2E_PARTS_GIC2 ?= $(filter-out $(E2E_GIC3_ONLY),$(E2E_PARTS))
# The GICv2 host's CPU lacks SVE and pointer authentication, so that
# --cpu-features is seen refused there (tests/e2e/cpu_features.sh).
E2E_CPU_GIC2 ?= max,sve=off,pauth=off
ARM64_HOST := tools/arm64-host run
# The part `debian` boots the Debian system of `make rootfs` from a virtio
# disk of the arm64 host (too big for its initramfs), only when it runs.
ROOTFS := build/rootfs
DEBIAN_E2E = $(if $(filter debian,$(1)),--disk $(ROOTFS)/rootfs.img \
	--file $(ROOTFS)/initrd.img:/tmp/debian-initrd.img)

.PHONY: e2e e2e-gic3 e2e-gic2
e2e: e2e-gic3 e2e-gic2
# A test helper: runs a command on a pseudo-terminal (tests/e2e/console.sh).
build/arm64/ptyrun: tests/e2e/ptyrun.c | $(DEPS_STAMP) $(E2E_STAMP)
	@mkdir -p $(dir $@)
	@echo "  CC      $@"
	$(Q)$(CROSS_CC) -static -O2 -Wall -Wextra -Werror -D_GNU_SOURCE -o $@ $<

e2e-gic3: build/arm64/cellvm build/arm64/ptyrun $(if $(filter debian,$(E2E_PARTS_GIC3)),rootfs)
	$(ARM64_HOST) --gic 3 $(E2E_FILES) $(call DEBIAN_E2E,$(E2E_PARTS_GIC3)) -- sh suite.sh 3 $(E2E_PARTS_GIC3)
e2e-gic2: build/arm64/cellvm build/arm64/ptyrun $(if $(filter debian,$(E2E_PARTS_GIC2)),rootfs)
	$(ARM64_HOST) --gic 2 --cpu $(E2E_CPU_GIC2) $(E2E_FILES) $(call DEBIAN_E2E,$(E2E_PARTS_GIC2)) \
		-- sh suite.sh 2 $(E2E_PARTS_GIC2)

# A Debian 12 arm64 system to boot from a disk (tools/mkrootfs, as root):
# build/rootfs/{rootfs.img,initrd.img}, rebuilt only when the hash of its
# recipe (the script, the kernel version, the apt sources) changes.
.PHONY: rootfs
rootfs: $(DEPS_STAMP) | $(E2E_STAMP)
	tools/mkrootfs $(ROOTFS)

# Every tests/e2e/*.sh but the harness is a part in E2E_PARTS.
.PHONY: check-e2e-parts
check-e2e-parts:
	@missing=$$(for f in $(filter-out tests/e2e/lib.sh tests/e2e/suite.sh,$(E2E_SCRIPTS)); do \
		p=$$(basename $$f .sh); case " $(E2E_PARTS) " in *" $$p "*) ;; *) echo $$p;; esac; done); \
	if [ -n "$$missing" ]; then echo "e2e parts not in E2E_PARTS: $$missing" >&2; exit 1; fi; \
	echo "e2e parts: $(words $(E2E_PARTS)) listed once, every tests/e2e part among them"

# Further rules (benchmarks, test guests, install and packages) live in mk/*.mk.
-include $(wildcard mk/*.mk)

# Objects are rebuilt when their compiler or flags change: each build
# directory keeps them in .cflags, rewritten only when they differ.
# flags_stamp DIR, COMMAND-AND-FLAGS
define flags_stamp
$(1)/.cflags: FORCE
	@mkdir -p $(1)
	@echo '$(2)' >$$@.tmp
	@cmp -s $$@.tmp $$@ && rm -f $$@.tmp || mv $$@.tmp $$@
endef
$(eval $(call flags_stamp,build/host,$(HOST_CC) $(HOST_CFLAGS)))
$(eval $(call flags_stamp,build/fuzz,$(FUZZ_CC) $(FUZZ_CFLAGS)))
$(eval $(call flags_stamp,build/arm64,$(CROSS_CC) $(ARM64_CFLAGS)))
$(eval $(call flags_stamp,build/lib,$(HOST_CC) $(LIB_CFLAGS)))
$(HOST_OBJS): build/host/.cflags
$(patsubst tests/lib/%.c,build/host/tlib/%.o,$(TLIB_SRCS)): build/host/.cflags
$(patsubst tests/lib/%.c,build/fuzz/tlib/%.o,$(TLIB_SRCS)): build/fuzz/.cflags
$(FUZZ_OBJS): build/fuzz/.cflags
$(ARM64_OBJS): build/arm64/.cflags
$(LIB_OBJS): build/lib/.cflags
bench: | build/.deps-bench-stamp

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

# The fresh-machine promise (tools/check-fresh): a pristine Debian 12 root
# builds and unit-tests the commit under test with the README's commands.
.PHONY: check-fresh
check-fresh: | build/.deps-ci-stamp
	tools/check-fresh

# The whole suite: headers, layers, unit tests (ASan+UBSan), fuzzers, install, man
# page, documentation, packages, end-to-end, and a fresh Debian 12 root.
test: check-headers check-layers check-e2e-parts unit fuzz check-install check-docs check-deb e2e check-fresh

help:
	@echo 'cellvm: make TARGET (README.md; installs missing Debian packages first, as root)'
	@echo '  all              the arm64 cellvm command and the host unit tests (default)'
	@echo '  cellvm           build/arm64/cellvm only'
	@echo '  run              boot the default guest (CELLVM_ARGS="--cpus 2 ...")'
	@echo '  unit             cmocka unit tests, ASan+UBSan'
	@echo '  fuzz             each libFuzzer target for FUZZ_SECONDS (20) s'
	@echo '  fuzz-long        each for FUZZ_SECONDS (3600) s, finds merged into fuzz/corpus'
	@echo '  e2e              end-to-end suite in the arm64 host: e2e-gic3, e2e-gic2'
	@echo '                   (one part: make e2e-gic3 E2E_PARTS_GIC3=virtio)'
	@echo '  test             the whole suite: check-headers check-layers check-e2e-parts'
	@echo '                   unit fuzz check-install check-docs check-deb e2e check-fresh'
	@echo '  rootfs           a Debian 12 arm64 system in build/rootfs (tools/mkrootfs, root)'
	@echo '  check-headers    each public header compiles on its own'
	@echo '  check-layers     the include graph points down only'
	@echo '  check-install    make install trees, exported symbols, pkg-config'
	@echo '  check-docs       man page lint; README, man, --help, completion agree'
	@echo '  check-deb        make deb, then the packages'"'"' contents'
	@echo '  check-fresh      a pristine Debian 12 root builds and unit-tests HEAD'
	@echo '  libs             arm64 libcellvm.a and libcellvm.so.$(SOVERSION)'
	@echo '  install          PREFIX=$(PREFIX) DESTDIR= LIBDIR=$$(PREFIX)/lib'
	@echo '  deb              arm64 .debs in build/deb (dpkg-buildpackage), lintian'
	@echo '  deps             install every package group, fetch the arm64 pieces'
	@echo '  bench, bench-irqchip, guests   measurements and test guests (mk/)'
	@echo '  clean            remove build/ except build/deps and build/rootfs'

clean:
	rm -rf build/host build/fuzz build/arm64 build/guest build/gen build/lib \
		build/install build/deb build/man

# Object dependency files, written by the compiler (-MMD -MP).
-include $(shell find build/host/obj build/host/tlib build/fuzz/obj build/fuzz/tlib build/arm64/obj build/lib -name '*.d' 2>/dev/null)
