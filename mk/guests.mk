# SPDX-License-Identifier: MIT
# Tiny bare-metal AArch64 test guests (tests/guests/*.S) -> build/guests/,
# each a flat arm64 Image (objcopy -O binary of a -Ttext=0 link), and the
# zero-copy end-to-end part that boots them.
#
#   make guests          all of them
#   build/guests/NAME    first-insn, first-insn-hold, mmio-bench, scribble, isv,
#                        reboot-loop, abort-loop, chatter, ipi-pingpong,
#                        padded-{8,16,32,64}M (first-insn padded to that size),
#                        raw-hello (headerless: for --kernel-format raw)

GUEST_OBJCOPY ?= $(patsubst %gcc,%objcopy,$(CROSS_CC))
GUEST_LDFLAGS := -nostdlib -nostartfiles -static -Wl,-Ttext=0 \
	-Wl,--build-id=none -Wl,-e,_head -Wl,--no-warn-rwx-segments
GUEST_HDRS := tests/guests/guest.h
PADDED_SIZES := 8 16 32 64
TEST_GUESTS := $(addprefix build/guests/,first-insn first-insn-hold \
	mmio-bench scribble isv reboot-loop abort-loop chatter soak hostile \
	ipi-pingpong raw-hello $(foreach s,$(PADDED_SIZES),padded-$(s)M))

# guest_link SOURCE EXTRA-FLAGS: assemble and link to $@.elf, flatten to $@.
define guest_link
	@mkdir -p $(dir $@)
	@echo "  GUEST   $@"
	$(Q)$(CROSS_CC) $(GUEST_LDFLAGS) $(2) -o $@.elf $(1)
	$(Q)$(GUEST_OBJCOPY) -O binary -j .text $@.elf $@ && rm -f $@.elf
endef

build/guests/%: tests/guests/%.S $(GUEST_HDRS) | $(HOST_STAMP)
	$(call guest_link,$<,)

build/guests/first-insn-hold: tests/guests/first-insn.S $(GUEST_HDRS) | $(HOST_STAMP)
	$(call guest_link,$<,-DHOLD)

build/guests/padded-%M: tests/guests/first-insn.S $(GUEST_HDRS) | $(HOST_STAMP)
	$(call guest_link,$<,-DPAD_MIB=$*)

.PHONY: guests
guests: $(TEST_GUESTS)

# The zero-copy part (in E2E_PARTS, GICv3 only) needs these files.
E2E_FILES += --file build/guests/scribble:/tmp/guest-scribble \
	--file $(GUEST_INITRD):/tmp/guest-initrd
e2e-gic3 e2e-gic2: build/guests/scribble $(GUEST_INITRD)

# The isv part (in E2E_PARTS, both host GICs) boots the ISV=0 guest.
E2E_FILES += --file build/guests/isv:/tmp/guest-isv
e2e-gic3 e2e-gic2: build/guests/isv

# The hardening part (stop signals, bad host input) boots test guests too.
E2E_FILES += --file build/guests/reboot-loop:/tmp/guest-reboot-loop \
	--file build/guests/abort-loop:/tmp/guest-abort-loop \
	--file build/guests/chatter:/tmp/guest-chatter
e2e-gic3 e2e-gic2: build/guests/reboot-loop build/guests/abort-loop build/guests/chatter

# The soak part (in E2E_PARTS, GICv3 only) boots the rebooting guest.
E2E_FILES += --file build/guests/soak:/tmp/guest-soak
e2e-gic3 e2e-gic2: build/guests/soak

# The hostile part (in E2E_PARTS, both host GICs) boots the attacking guest.
E2E_FILES += --file build/guests/hostile:/tmp/guest-hostile
e2e-gic3 e2e-gic2: build/guests/hostile

# The ipi part (in E2E_PARTS, both host GICs) boots the IPI stress guest
# under --irqchip=user.
E2E_FILES += --file build/guests/ipi-pingpong:/tmp/guest-ipi-pingpong
e2e-gic3 e2e-gic2: build/guests/ipi-pingpong
