# SPDX-License-Identifier: MIT
# The end-to-end suite, run inside one arm64 host boot:
#   tools/arm64-host run --gic N --file tests/e2e/... -- sh suite.sh N PARTS...
# PARTS name the scenario files to source (boot, bad_input, ...).
HOST_GIC=${1:-3}
shift
GUEST_KERNEL=${GUEST_KERNEL:-/tmp/guest-Image}
. ./lib.sh
echo "e2e on a GICv$HOST_GIC host: $(nproc) CPUs, $(uname -r)"
[ -e /dev/kvm ] || { echo "not ok - /dev/kvm missing in the arm64 host"; echo "e2e: 0 passed, 1 failed"; exit 1; }
for part in "$@"; do
	# Memory left for this part: files the parts leave in /tmp are RAM.
	echo "# $part ($(awk '/^MemAvailable:/ { printf "%d MiB available", $2 / 1024 }' /proc/meminfo))"
	. "./$part.sh"
done
summary
