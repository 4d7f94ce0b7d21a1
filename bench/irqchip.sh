# SPDX-License-Identifier: MIT
# Time to init with --irqchip=user against --irqchip=kernel, run inside one
# arm64 host boot (make bench-irqchip). Alternates the modes, RUNS times
# each, and prints every run and the medians (µs from process start to the
# guest's boot-timer mark, from --boot-timing=json).
RUNS=${1:-5}
CPUS=${2:-1}
. ./lib.sh

median() { sort -n | awk '{v[NR] = $1} END {if (NR % 2) print v[(NR + 1) / 2]; else print int((v[NR / 2] + v[NR / 2 + 1]) / 2)}'; }

: >"$W/kernel.txt"
: >"$W/user.txt"
i=1
while [ "$i" -le "$RUNS" ]; do
	for mode in kernel user; do
		start_vm --no-reboot --irqchip=$mode --cpus "$CPUS" \
			--cmdline "$QUIET" --boot-timing=json
		wait_for 'cellvm guest ready' 120
		send 'poweroff -f'
		finish_vm 60
		us=$(sed -n 's/.*"init_us": \([0-9-]*\).*/\1/p' "$W/err")
		echo "run $i $mode: init at ${us:-?} us (status $VM_STATUS)"
		[ -n "$us" ] && [ "$us" -gt 0 ] && echo "$us" >>"$W/$mode.txt"
	done
	i=$((i + 1))
done
k=$(median <"$W/kernel.txt")
u=$(median <"$W/user.txt")
echo "median time to init, $CPUS vCPU(s): kernel ${k} us, user ${u} us"
awk -v k="$k" -v u="$u" 'BEGIN {printf "ratio user/kernel: %.2f\n", u / k}'
