# shellcheck shell=sh
# What the conformance scenarios (netifd-node.sh, procd-service.sh) share; each sources it
# from $WORK. They run as root in namespaces of their own and print one
# `CHECK ok|FAILED NAME: DETAIL` line per check, which conformance/scenario.rs counts.

check() { # NAME, then a command whose status is the verdict
	name=$1
	shift
	if out=$("$@" 2>&1); then
		echo "CHECK ok $name"
	else
		echo "CHECK FAILED $name: $(printf '%s' "$out" | tr '\n' ' ')"
	fi
}

# Lays the tree $2 over the directory $1, in this mount namespace only (the layers live in a
# tmpfs at $WORK/overlay, mounted by the first call).
overlay() {
	if ! mountpoint -q "$WORK/overlay"; then
		mkdir -p "$WORK/overlay" && mount -t tmpfs none "$WORK/overlay" || return 1
	fi
	mkdir -p "$WORK/overlay/upper$1" "$WORK/overlay/work$1" || return 1
	if [ -d "$2" ]; then cp -a "$2/." "$WORK/overlay/upper$1/" || return 1; fi
	mount -t overlay overlay \
		-o "lowerdir=$1,upperdir=$WORK/overlay/upper$1,workdir=$WORK/overlay/work$1" "$1"
}

# Waits up to 5 s for a command to succeed.
within_5s() {
	for _ in $(seq 50); do
		"$@" >/dev/null 2>&1 && return 0
		sleep 0.1
	done
	"$@"
}
