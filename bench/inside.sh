# SPDX-License-Identifier: MIT
# The benchmark cases, run by bench/run inside one arm64 host boot (busybox
# sh): cellvm and Debian's qemu-system-aarch64 (KVM) side by side,
# alternating, REPS times each (order swapped every other round, so drift
# in the machine's speed hits both alike). Every VMM is launched and timed
# by stamp (bench/stamp.c). Prints
#   I,KEY,VALUE                            the machine
#   R,CASE,VMM,VARIANT,REP,METRIC,VALUE    one measurement
# and log lines starting with '#'.
#
#   sh inside.sh REPS [CASE...]     CASE: init startup memory mmio flat blk
set -u
REPS=${1:-5}
shift
CASES=${*:-init startup memory mmio flat blk}
G=/tmp/g                       # test guests (build/guests)
K=/tmp/bench/Image             # Debian's arm64 kernel
I=/tmp/bench/initrd            # the default guest's initramfs
CMDLINE="console=ttyAMA0 quiet"
MEM=256M
CPUS=1
W=/tmp/bench/w
mkdir -p "$W"

# QEMU from tools/fetch-qemu-arm64: its own libraries, and the loader where
# its ELF interpreter path points.
[ -e /lib/ld-linux-aarch64.so.1 ] || ln -s /opt/qemu/lib/ld-linux-aarch64.so.1 /lib/
export LD_LIBRARY_PATH=/opt/qemu/lib
QEMU=/opt/qemu/bin/qemu-system-aarch64
# The same vCPU features as cellvm's default (KVM's preferred target plus
# PSCI 0.2, --cpu-features none): no pointer authentication, SVE or PMU.
QEMU_CPU=host,pauth=off,sve=off,pmu=off

info() { echo "I,$1,$2"; }
rec() { echo "R,$1,$2,$3,$4,$5,$6"; }
log() { echo "# $*"; }

# vmm_cmd VMM KERNEL INITRD CMDLINE [EXTRA...]: the command line for one
# boot (INITRD and CMDLINE may be "-" for none). VMM: cellvm, qemu,
# cellvm-copy (cellvm --no-zero-copy), or cellvm-emb / cellvm-emb-copy:
# cellvm's embedded guest (the same kernel and initramfs, built into it;
# KERNEL and INITRD are ignored), which cellvm maps copy-on-write from its
# own executable unless --no-zero-copy (the price of mapping against
# copying; image files are always read).
vmm_cmd() {
	v_=$1 k=$2 i=$3 c=$4
	shift 4
	case $v_ in cellvm-copy|cellvm-emb-copy) set -- "$@" --no-zero-copy ;; esac
	# --shutdown-timeout 0: SIGTERM stops at once, as it does QEMU.
	if [ "${v_#cellvm-emb}" != "$v_" ]; then
		set -- cellvm --no-reboot --mem $MEM --cpus $CPUS --boot-timing=json \
			--shutdown-timeout 0 "$@"
		[ "$c" = - ] || set -- "$@" --cmdline "$c"
	elif [ "$v_" != qemu ]; then
		set -- cellvm --no-reboot --mem $MEM --cpus $CPUS --boot-timing=json \
			--shutdown-timeout 0 --kernel "$k" "$@"
		[ "$i" = - ] || set -- "$@" --initrd "$i"
		[ "$c" = - ] || set -- "$@" --cmdline "$c"
	else
		set -- $QEMU -M virt -enable-kvm -cpu $QEMU_CPU -nodefaults \
			-serial stdio -no-reboot -display none -m $MEM -smp $CPUS \
			-kernel "$k" "$@"
		[ "$i" = - ] || set -- "$@" -initrd "$i"
		[ "$c" = - ] || set -- "$@" -append "$c"
	fi
	printf '%s\n' "$@" >"$W/argv"
}

# launch PATTERN [STAMP-OPTS...]: run the command in $W/argv under stamp,
# noting when PATTERN appears on its console; sets
# match_us exit_us status hwm_kb guest_kb maxrss_kb, and first_run_us,
# init_us from cellvm's --boot-timing=json (else -1).
launch() {
	match_us=-1 exit_us=-1 status=-1 hwm_kb=-1 guest_kb=-1 maxrss_kb=-1
	rm -f "$W/out" "$W/err"
	pattern=$1
	shift
	opts=$*
	# Rebuild "$@" from one argument per line.
	set --
	while IFS= read -r a; do set -- "$@" "$a"; done <"$W/argv"
	# shellcheck disable=SC2086 # opts are words
	line=$(stamp -p "$pattern" $opts -o "$W/out" -e "$W/err" -- "$@" | tail -n 1)
	case $line in match_us=*) eval "$line" ;; esac
	first_run_us=$(sed -n 's/.*"first_run_us": \(-*[0-9]*\).*/\1/p' "$W/err" 2>/dev/null)
	init_us=$(sed -n 's/.*"init_us": \(-*[0-9]*\).*/\1/p' "$W/err" 2>/dev/null)
	first_run_us=${first_run_us:--1} init_us=${init_us:--1}
}

