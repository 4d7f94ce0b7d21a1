# SPDX-License-Identifier: MIT
# Issue 8: the cellvm command taken out of `make deb`'s package (copied to
# /tmp/deb/cellvm by the Makefile) reports the version of this build and
# boots the default guest to its shell. Sourced by suite.sh (GICv3 host).

DEB_CELLVM=/tmp/deb/cellvm
if [ ! -x "$DEB_CELLVM" ]; then
	not_ok "deb: $DEB_CELLVM missing (make e2e-gic3 copies it out of build/deb)"
else
	v=$("$DEB_CELLVM" --version 2>"$W/stderr")
	st=$?
	check "deb: packaged cellvm --version prints 'cellvm $(cat /tmp/deb/version)' ($v) on stdout, status 0" \
		sh -c "[ $st = 0 ] && [ '$v' = 'cellvm $(cat /tmp/deb/version)' ] && [ ! -s '$W/stderr' ]"
	"$DEB_CELLVM" --help >"$W/stdout" 2>"$W/stderr"
	st=$?
	check "deb: --help prints the usage on stdout, status 0" \
		sh -c "[ $st = 0 ] && grep -q '^usage: cellvm' '$W/stdout' && grep -q -- '--version' '$W/stdout' && [ ! -s '$W/stderr' ]"
	"$DEB_CELLVM" --no-such-option >/dev/null 2>&1
	st=$?
	check "deb: an unknown option still exits 2 (status $st)" [ "$st" = 2 ]
	saved_path=$PATH
	PATH=/tmp/deb:$PATH
	start_vm --no-reboot --cmdline "$QUIET"
	PATH=$saved_path
	if wait_for "cellvm guest ready" 90 && wait_for '/ # ' 30; then
		ok "deb: the packaged cellvm boots the default guest to its shell"
	else
		not_ok "deb: the packaged cellvm boots the default guest to its shell"
	fi
	guest_run 1 'echo $((6 * 7))'
	check "deb: a command typed on the packaged cellvm's console runs" [ "$(result 1)" = 42 ]
	send poweroff
	finish_vm 60
	check "deb: the packaged cellvm ends with status 0 on power-off" [ "$VM_STATUS" = 0 ]
fi
