# SPDX-License-Identifier: MIT
# The console on a real terminal (a pseudo-terminal made by ptyrun), on a
# regular file, and a user-supplied DTB.

# Raw while the guest runs, restored when it powers off...
r=$(ptyrun 'guest ready' 'poweroff\n' -- cellvm --no-reboot --cmdline "$QUIET")
check "terminal raw while the guest runs, restored after power-off ($r)" \
	[ "$r" = "raw-during=1 restored=1 status=0" ]
# ...and on an error exit, on a signal, and on Ctrl-A x.
r=$(ptyrun - - -- cellvm --kernel /nonexistent)
check "terminal restored after an error exit ($r)" [ "$r" = "raw-during=0 restored=1 status=3" ]
r=$(ptyrun 'guest ready' SIGTERM -- cellvm --no-reboot --cmdline "$QUIET")
check "terminal restored after SIGTERM, status 8 ($r)" [ "$r" = "raw-during=1 restored=1 status=8" ]
r=$(ptyrun 'guest ready' '\ax' -- cellvm --no-reboot --cmdline "$QUIET")
check "Ctrl-A x on a terminal quits, terminal restored ($r)" [ "$r" = "raw-during=1 restored=1 status=8" ]

# Input from a regular file reaches the guest.
printf 'echo file-input-$((40 + 2))\npoweroff\n' >"$W/cmds"
timeout 150 cellvm --no-reboot --cmdline "$QUIET" <"$W/cmds" >"$W/out" 2>"$W/err"
st=$?
check "input from a regular file reaches the guest (status $st)" \
	sh -c "[ $st = 0 ] && grep -q '^file-input-42' '$W/out'"

# --dump-dtb writes the generated tree; --dtb boots a user tree with
# /chosen and /memory patched to this VM (here: another size, another
# command line).
cellvm --dump-dtb "$W/gen.dtb" --mem 256M </dev/null >/dev/null 2>"$W/err"
check "--dump-dtb writes a device tree (status $?)" [ -s "$W/gen.dtb" ]
start_vm --no-reboot --dtb "$W/gen.dtb" --mem 384M --cmdline "$QUIET dtbmarker=7"
wait_for '/ # ' 120
guest_run 31 "grep -o dtbmarker=7 /proc/cmdline; awk '/MemTotal/ {print \$2}' /proc/meminfo"
r=$(result 31)
check "a user DTB boots with chosen patched" [ "$(echo "$r" | sed -n 1p)" = dtbmarker=7 ]
mt=$(echo "$r" | sed -n 2p)
check "a user DTB boots with memory patched to --mem 384M (MemTotal $mt kB)" \
	[ "${mt:-0}" -gt 300000 -a "${mt:-0}" -le 393216 ]
send poweroff
finish_vm 60
check "user-DTB guest powers off with status 0" [ "$VM_STATUS" = 0 ]
