# SPDX-License-Identifier: MIT
# Issue 13 item 1 end to end: the PL031 real-time clock. The guest's
# /dev/rtc0 and `date` agree with the arm64 host's clock; the match
# interrupt fires (a wake alarm); `hwclock -w` after setting the date a
# year ahead, then a guest reboot, keeps the guest-set offset.
# Sourced by suite.sh inside the arm64 host; HOST_GIC is 2 or 3.

YEAR=31536000
# near A B: |A - B| <= 5 seconds (both numbers).
near() {
	case "$1$2" in *[!0-9]*|'') return 1 ;; esac
	d=$(($1 - $2))
	[ "$d" -le 5 ] && [ "$d" -ge -5 ]
}

start_vm --cmdline "$QUIET"
wait_for '/ # ' 90
guest_run 41 'ls /dev/rtc0; cat /sys/class/rtc/rtc0/name; cat /sys/class/rtc/rtc0/since_epoch; date -u +%s; hwclock -r -u >/dev/null && echo hwclock-ok'
host=$(date -u +%s)
r=$(result 41)
check "gic$HOST_GIC: the guest has /dev/rtc0 from the PL031 ($(echo "$r" | sed -n 2p))" \
	sh -c "[ '$(echo "$r" | sed -n 1p)' = /dev/rtc0 ] && echo '$(echo "$r" | sed -n 2p)' | grep -q pl031"
rtc=$(echo "$r" | sed -n 3p)
gdate=$(echo "$r" | sed -n 4p)
check "gic$HOST_GIC: the guest's RTC reads the host's UTC (rtc $rtc, host $host)" near "$rtc" "$host"
check "gic$HOST_GIC: the guest's date was set from it (date $gdate, host $host)" near "$gdate" "$host"
check "gic$HOST_GIC: hwclock -r reads the RTC" [ "$(echo "$r" | sed -n 5p)" = hwclock-ok ]

# The match interrupt: a wake alarm 2 s ahead fires once.
guest_run 42 'echo +2 >/sys/class/rtc/rtc0/wakealarm; sleep 4; grep -c . /sys/class/rtc/rtc0/wakealarm; awk "/rtc-pl031/ {print \$2}" /proc/interrupts'
r=$(result 42)
n=$(echo "$r" | sed -n 2p)
check "gic$HOST_GIC: the RTC's match interrupt fires once (wake alarm cleared, ${n:-no} interrupts)" \
	sh -c "[ '$(echo "$r" | sed -n 1p)' = 0 ] && [ '${n:-0}' = 1 ]"

# A year ahead, written to the RTC, kept across the guest's reboot. The
# guest sets its clock a moment after the host computed the target, so
# what must survive is the RTC's offset from the host's clock, measured
# the same way (guest read, then host read) before and after.
target=$(( $(date -u +%s) + YEAR ))
guest_run 43 "date -u -s @$target >/dev/null && hwclock -w -u && cat /sys/class/rtc/rtc0/since_epoch"
rtc=$(result 43)
before=$(( ${rtc:-0} - $(date -u +%s) ))
check "gic$HOST_GIC: hwclock -w sets the RTC a year ahead ($rtc, want $target)" near "$rtc" "$target"
send reboot
if wait_count 'cellvm guest ready' 2 90; then
	ok "gic$HOST_GIC: the guest reboots"
else
	not_ok "gic$HOST_GIC: the guest reboots"
fi
# Input typed before the shell runs would be read by init: let it start.
sleep 3
TIMEOUT=60 guest_run 44 'cat /sys/class/rtc/rtc0/since_epoch; date -u +%s'
r=$(result 44)
rtc=$(echo "$r" | sed -n 1p)
after=$(( ${rtc:-0} - $(date -u +%s) ))
check "gic$HOST_GIC: after the reboot the RTC keeps the offset (host + $after s, before: host + $before s)" \
	sh -c "[ $((after - before)) -le 3 ] && [ $((after - before)) -ge -3 ] && [ $after -gt $((YEAR - 30)) ]"
check "gic$HOST_GIC: after the reboot the guest's date follows the RTC ($(echo "$r" | sed -n 2p), RTC $rtc)" \
	near "$(echo "$r" | sed -n 2p)" "$rtc"
send poweroff
finish_vm 60
check "gic$HOST_GIC: the RTC guest powers off with status 0" [ "$VM_STATUS" = 0 ]

# The same interrupt through cellvm's own GICv2 model (a level line).
start_vm --no-reboot --irqchip user --cmdline "$QUIET"
wait_for '/ # ' 90
guest_run 45 'echo +2 >/sys/class/rtc/rtc0/wakealarm; sleep 4; grep -c . /sys/class/rtc/rtc0/wakealarm; awk "/rtc-pl031/ {print \$2}" /proc/interrupts'
r=$(result 45)
n=$(echo "$r" | sed -n 2p)
check "gic$HOST_GIC: --irqchip user: the match interrupt fires once (${n:-no} interrupts)" \
	sh -c "[ '$(echo "$r" | sed -n 1p)' = 0 ] && [ '${n:-0}' = 1 ]"
send poweroff
finish_vm 60
check "gic$HOST_GIC: --irqchip user RTC guest powers off with status 0" [ "$VM_STATUS" = 0 ]
