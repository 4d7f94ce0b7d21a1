# SPDX-License-Identifier: MIT
# virtio-vsock end to end (tests/e2e/vsock.sh): the default guest's
# initramfs with a second archive appended that holds Debian's socat (with
# its loader and libraries, fetched by tools/fetch-deps) and the vsock
# modules, and a load.order that replaces the first archive's (the kernel
# unpacks later archives over earlier ones). The arm64 host gets the same
# socat for its side, which speaks only Unix sockets.

VSOCK_MODULES := virtio_mmio virtio_blk virtio_net virtio-rng virtio_console \
	vmw_vsock_virtio_transport
SOCAT_TREE := $(DEPS)/socat

build/e2e/initrd-vsock: $(GUEST_INITRD) tools/mkinitramfs tools/modules-dep $(DEPS_STAMP)
	@echo "  INITRD  $@"
	@rm -rf build/e2e/vsock-root && mkdir -p build/e2e/vsock-root/lib/modules
	$(Q)cp -R $(SOCAT_TREE)/. build/e2e/vsock-root/
	$(Q)tools/modules-dep --order $(DEPS)/kernel/modules $(VSOCK_MODULES) | \
		while read -r ko; do \
			cp $(DEPS)/kernel/modules/$$ko build/e2e/vsock-root/lib/modules/ && \
			basename $$ko >>build/e2e/vsock-root/lib/modules/load.order; \
		done
	$(Q)tools/mkinitramfs build/e2e/vsock-root build/e2e/vsock.cpio
	$(Q)cp $(GUEST_INITRD) $@
	$(Q)truncate -s %512 $@
	$(Q)cat build/e2e/vsock.cpio >>$@
	@rm -rf build/e2e/vsock-root build/e2e/vsock.cpio

E2E_FILES += --file build/e2e/initrd-vsock:/tmp/guest-initrd-vsock \
	--file $(SOCAT_TREE)/usr/bin/socat:/usr/bin/socat \
	--file $(SOCAT_TREE)/lib/ld-linux-aarch64.so.1:/lib/ld-linux-aarch64.so.1 \
	--file $(SOCAT_TREE)/lib/aarch64-linux-gnu:/lib/aarch64-linux-gnu
e2e-gic3 e2e-gic2: build/e2e/initrd-vsock
