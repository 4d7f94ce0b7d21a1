# SPDX-License-Identifier: MIT
# The control plane's end-to-end part (tests/e2e/api.sh) drives cellvm's
# API with Debian's arm64 curl (tools/fetch-curl-arm64), carried into the
# arm64 host as /opt/curl only when the part runs, with the default
# guest's initramfs as a file (the API boots it by path).
CURL_ARM64 := build/curl-arm64/curl/.stamp

$(CURL_ARM64): tools/fetch-curl-arm64 | $(DEPS_STAMP)
	tools/fetch-curl-arm64 build/curl-arm64

API_E2E_FILES := --file build/curl-arm64/curl:/opt/curl --file $(GUEST_INITRD):/tmp/guest-initrd
api_e2e = $(if $(filter api,$(1)),$(API_E2E_FILES))
e2e-gic3: E2E_FILES += $(call api_e2e,$(E2E_PARTS_GIC3))
e2e-gic2: E2E_FILES += $(call api_e2e,$(E2E_PARTS_GIC2))
e2e-gic3 e2e-gic2: $(CURL_ARM64) $(GUEST_INITRD)
