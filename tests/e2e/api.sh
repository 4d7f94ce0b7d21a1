# SPDX-License-Identifier: MIT
# Issue 10 end to end: the Firecracker-compatible API driven by a real
# client, Debian's arm64 curl (--unix-socket), inside the arm64 host.
# The default guest is configured and started entirely over the API and
# reaches its shell; GET /vm/config boots the same machine again from
# --config-file; pause stops a guest counter and the process's CPU use,
# resume continues it; metrics count known work; every bad input gets an
# asserted 400 and fault_message, or a CLI line and status.
# Sourced by suite.sh inside the arm64 host; HOST_GIC is 2 or 3.
# SendCtrlAltDel powers the config-file guest off (the power part tests
# the key itself and SIGTERM).

S=$W/api.sock
GUEST_INITRD=${GUEST_INITRD:-/tmp/guest-initrd}

# api ARGS...: curl on the socket; prints the body, then the status on
# its own line.
api() {
	/opt/curl/lib/ld-linux-aarch64.so.1 --library-path /opt/curl/lib \
		/opt/curl/bin/curl -sS --max-time 20 --unix-socket "$S" \
		-w '\n%{http_code}\n' "$@" 2>>"$W/curl-err"
}
# call NAME WANT_STATUS WANT_TEXT METHOD PATH [BODY]: one asserted call.
call() {
	name=$1 want=$2 text=$3 method=$4 path=$5
	if [ $# -ge 6 ]; then
		r=$(api -X "$method" -H 'Content-Type: application/json' -d "$6" "http://localhost$path")
	else
		r=$(api -X "$method" "http://localhost$path")
	fi
	got=$(echo "$r" | tail -n 1)
	body=$(echo "$r" | sed '$d')
	if [ "$got" = "$want" ] && echo "$body" | grep -qF -- "$text"; then
		ok "$name ($got${text:+: $text})"
	else
		not_ok "$name: want $want with '$text', got $got: $body"
	fi
}
# wait_sock: until the socket accepts (10 s).
wait_sock() {
	n=50
	while [ $n -gt 0 ]; do
		[ -S "$S" ] && api http://localhost/ >/dev/null && return 0
		n=$((n - 1))
		sleep 0.2
	done
	return 1
}
# cpu_ticks PID: the process's utime + stime (all threads), in clock ticks.
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }

# ---- configure and start over the API ----
rm -f "$S"
start_vm --api-sock "$S"
check "gic$HOST_GIC: the API socket accepts connections" wait_sock
check "gic$HOST_GIC: the socket is mode 0600" [ "$(stat -c %a "$S")" = 600 ]
call "GET / before start" 200 '"state":"Not started"' GET /
call "InstanceStart without a boot source" 400 'InstanceStart: no boot source' \
	PUT /actions '{"action_type": "InstanceStart"}'
call "PUT /machine-config" 204 '' PUT /machine-config '{"vcpu_count": 2, "mem_size_mib": 192}'
call "GET /machine-config" 200 '"vcpu_count":2,"mem_size_mib":192' GET /machine-config
call "PUT /boot-source" 204 '' PUT /boot-source \
	"{\"kernel_image_path\": \"$GUEST_KERNEL\", \"initrd_path\": \"$GUEST_INITRD\", \"boot_args\": \"$QUIET\"}"
call "PUT /entropy" 204 '' PUT /entropy '{}'
call "PUT /vsock" 204 '' PUT /vsock "{\"guest_cid\": 5, \"uds_path\": \"$W/api-vsock.sock\"}"
: >"$W/metrics"
call "PUT /metrics" 204 '' PUT /metrics "{\"metrics_path\": \"$W/metrics\"}"
call "InstanceStart" 204 '' PUT /actions '{"action_type": "InstanceStart"}'
if wait_for '/ # ' 180; then
	ok "gic$HOST_GIC: the guest configured over the API reaches its shell"
else
	not_ok "gic$HOST_GIC: the guest configured over the API reaches its shell"
	echo "  --- GET /metrics ---"
	api http://localhost/metrics | sed 's/^/  | /'
fi
guest_run 101 'nproc; grep MemTotal /proc/meminfo; ls /dev/hwrng'
r=$(result 101)
check "the guest has the 2 vCPUs of machine-config ($(echo "$r" | sed -n 1p))" [ "$(echo "$r" | sed -n 1p)" = 2 ]
check "the guest has the entropy device ($(echo "$r" | sed -n 3p))" [ "$(echo "$r" | sed -n 3p)" = /dev/hwrng ]
# virtio 1.2 5.10: device ID 19 is vsock; its host side is listening.
guest_run 104 'cat /sys/bus/virtio/devices/*/device'
ids=$(result 104 | tr '\n' ' ')
check "the guest has the vsock device of PUT /vsock ($ids)" \
	sh -c "echo ' $ids' | grep -q ' 0x0013 '"