# order REP [VMM...]: the VMMs (default cellvm qemu), rotated by REP, so
# each goes first as often as the others.
order() {
	r_=$1
	shift
	[ $# -gt 0 ] || set -- cellvm qemu
	i_=$((r_ % $#))
	while [ $i_ -gt 0 ]; do a_=$1; shift; set -- "$@" "$a_"; i_=$((i_ - 1)); done
	echo "$@"
}

fail_note() { log "$1 $2 rep $3: status $status, output: $(head -c 200 "$W/out" | tr '\n\r' '  ')"; }

# Time to the init mark: launch -> "cellvm guest ready" on the console,
# which the default guest's /init prints right after the boot mark. Then
# the VMM is stopped (SIGTERM). Also its memory at that moment.
case_init() {
	r=1
	while [ $r -le "$REPS" ]; do
		for vmm in $(order $r cellvm qemu cellvm-copy cellvm-emb cellvm-emb-copy); do
			vmm_cmd $vmm "$K" "$I" "$CMDLINE"
			launch "cellvm guest ready" -k -m $MEM -t 180
			if [ "$match_us" -lt 0 ]; then fail_note init $vmm $r; continue; fi
			rec init $vmm linux $r init_ms $((match_us / 1000))
			rec init $vmm linux $r hwm_kb $hwm_kb
			rec init $vmm linux $r guest_kb $guest_kb
			rec init $vmm linux $r overhead_kb $((hwm_kb - guest_kb))
			[ $vmm = qemu ] || rec init $vmm linux $r mark_ms $((init_us / 1000))
		done
		r=$((r + 1))
	done
}

# VMM start-up: launch -> the first byte the first-insn guest writes, and
# launch -> exit after its PSCI SYSTEM_OFF.
case_startup() {
	r=1
	while [ $r -le "$REPS" ]; do
		for vmm in $(order $r); do
			vmm_cmd $vmm $G/first-insn - -
			launch "!" -t 60
			if [ "$match_us" -lt 0 ] || [ "$status" != 0 ]; then fail_note startup $vmm $r; continue; fi
			rec startup $vmm first-insn $r first_byte_us $match_us
			rec startup $vmm first-insn $r exit_us $exit_us
			[ $vmm = qemu ] || rec startup $vmm first-insn $r first_run_us $first_run_us
		done
		r=$((r + 1))
	done
}

# The VMM's own memory: peak RSS while the first-insn-hold guest idles
# (it touched one page), less the resident guest RAM.
case_memory() {
	r=1
	while [ $r -le "$REPS" ]; do
		for vmm in $(order $r); do
			vmm_cmd $vmm $G/first-insn-hold - -
			launch "!" -k -m $MEM -t 60
			if [ "$match_us" -lt 0 ] || [ "$guest_kb" -lt 0 ]; then fail_note memory $vmm $r; continue; fi
			rec memory $vmm idle $r hwm_kb $hwm_kb
			rec memory $vmm idle $r guest_kb $guest_kb
			rec memory $vmm idle $r overhead_kb $((hwm_kb - guest_kb))
		done
		r=$((r + 1))
	done
}

# MMIO round trip: mmio-bench's N reads of the PL011 UARTFR, and as the
# floor N in-kernel HVCs (PSCI_VERSION).
case_mmio() {
	r=1
	while [ $r -le "$REPS" ]; do
		for vmm in $(order $r cellvm qemu cellvm-copy); do
			vmm_cmd $vmm $G/mmio-bench - -
			launch "mmio-bench:" -t 120
			l=$(grep '^mmio-bench:' "$W/out" | tr -d '\r')
			n=$(echo "$l" | sed -n 's/.* n=\([0-9]*\).*/\1/p')
			mmio=$(echo "$l" | sed -n 's/.* mmio_ns=\([0-9]*\).*/\1/p')
			hvc=$(echo "$l" | sed -n 's/.* hvc_ns=\([0-9]*\).*/\1/p')
			if [ -z "$n" ] || [ -z "$mmio" ]; then fail_note mmio $vmm $r; continue; fi
			rec mmio $vmm uartfr $r ns $((mmio / n))
			rec mmio $vmm hvc $r ns $((hvc / n))
			rec mmio $vmm vmm-share $r ns $(((mmio - hvc) / n))
		done
		r=$((r + 1))
	done
}

# Start-up against kernel image size: cellvm's first KVM_RUN (its own
# --boot-timing) and first guest byte for 8..64 MiB images, by default and
# with --no-zero-copy (since issue 14 both read image files: the variant
# names keep the modes apart); QEMU's first byte for the smallest and largest.
case_flat() {
	r=1
	while [ $r -le "$REPS" ]; do
		for s in 8 16 32 64; do
			for mode in default no-zero-copy; do
				if [ $mode = default ]; then
					vmm_cmd cellvm $G/padded-${s}M - -
				else
					vmm_cmd cellvm $G/padded-${s}M - - --no-zero-copy
				fi
				launch "!" -t 60
				if [ "$match_us" -lt 0 ]; then fail_note flat cellvm-$mode-$s $r; continue; fi
				rec flat cellvm $mode-${s}M $r first_run_us $first_run_us
				rec flat cellvm $mode-${s}M $r first_byte_us $match_us
			done
			if [ $s = 8 ] || [ $s = 64 ]; then
				vmm_cmd qemu $G/padded-${s}M - -
				launch "!" -t 60
				[ "$match_us" -lt 0 ] || rec flat qemu ${s}M $r first_byte_us $match_us
			fi
		done
		r=$((r + 1))
	done
}

# virtio-blk throughput: the Linux guest with a 64 MiB raw file as its
# virtio-blk disk (virtio-mmio under both VMMs; both use the host page
# cache: cellvm's pread/pwrite, QEMU's default cache=writeback), running
# blkio (bench/blkio.c, in the bench initramfs $IB) from its console:
# sequential 1 MiB and random 4 KiB, read and write, O_DIRECT in the guest.
IB=/tmp/bench/initrd-blk
BLK_TESTS="seqread:1048576:16384 seqwrite:1048576:16384 randread:4096:1024 randwrite:4096:1024"

# blk_wait PATTERN SECONDS: until the guest console ($W/bout) has PATTERN.
blk_wait() {
	n_=$(($2 * 4))
	while ! grep -q "$1" "$W/bout" 2>/dev/null; do
		n_=$((n_ - 1))
		[ $n_ -gt 0 ] && kill -0 "$bpid" 2>/dev/null || return 1
		sleep 0.25
	done
}

# blk_run VMM REP: one boot, the four blkio runs, power off.
blk_run() {
	vmm_cmd $1 "$K" "$IB" "$CMDLINE"
	if [ $1 = qemu ]; then
		set -- -drive file=$W/disk.raw,format=raw,if=none,id=d0,cache=writeback \
			-device virtio-blk-device,drive=d0
	else
		set -- --disk $W/disk.raw
	fi
	for a in "$@"; do echo "$a" >>"$W/argv"; done
	set --
	while IFS= read -r a; do set -- "$@" "$a"; done <"$W/argv"
	rm -f "$W/in" "$W/bout"
	mkfifo "$W/in"
	"$@" <"$W/in" >"$W/bout" 2>"$W/berr" &
	bpid=$!
	exec 3>"$W/in"
	if blk_wait '/ # ' 180; then
		cmd=
		for t in $BLK_TESTS; do
			IFS=: read -r m b k <<T_
$t
T_
			cmd="$cmd blkio /dev/vda $m $b $k;"
		done
		printf '%s echo @@blk@@end\n' "$cmd" >&3
		blk_wait '^@@blk@@end' 300 || log "blk $vmm rep $r: blkio did not finish"
	else
		log "blk $vmm rep $r: no shell: $(tail -c 300 "$W/bout" | tr '\n\r' '  ') $(cat "$W/berr")"
	fi
	printf 'poweroff -f\n' >&3
	n_=120
	while kill -0 $bpid 2>/dev/null && [ $n_ -gt 0 ]; do sleep 0.25; n_=$((n_ - 1)); done
	kill -9 $bpid 2>/dev/null
	wait $bpid 2>/dev/null
	exec 3>&-
	tr -d '\r' <"$W/bout" | sed -n 's/^blkio: mode=\([a-z]*\) .* mib_s=\([0-9.]*\)$/\1 \2/p' |
	while read -r m v; do rec blk $vmm $m $rep mib_s $v; done
}

case_blk() {
	dd if=/dev/zero of="$W/disk.raw" bs=1M count=64 2>/dev/null
	vmm_cmd cellvm $G/first-insn - - --disk "$W/disk.raw"
	launch "!" -t 60
	if [ "$match_us" -lt 0 ]; then
		log "virtio-blk: cellvm --disk unavailable: $(head -n 1 "$W/err")"
		rec blk cellvm - 0 not_run 1
		return
	fi
	if [ ! -f "$IB" ]; then
		log "virtio-blk: $IB missing"
		rec blk cellvm - 0 not_run 1
		return
	fi
	r=1
	while [ $r -le "$REPS" ]; do
		for vmm in $(order $r); do
			rep=$r
			blk_run $vmm
		done
		r=$((r + 1))
	done
}

info kernel "$(uname -r)"
info cpus "$(nproc)"
info mem_kb "$(awk '/MemTotal/ {print $2}' /proc/meminfo)"
info qemu "$($QEMU --version | head -n 1)"
info reps "$REPS"
info cmdline "$CMDLINE"
info guest_mem "$MEM"
info guest_cpus "$CPUS"
info qemu_cpu "$QEMU_CPU"
for c in $CASES; do
	log "case $c ($(cut -d' ' -f1 /proc/uptime) s)"
	case_$c
done
log "done ($(cut -d' ' -f1 /proc/uptime) s)"
