# SPDX-License-Identifier: MIT
# --cpu-features end to end (tests/e2e/cpu_features.sh, both host GICs):
# the default guest's initramfs with tests/e2e/pmucount appended, a program
# that makes the guest's PMU count and overflow.

build/e2e/pmucount: tests/e2e/pmucount.c | $(DEPS_STAMP)
	@mkdir -p $(dir $@)
	@echo "  CC      $@"
	$(Q)$(CROSS_CC) -std=gnu11 -O2 -Wall -Wextra -Werror -D_GNU_SOURCE -static -o $@ $<

build/e2e/initrd-pmu: build/e2e/pmucount $(GUEST_INITRD) tools/mkinitramfs
	@rm -rf build/e2e/pmu-root
	@mkdir -p build/e2e/pmu-root/usr/bin
	$(Q)cp build/e2e/pmucount build/e2e/pmu-root/usr/bin/
	$(Q)tools/mkinitramfs build/e2e/pmu-root build/e2e/pmu.cpio
	$(Q)cp $(GUEST_INITRD) $@
	@# The kernel looks for the next archive at a 4-byte aligned offset
	@# (init/initramfs.c); zero padding between archives is skipped.
	$(Q)truncate -s %512 $@
	$(Q)cat build/e2e/pmu.cpio >>$@
	@rm -rf build/e2e/pmu-root build/e2e/pmu.cpio

E2E_FILES += --file build/e2e/initrd-pmu:/tmp/guest-initrd-pmu
e2e-gic3 e2e-gic2: build/e2e/initrd-pmu