check "PUT /vsock: cellvm listens on uds_path" [ -S "$W/api-vsock.sock" ]
call "GET / after start" 200 '"state":"Running"' GET /
api http://localhost/vm/config | sed '$d' >"$W/vmcfg.json"
check "GET /vm/config names the kernel" grep -qF "\"kernel_image_path\":\"$GUEST_KERNEL\"" "$W/vmcfg.json"

# ---- pause and resume ----
send 'n=0; while :; do n=$((n+1)); echo tick$n; sleep 0.1; done &'
wait_count '^tick' 5 30
call "PATCH /vm Paused" 204 '' PATCH /vm '{"state": "Paused"}'
call "GET / while paused" 200 '"state":"Paused"' GET /
c1=$(count '^tick')
t1=$(cpu_ticks "$VM_PID")
sleep 3
c2=$(count '^tick')
t2=$(cpu_ticks "$VM_PID")
check "paused: the guest's counter stops ($c1 -> $c2 ticks in 3 s)" [ "$c1" = "$c2" ]
check "paused: cellvm's threads idle ($((t2 - t1)) CPU ticks in 3 s)" [ $((t2 - t1)) -le 10 ]
call "pause a paused VM" 400 'vm.state: Paused: the microVM is paused already' PATCH /vm '{"state": "Paused"}'
call "PATCH /vm Resumed" 204 '' PATCH /vm '{"state": "Resumed"}'
if wait_count '^tick' $((c2 + 5)) 30; then
	ok "resumed: the counter continues ($(count '^tick') ticks)"
else
	not_ok "resumed: the counter continues"
fi
call "resume a running VM" 400 'vm.state: Resumed: the microVM is not paused' PATCH /vm '{"state": "Resumed"}'
send 'kill %1'

# ---- metrics: 600 known bytes written through the PL011 ----
# pl011_field NAME: that number of the PL011's metrics.
pl011_field() {
	api http://localhost/metrics | tr '{' '\n' | sed -n "s/.*\"name\":\"pl011\".*\"$1\":\([0-9]*\).*/\1/p"
}
w1=$(pl011_field mmio_writes)
i1=$(pl011_field irqs)
guest_run 102 "printf '%0600d\n' 0 >/dev/ttyAMA0"
w2=$(pl011_field mmio_writes)
i2=$(pl011_field irqs)
check "metrics: 600 console bytes are at least 600 PL011 writes (${w1:-?} -> ${w2:-?})" \
	[ "$(( ${w2:-0} - ${w1:-0} ))" -ge 600 ]
check "metrics: the PL011 raised interrupts for them (${i1:-?} -> ${i2:-?})" \
	[ -n "$i1" ] && [ "$(( ${i2:-0} - ${i1:-0} ))" -ge 1 ]
call "GET /metrics has both vCPUs" 200 '"cpu":1,' GET /metrics
call "FlushMetrics" 204 '' PUT /actions '{"action_type": "FlushMetrics"}'
check "FlushMetrics wrote a JSON line to the metrics file" grep -q '"api":{"requests":' "$W/metrics"

# ---- bad input, each an asserted 400 ----
call "config after start" 400 'PUT /machine-config: not allowed after the microVM started' \
	PUT /machine-config '{"vcpu_count": 1, "mem_size_mib": 64}'
call "InstanceStart twice" 400 'InstanceStart: the microVM is already running' \
	PUT /actions '{"action_type": "InstanceStart"}'
