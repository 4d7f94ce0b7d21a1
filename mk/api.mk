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

# make bench-api: the API's numbers (docs/api.md, "Numbers"): socket ready
# after launch, InstanceStart to the guest's first byte and its CPU time,
# GET/pause/resume round trips, and cellvm's RSS with and without the API.
BENCH_API_REPS ?= 5
build/bench/apiprobe: bench/apiprobe.c | $(DEPS_STAMP)
	$(guest-prog-cc)

.PHONY: bench-api
# make bench runs these numbers too, before the VMM comparison.
bench: bench-api
bench-api: build/arm64/cellvm build/bench/apiprobe guests
	tools/arm64-host run --smp 2 --mem 2G --file bench/api.sh \
		--file build/bench/apiprobe:/usr/bin/apiprobe --file build/guests:/tmp/g \
		-- sh api.sh $(BENCH_API_REPS) | tee build/bench/api.log | grep -E '^(R|#)'
	@bench/api-summary build/bench/api.log
