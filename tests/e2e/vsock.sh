# SPDX-License-Identifier: MIT
# Issue 13 item 2 end to end: virtio-vsock with Firecracker's host side,
# Debian's socat on both ends (VSOCK-* in the guest, UNIX-* on the arm64
# host). Host to guest through "CONNECT <port>" / "OK <port>", guest to
# host through PATH_<port>; a VS_MB MiB transfer each way with matching
# sha256; four connections at once; a host peer that stops reading
# (cellvm's memory stays put, another connection still flows); a guest
# reboot with connections open (the host sees them close, the listener
# stays); under --jail. Sourced by suite.sh inside the arm64 host; HOST_GIC is 2 or 3.
if [ "$HOST_GIC" = 3 ]; then VIRQ=""; else VIRQ="--irqchip=user"; fi
tag="gic$HOST_GIC vsock"
VS=/tmp/e2e-vsock
VS_MB=${VS_MB:-64}
rm -rf "$VS" && mkdir -p "$VS"
S=$VS/v.sock

# vs_host PORT [SOCAT-OPTS]: stdin to the guest's PORT, its answer on
# stdout after the "OK <port>" line; at most VS_T seconds.
cat >"$VS/host.sh" <<EOF
port=\$1
shift
{ printf 'CONNECT %s\\n' "\$port"; cat; } | socat "\$@" - "UNIX-CONNECT:$S"
EOF
vs_host() { timeout "${VS_T:-60}" sh "$VS/host.sh" "$@"; }
# wait_pid PID SECS: wait for a background job, killing it after SECS.
wait_pid() {
	n=$(($2 * 5))
	while kill -0 "$1" 2>/dev/null && [ "$n" -gt 0 ]; do sleep 0.2; n=$((n - 1)); done
	kill "$1" 2>/dev/null
	wait "$1" 2>/dev/null
}
# elapsed START: seconds since START (/proc/uptime, 0.01 s resolution).
now() { cut -d' ' -f1 /proc/uptime; }
elapsed() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }
rss_kb() { awk '/^VmRSS/ { print $2 }' "/proc/$VM_PID/status"; }

start_vm $VIRQ --mem 512M --initrd /tmp/guest-initrd-vsock --cmdline "$QUIET" \
	--vsock "cid=3,uds=$S"
wait_for '/ # ' 120
check "$tag: the listener is a socket before the guest runs anything" [ -S "$S" ]
# An echo server on 1234, a sink that hashes on 1235, a source of zeros
# on 1236 (for the peer that stops reading).
guest_run 61 'socat VSOCK-LISTEN:1234,reuseaddr,fork EXEC:cat >/dev/null 2>&1 & socat -u VSOCK-LISTEN:1235,reuseaddr - | sha256sum >/tmp/sum 2>&1 & socat -u OPEN:/dev/zero VSOCK-LISTEN:1236,reuseaddr >/dev/null 2>&1 & sleep 1; cat /sys/devices/virtual/misc/vsock/dev >/dev/null && echo vsock-up'
check "$tag: the guest has AF_VSOCK over virtio ($(result 61))" [ "$(result 61)" = vsock-up ]

# Host to guest, both ways on one stream.
r=$(echo hello-from-host | vs_host 1234 -t 3)
check "$tag: host to guest: OK line then the echo ($(echo $r))" \
	sh -c "echo '$r' | head -n1 | grep -qE '^OK [0-9]+$' && [ \"\$(echo '$r' | sed -n 2p)\" = hello-from-host ]"

# Guest to host: PATH_5000.
socat -u "UNIX-LISTEN:${S}_5000" "CREATE:$VS/g2h" &
lp=$!
sleep 1
guest_run 62 'echo hello-from-guest | socat - VSOCK-CONNECT:2:5000; echo rc=$?'
wait_pid "$lp" 10
check "$tag: guest to host reaches ${S}_5000 ($(cat "$VS/g2h" 2>/dev/null))" \
	[ "$(cat "$VS/g2h" 2>/dev/null)" = hello-from-guest ]
guest_run 63 'echo x | socat - VSOCK-CONNECT:2:5999 2>/dev/null; echo rc=$?'
check "$tag: a guest connection nobody listens for fails ($(result 63))" [ "$(result 63)" != rc=0 ]

# VS_MB MiB host -> guest, hashed on arrival.
dd if=/dev/urandom of="$VS/big" bs=1M count="$VS_MB" 2>/dev/null
want=$(sha256sum <"$VS/big" | cut -d' ' -f1)
t0=$(now)
vs_host 1235 -u <"$VS/big" >/dev/null
TIMEOUT=120 guest_run 64 'while ! grep -q " -" /tmp/sum 2>/dev/null; do sleep 0.2; done; cut -d" " -f1 /tmp/sum'
t=$(elapsed "$t0")
check "$tag: $VS_MB MiB host to guest in $t s, sha256 matches" [ "$(result 64)" = "$want" ]

# VS_MB MiB guest -> host.
socat -u "UNIX-LISTEN:${S}_5001" "CREATE:$VS/gbig" &
lp=$!
TIMEOUT=120 guest_run 65 "head -c $((VS_MB * 1048576)) /dev/urandom >/tmp/big; sha256sum /tmp/big | cut -d' ' -f1"
gwant=$(result 65)
t0=$(now)
TIMEOUT=120 guest_run 66 'socat -u FILE:/tmp/big VSOCK-CONNECT:2:5001; echo rc=$?; rm /tmp/big'
wait_pid "$lp" 30
t=$(elapsed "$t0")
check "$tag: $VS_MB MiB guest to host in $t s, sha256 matches" \
	[ "$(sha256sum <"$VS/gbig" | cut -d' ' -f1)" = "$gwant" ]