call "a path that does not exist" 400 'GET /snapshot/create: no such path' GET /snapshot/create
call "a method the path lacks" 400 'DELETE /vm: method not allowed' DELETE /vm
call "a body that is not JSON" 400 'body is not JSON' PATCH /vm '{"state": Paused}'
call "an unknown field" 400 "vm: unknown field 'mode'" PATCH /vm '{"mode": "Paused"}'
call "a wrong type" 400 'vm.state: expected a string' PATCH /vm '{"state": 1}'
call "a missing field" 400 'actions.action_type: missing (required)' PUT /actions '{}'
call "a malformed request line" 400 'malformed HTTP request' 'GE T' /
long=$(head -c 1100 /dev/zero | tr '\0' a)
call "a request target over 1024 bytes" 400 'request target over the limit of 1024 bytes' GET "/$long"
r=$(api -H "X-Pad: $(head -c 9000 /dev/zero | tr '\0' a)" http://localhost/)
check "headers over 8192 bytes ($(echo "$r" | tail -n 1))" sh -c \
	"[ '$(echo "$r" | tail -n 1)' = 400 ] && echo '$r' | grep -qF 'request headers over the limit of 8192 bytes'"
head -c 70000 /dev/zero | tr '\0' ' ' >"$W/big"
r=$(api -X PUT -H 'Content-Type: application/json' --data-binary @"$W/big" http://localhost/entropy)
check "a body over 65536 bytes ($(echo "$r" | tail -n 1))" sh -c \
	"[ '$(echo "$r" | tail -n 1)' = 400 ] && echo '$r' | grep -qF 'request body over the limit of 65536 bytes'"
# Eight clients sending their body a byte a second hold every slot: a
# ninth is refused at once; the slow ones are answered 400 and closed 5 s
# after their first byte, never making anyone wait.
i=0
while [ $i -lt 8 ]; do
	(api -X PUT --limit-rate 1 -H 'Content-Type: application/json' \
		-d '{"rate_limiter": null                          }' \
		http://localhost/entropy >"$W/slow$i.out") &
	i=$((i + 1))
done
sleep 2
call "a ninth concurrent client" 400 'too many API clients (at most 8 at once)' GET /
sleep 6
check "a client sending a byte a second is answered 400 and closed ($(tail -n 1 "$W/slow0.out"))" \
	grep -qF 'request not complete within 5 s' "$W/slow0.out"
rm -f "$W"/slow*.out
wait_sock
# A client that hangs up half-way through its request (socat, carried
# for the vsock part) costs the server nothing: the next one is served.
printf 'PUT /machine-config HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{"vcpu' |
	timeout 10 socat -t 0 - "UNIX-CONNECT:$S" >/dev/null 2>&1
call "after a client hung up mid-request, the next is served" 200 '"state":"Running"' GET /
check "after a client hung up mid-request, cellvm still runs" kill -0 "$VM_PID"
call "the API serves again after the slow clients" 200 '"state":"Running"' GET /
send poweroff
finish_vm 60
check "the API-started guest powers off with status 0 (got $VM_STATUS)" [ "$VM_STATUS" = 0 ]
check "the socket is removed at exit" [ ! -e "$S" ]

# ---- --config-file from GET /vm/config: the same machine ----
start_vm --config-file "$W/vmcfg.json" --api-sock "$S"
if wait_for '/ # ' 120; then
	ok "--config-file from GET /vm/config boots to the shell"
else
	not_ok "--config-file from GET /vm/config boots to the shell"
fi
guest_run 103 'nproc; ls /dev/hwrng'
r=$(result 103)
check "the config-file machine has the same 2 vCPUs and rng" \
	[ "$(echo "$r" | tr '\n' ' ')" = "2 /dev/hwrng " ]
api http://localhost/vm/config | sed '$d' >"$W/vmcfg2.json"
check "GET /vm/config round-trips through --config-file" cmp -s "$W/vmcfg.json" "$W/vmcfg2.json"
call "a config-file boot serves runtime calls" 200 '"state":"Running"' GET /
# SendCtrlAltDel presses the power key: the guest runs its shutdown
# actions and powers off by itself, so the status is its own, 0.
call "SendCtrlAltDel" 204 '' PUT /actions '{"action_type": "SendCtrlAltDel"}'
finish_vm 60
check "SendCtrlAltDel: the guest ran its shutdown actions" \
	grep -q 'cellvm guest: running shutdown actions' "$W/out"
check "SendCtrlAltDel: the guest powers off with status 0 (got $VM_STATUS)" [ "$VM_STATUS" = 0 ]

# ---- PATCH /drives: a new backing file, seen by the running guest ----
dd if=/dev/zero of="$W/d1" bs=1k count=64 2>/dev/null
dd if=/dev/zero of="$W/d2" bs=1k count=128 2>/dev/null
printf NEWDISK | dd of="$W/d2" conv=notrunc 2>/dev/null
start_vm --api-sock "$S" --kernel "$GUEST_KERNEL" --initrd "$GUEST_INITRD" --disk "$W/d1" --cmdline "$QUIET"
wait_sock
if wait_for '/ # ' 120; then ok "a command-line boot with --api-sock reaches the shell"; else not_ok "a command-line boot with --api-sock reaches the shell"; fi
call "GET /vm/config of a command-line boot names its disk" 200 "\"path_on_host\":\"$W/d1\"" GET /vm/config
guest_run 104 'cat /sys/block/vda/size'
check "the guest's disk has 128 sectors ($(result 104))" [ "$(result 104)" = 128 ]
# Metrics against known work: 32 KiB written to the disk.
blk_read() {
	api http://localhost/metrics | tr '{' '\n' |
		sed -n '/"name":"virtio-blk"/{n;s/.*"bytes_read":\([0-9]*\).*/\1/p;}'
}
b1=$(blk_read)
guest_run 107 'dd if=/dev/zero of=/dev/vda bs=4096 count=8 conv=fsync 2>/dev/null; echo done'
b2=$(blk_read)
check "metrics: 32768 bytes written to the disk show up in its queue (${b1:-?} -> ${b2:-?} bytes)" \
	[ "$(( ${b2:-0} - ${b1:-0} ))" -ge 32768 ]
call "PATCH /drives with a missing file" 400 "drives.path_on_host: disk /nonexistent.img" \
	PATCH /drives/disk0 '{"drive_id": "disk0", "path_on_host": "/nonexistent.img"}'
call "PATCH /drives/disk0 path_on_host" 204 '' PATCH /drives/disk0 "{\"drive_id\": \"disk0\", \"path_on_host\": \"$W/d2\"}"
sleep 1
guest_run 105 'cat /sys/block/vda/size; echo 3 >/proc/sys/vm/drop_caches; head -c 7 /dev/vda; echo'
r=$(result 105)
check "the guest sees the new file's size (256 sectors: $(echo "$r" | sed -n 1p))" [ "$(echo "$r" | sed -n 1p)" = 256 ]
check "the guest reads the new file ($(echo "$r" | sed -n 2p))" [ "$(echo "$r" | sed -n 2p)" = NEWDISK ]
call "GET /vm/config names the new file" 200 "\"path_on_host\":\"$W/d2\"" GET /vm/config
send reboot
if wait_count 'cellvm guest ready' 2 120; then ok "the guest reboots"; else not_ok "the guest reboots"; fi
sleep 3
TIMEOUT=60 guest_run 106 'cat /sys/block/vda/size; head -c 7 /dev/vda; echo'
r=$(result 106)
check "after a reboot the disk is still the new file ($(echo "$r" | tr '\n' ' '))" \
	[ "$(echo "$r" | tr '\n' ' ')" = "256 NEWDISK " ]
call "the API serves across the guest's reboot" 200 '"state":"Running"' GET /
send poweroff
finish_vm 60
check "the guest powers off with status 0 after the swap (got $VM_STATUS)" [ "$VM_STATUS" = 0 ]
rm -f "$W/d1" "$W/d2"

# ---- a stale socket (a killed cellvm's) is replaced ----
start_vm --api-sock "$S"
wait_sock
kill -9 "$VM_PID"
wait "$VM_PID" 2>/dev/null
exec 3>&-
check "a killed cellvm leaves its socket" [ -S "$S" ]
start_vm --api-sock "$S"
check "a new cellvm replaces the stale socket" wait_sock
kill "$VM_PID"
finish_vm 30
check "a waiting cellvm stops on SIGTERM with status 8 (got $VM_STATUS)" [ "$VM_STATUS" = 8 ]

# ---- command-line errors: one line, status 2 ----
: >"$W/regular"
expect_status "--api-sock on a regular file" 2 --api-sock "$W/regular"
expect_status "--api-sock in a missing directory" 2 --api-sock /nonexistent/dir/api.sock
expect_status "--api-sock longer than sun_path" 2 \
	--api-sock "/tmp/$(head -c 120 /dev/zero | tr '\0' a)"
expect_status "--api-sock waiting for the API with --disk" 2 --api-sock "$S" --disk "$W/regular"
expect_status "--config-file missing" 2 --config-file /nonexistent.json
echo 'not json' >"$W/bad.json"
expect_status "--config-file not JSON" 2 --config-file "$W/bad.json"
echo '{"boot-source": {"kernel_image_path": "/k"}, "machine-config": {"vcpu_count": "two", "mem_size_mib": 64}}' >"$W/bad.json"
expect_status "--config-file with a wrong type" 2 --config-file "$W/bad.json"
check "the error names the JSON path" grep -qF 'machine-config.vcpu_count: expected a non-negative integer' "$W/err"
rm -f "$W/regular" "$W/bad.json" "$W/big" "$W/metrics" "$W/vmcfg.json" "$W/vmcfg2.json"
