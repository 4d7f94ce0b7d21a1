# Issue 3's measurement: time to init, --irqchip=user vs --irqchip=kernel,
# median of BENCH_RUNS runs each, in one arm64 host boot.
BENCH_RUNS ?= 5
BENCH_CPUS ?= 1
.PHONY: bench-irqchip
bench-irqchip: build/arm64/cellvm
	$(ARM64_HOST) --gic 3 --file tests/e2e/lib.sh --file bench/irqchip.sh \
		-- sh irqchip.sh $(BENCH_RUNS) $(BENCH_CPUS)
