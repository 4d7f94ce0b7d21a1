# SPDX-License-Identifier: MIT
# Issue 11 item 6: 100 guest reboots in one cellvm process, with its fd
# count and RSS flat. Sourced by suite.sh inside the arm64 host; needs
# /tmp/guest-soak (tests/guests/soak.S), a guest that prints "soak: boot"
# and then reboots (PSCI SYSTEM_RESET) on an 'r' from the console or powers
# off on a 'q'. Each reboot destroys the VM object (vCPU threads, device
# workers, disk fds, guest RAM) and creates it anew, so a leak in that path
# grows with the count.
#
# fds and VmRSS are read while the guest waits for its byte, so every
# sample sees the same state: after boot 10 and after boot 100. The RSS
# bound: SOAK_RSS_KB (256 KiB, 64 pages) over 90 reboots; the fd count
# must be equal.

SOAK=/tmp/guest-soak
SOAK_BOOTS=${SOAK_BOOTS:-100}
SOAK_RSS_KB=${SOAK_RSS_KB:-256}
SD=/tmp/e2e-soak

# soak_wait N: until the guest printed its banner N times (60 s bound).
soak_wait() {
	sw=3000
	while [ "$(count '^soak: boot')" -lt "$1" ]; do
		sw=$((sw - 1))
		[ "$sw" -gt 0 ] && kill -0 "$VM_PID" 2>/dev/null || return 1
		sleep 0.02
	done
}
soak_fds() { ls "/proc/$VM_PID/fd" 2>/dev/null | wc -l; }
soak_rss() { sed -n 's/^VmRSS:[^0-9]*\([0-9]*\) kB/\1/p' "/proc/$VM_PID/status"; }
soak_same() { [ -n "$1" ] && [ "$1" = "$2" ]; }
soak_within() { [ -n "$1" ] && [ -n "$2" ] && [ $(($2 - $1)) -le "$3" ]; }

if [ ! -f "$SOAK" ]; then
	not_ok "soak: $SOAK missing (make build/guests/soak)"
else
	mkdir -p "$SD"
	dd if=/dev/zero of="$SD/disk.img" bs=1M count=1 2>/dev/null
	# Two vCPUs (the secondary's thread is created and joined each boot),
	# a disk and the rng (their workers and fds likewise).
	start_vm --kernel "$SOAK" --mem 64M --cpus 2 --rng --disk "$SD/disk.img"
	t0=$(date +%s)
	i=1
	fds10= rss10=
	while [ "$i" -le "$SOAK_BOOTS" ]; do
		soak_wait "$i" || break
		if [ "$i" = 10 ]; then
			fds10=$(soak_fds) rss10=$(soak_rss)
		fi
		[ "$i" = "$SOAK_BOOTS" ] && break
		printf r >&3
		i=$((i + 1))
	done
	fds100=$(soak_fds) rss100=$(soak_rss)
	t1=$(date +%s)
	boots=$(count '^soak: boot')
	check "soak: $boots boots of $SOAK_BOOTS in one process ($((t1 - t0)) s)" \
		[ "$boots" = "$SOAK_BOOTS" ]
	check "soak: fd count flat (boot 10: ${fds10:-?}, boot $SOAK_BOOTS: ${fds100:-?})" \
		soak_same "$fds10" "$fds100"
	check "soak: RSS flat within $SOAK_RSS_KB KiB (boot 10: ${rss10:-?} kB, boot $SOAK_BOOTS: ${rss100:-?} kB)" \
		soak_within "$rss10" "$rss100" "$SOAK_RSS_KB"
	printf q >&3
	finish_vm 30
	check "soak: the guest powers off after $boots boots (status $VM_STATUS)" [ "$VM_STATUS" = 0 ]
	rm -rf "$SD"
fi