rm -f "$VS/gbig" "$VS/big"

# Four connections at once through the echo server.
dd if=/dev/urandom of="$VS/m" bs=64k count=16 2>/dev/null
msum=$(sha256sum <"$VS/m" | cut -d' ' -f1)
pids=
for i in 1 2 3 4; do
	{ cat "$VS/m"; sleep 3; } | vs_host 1234 -t 5 >"$VS/e$i" &
	pids="$pids $!"
done
for p in $pids; do wait_pid "$p" 60; done
good=0
for i in 1 2 3 4; do
	[ "$(sed 1d "$VS/e$i" | sha256sum | cut -d' ' -f1)" = "$msum" ] && good=$((good + 1))
done
check "$tag: four connections at once each echo 1 MiB intact ($good of 4)" [ "$good" = 4 ]

# A host peer that stops reading: socat hands the stream to `sleep`,
# which never reads, while the guest pushes zeros. cellvm's memory stays
# bounded and another connection still flows.
printf '#!/bin/sh\nprintf "CONNECT 1236\\n"\nexec sleep 40\n' >"$VS/stall.sh"
chmod +x "$VS/stall.sh"
socat "UNIX-CONNECT:$S" "EXEC:$VS/stall.sh" &
stall=$!
sleep 5
rss1=$(rss_kb)
sleep 5
rss2=$(rss_kb)
r=$(echo still-flowing | vs_host 1234 -t 3 | sed -n 2p)
check "$tag: beside a stalled peer another connection flows ($r)" [ "$r" = still-flowing ]
check "$tag: a peer that stops reading leaves cellvm's RSS bounded (${rss1} kB, then ${rss2} kB)" \
	[ "$((rss2 - rss1))" -lt 8192 ]
kill "$stall" 2>/dev/null
wait "$stall" 2>/dev/null

# The guest reboots with a connection open: the host sees it close; the
# listener is still there for the next guest.
# (socat itself holds it, so its exit is the connection's end.)
cat >"$VS/held.sh" <<EOF
#!/bin/sh
printf 'CONNECT 1234\\n'
read -r ok
echo "\$ok" >$VS/held-ok
exec sleep 100
EOF
chmod +x "$VS/held.sh"
socat "UNIX-CONNECT:$S" "EXEC:$VS/held.sh" &
held=$!
sleep 3
check "$tag: a connection is open before the reboot ($(cat "$VS/held-ok"))" \
	grep -qE '^OK [0-9]+$' "$VS/held-ok"
send reboot
if wait_count 'cellvm guest ready' 2 120; then
	ok "$tag: the guest reboots"
else
	not_ok "$tag: the guest reboots"
fi
n=0
while kill -0 "$held" 2>/dev/null && [ $n -lt 50 ]; do sleep 0.2; n=$((n + 1)); done
check "$tag: the host's connection closed with the reboot" sh -c "! kill -0 $held 2>/dev/null"
kill "$held" 2>/dev/null
sleep 3
guest_run 67 'socat VSOCK-LISTEN:1234,reuseaddr,fork EXEC:cat >/dev/null 2>&1 & sleep 1; echo started'
r=$(echo after-reboot | vs_host 1234 -t 3 | sed -n 2p)
check "$tag: the same listener reaches the rebooted guest ($r)" [ "$r" = after-reboot ]
send poweroff
finish_vm 60
check "$tag: cellvm exits 0 after poweroff (status $VM_STATUS)" [ "$VM_STATUS" = 0 ]

# Under --jail the listener is bound before jailing (here over the stale
# socket file the last cellvm left): host to guest works; the guest's
# PATH_P is looked up in the jail's empty root, so guest to host fails
# although a host listener is there.
socat -u "UNIX-LISTEN:${S}_5002" "CREATE:$VS/jg2h" &
lp=$!
start_vm --jail --uid 1234 --gid 1234 --no-reboot $VIRQ \
	--initrd /tmp/guest-initrd-vsock --cmdline "$QUIET" --vsock "cid=3,uds=$S"
wait_for '/ # ' 120
guest_run 68 'socat VSOCK-LISTEN:1234,reuseaddr,fork EXEC:cat >/dev/null 2>&1 & sleep 1; echo x | socat - VSOCK-CONNECT:2:5002 2>/dev/null; echo rc=$?'
r=$(echo jailed | vs_host 1234 -t 3 | sed -n 2p)
check "$tag: under --jail host to guest works ($r)" [ "$r" = jailed ]
check "$tag: under --jail guest to host fails ($(result 68))" [ "$(result 68)" != rc=0 ]
send poweroff
finish_vm 60
check "$tag: the jailed cellvm exits 0 after poweroff (status $VM_STATUS)" [ "$VM_STATUS" = 0 ]
wait_pid "$lp" 1

# Bad --vsock values: one line, the documented status.
expect_status "$tag: --vsock cid=2 is a usage error" 2 --vsock "cid=2,uds=$VS/x"
expect_status "$tag: --vsock without uds= is a usage error" 2 --vsock cid=3
expect_status "$tag: a --vsock path in a missing directory is an I/O error" 5 \
	--vsock "cid=3,uds=$VS/none/v.sock"
touch "$VS/file"
expect_status "$tag: a --vsock path that is a file is an I/O error" 5 \
	--vsock "cid=3,uds=$VS/file"
rm -rf "$VS"
