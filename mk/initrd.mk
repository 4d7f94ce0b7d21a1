# SPDX-License-Identifier: MIT
# Recipes shared by the rules that put a small static arm64 program into
# the default guest (mk/bench.mk, mk/cpu_features.mk).

# $(call guest-prog-cc): the recipe that builds $@ from the one C file $<
# as a static arm64 program for the guest.
define guest-prog-cc
	@mkdir -p $(dir $@)
	@echo "  CC      $@"
	$(Q)$(CROSS_CC) -std=gnu11 -O2 -Wall -Wextra -Werror -D_GNU_SOURCE -static -o $@ $<
endef

# $(call initrd-append,PROG,STEM): the recipe that writes $@, the default
# guest's initramfs followed by a second archive holding PROG as
# /usr/bin/<name>; STEM-root and STEM.cpio are scratch, removed after.
define initrd-append
	@rm -rf $(2)-root
	@mkdir -p $(2)-root/usr/bin
	$(Q)cp $(1) $(2)-root/usr/bin/
	$(Q)tools/mkinitramfs $(2)-root $(2).cpio
	$(Q)cp $(GUEST_INITRD) $@
	@# The kernel looks for the next archive at a 4-byte aligned offset
	@# (init/initramfs.c); zero padding between archives is skipped.
	$(Q)truncate -s %512 $@
	$(Q)cat $(2).cpio >>$@
	@rm -rf $(2)-root $(2).cpio
endef
