# SPDX-License-Identifier: MIT
# --cpu-features end to end (tests/e2e/cpu_features.sh, both host GICs):
# the default guest's initramfs with tests/e2e/pmucount appended, a program
# that makes the guest's PMU count and overflow.

build/e2e/pmucount: tests/e2e/pmucount.c | $(DEPS_STAMP)
	$(guest-prog-cc)

build/e2e/initrd-pmu: build/e2e/pmucount $(GUEST_INITRD) tools/mkinitramfs
	$(call initrd-append,build/e2e/pmucount,build/e2e/pmu)

E2E_FILES += --file build/e2e/initrd-pmu:/tmp/guest-initrd-pmu
e2e-gic3 e2e-gic2: build/e2e/initrd-pmu
