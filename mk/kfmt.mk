# SPDX-License-Identifier: MIT
# Kernel formats end to end (tests/e2e/kernel_formats.sh, issue 12 part 4):
# the default guest's kernel gzip'd and as an ELF vmlinux, a raw test
# guest, and bad inputs, all made here on the build host -> build/kfmt/.

KFMT := build/kfmt
GUEST_LD ?= $(patsubst %gcc,%ld,$(CROSS_CC))
# objcopy -I binary: wrap a file's bytes in an ELF object whose .data holds
# them; renamed to an allocated, loaded code section for the link.
KFMT_WRAP = $(GUEST_OBJCOPY) -I binary -O elf64-littleaarch64 -B aarch64 \
	--rename-section .data=$(1),alloc,load,readonly,code,contents
# ld -N: no page alignment, so the ELF and program headers are not pulled
# into the first loaded segment, which must start with the Image header.
KFMT_LD = $(GUEST_LD) -N --build-id=none
# arm64 Linux links vmlinux at KIMAGE_VADDR (arch/arm64/include/asm/memory.h).
KIMAGE_VADDR := 0xffff800008000000
KFMT_FILES := $(KFMT)/Image.gz $(KFMT)/vmlinux $(KFMT)/vmlinux-far \
	$(KFMT)/vmlinux-dtb $(KFMT)/bomb.gz build/guests/raw-hello

$(KFMT)/Image.gz: $(GUEST_KERNEL)
	@mkdir -p $(dir $@)
	@echo "  GZIP    $@"
	$(Q)gzip -c -n -9 $< >$@.tmp && mv $@.tmp $@

# Debian ships no arm64 vmlinux outside its 500 MB debug package; Linux
# makes its Image from vmlinux with objcopy -O binary, so do the reverse:
# the Image's bytes as one section linked at KIMAGE_VADDR. The result has
# one PT_LOAD whose p_paddr is a kernel virtual address, as a real
# vmlinux's, with the Image header at its start.
$(KFMT)/vmlinux: $(GUEST_KERNEL) | $(HOST_STAMP)
	@mkdir -p $(dir $@)
	@echo "  ELF     $@"
	$(Q)$(call KFMT_WRAP,.head.text) $< $@.o
	$(Q)$(KFMT_LD) -o $@ -e $(KIMAGE_VADDR) \
		--section-start=.head.text=$(KIMAGE_VADDR) $@.o && rm -f $@.o

# Bad ELFs from the first-insn guest: a second segment 1 GiB above the
# first (outside any RAM the test gives), or one that reaches the top
# 32 KiB of a 64 MiB RAM, where the DTB goes.
$(KFMT)/vmlinux-%: build/guests/first-insn | $(HOST_STAMP)
	@mkdir -p $(dir $@)
	@echo "  ELF     $@"
	$(Q)$(call KFMT_WRAP,.kimage) $< $@.k.o
	$(Q)head -c 4096 /dev/zero >$@.blob
	$(Q)$(call KFMT_WRAP,.extra) $@.blob $@.x.o
	$(Q)$(KFMT_LD) -o $@ -e 0x40000000 --section-start=.kimage=0x40000000 \
		--section-start=.extra=$(if $(filter far,$*),0x80000000,0x43ff8000) \
		$@.k.o $@.x.o && rm -f $@.k.o $@.x.o $@.blob

# A gzip bomb: a legacy Image header (image_size 0, so the bound is the RAM
# above the load address) and 128 MiB of zeros, 128 KiB compressed.
$(KFMT)/bomb.gz: build/guests/first-insn
	@mkdir -p $(dir $@)
	@echo "  GZIP    $@"
	$(Q)head -c 64 $< >$@.hdr
	$(Q)dd if=/dev/zero of=$@.hdr bs=1 seek=16 count=8 conv=notrunc status=none
	$(Q){ cat $@.hdr; head -c 134217728 /dev/zero; } | gzip -1 -n >$@ && rm -f $@.hdr

# Target-specific: only the GICv3 run (where the part runs) carries them.
e2e-gic3: E2E_FILES += --file $(KFMT)/Image.gz:/tmp/kfmt-Image.gz \
	--file $(KFMT)/vmlinux:/tmp/kfmt-vmlinux \
	--file $(KFMT)/vmlinux-far:/tmp/kfmt-vmlinux-far \
	--file $(KFMT)/vmlinux-dtb:/tmp/kfmt-vmlinux-dtb \
	--file $(KFMT)/bomb.gz:/tmp/kfmt-bomb.gz \
	--file build/guests/raw-hello:/tmp/kfmt-raw-hello
e2e-gic3: $(KFMT_FILES)
