# SPDX-License-Identifier: MIT
# make bench-api: cellvm's control API timed inside the arm64 host by
# bench/apiprobe (see there for the measurements), REPS launches; and the
# memory cost of the API: VmRSS with --api-sock less VmRSS without, the
# same guest (first-insn-hold: writes one byte and idles) both times.
#   sh api.sh REPS
set -u
REPS=${1:-5}
G=/tmp/g/first-insn-hold
W=/tmp/bench-api
mkdir -p "$W"
echo "# cellvm API bench: $(nproc) CPUs, $(uname -r)"
r=1
while [ $r -le "$REPS" ]; do
	rm -f "$W/api.sock"
	apiprobe "$W/api.sock" "$G" 5 -- cellvm --no-reboot --api-sock "$W/api.sock" \
		</dev/null 2>"$W/err" | sed "s/^/R,api,$r,/" || echo "# rep $r failed: $(cat "$W/err")"
	apiprobe - "$G" 0 -- cellvm --no-reboot --mem 256M --kernel "$G" </dev/null 2>>"$W/err" |
		sed "s/^rss_kb/rss_noapi_kb/; s/^/R,api,$r,/"
	r=$((r + 1))
done
