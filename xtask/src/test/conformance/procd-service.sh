#!/bin/sh
# The packages on a live OpenWrt root, as `opkg install` on a node sets them up: the real opkg
# installs them from the signed feed, their maintainer scripts run OpenWrt's own functions.sh
# (the users of Require-User, the init script enabled and started), and dns54's init script
# runs through OpenWrt's rc.common and procd.sh under the real procd and ubusd, with and
# without the real ujail. conformance/procd.rs runs this as root in a network, mount and PID
# namespace of its own; the live root is this namespace's /, with /etc and /usr laid over
# (so nothing of the machine changes) and a tmpfs on /var.
#
# Environment: PREFIX (the built programs: bin/, sbin/, lib/), WORK with root/ (what is laid
# over /etc and /usr: opkg's configuration, its status, the trusted key) and openwrt/
# (OpenWrt's files at their places on a node).
set -u
# shellcheck source=xtask/src/test/conformance/scenario-lib.sh
. "$WORK/scenario-lib.sh"
export LD_LIBRARY_PATH="$PREFIX/lib"
export PATH="$PREFIX/bin:$PREFIX/sbin:/usr/sbin:/usr/bin:/sbin:/bin"

overlay /etc "$WORK/root/etc" && overlay /usr "$WORK/root/usr" || exit 1
# A machine whose /lib is not /usr/lib gets its own layer.
if [ ! -L /lib ]; then overlay /lib "$WORK/root/lib" || exit 1; fi
cp -a "$WORK/openwrt/etc/." /etc/ && cp -a "$WORK/openwrt/lib/." /lib/ || exit 1
# OpenWrt's shell is busybox's ash.
ln -sf "$(command -v busybox)" /usr/bin/sh || exit 1
mount -t tmpfs none /var && mkdir -p /var/run/ubus /var/lock || exit 1
# procd sends what its instances write to syslog, which logd receives on a node; here
# busybox's syslogd, on a /dev/log of this namespace's own.
overlay /dev "" || exit 1
busybox syslogd -n -O "$WORK/syslog" &
syslogd=$!
within_5s test -S /dev/log || exit 1
ip link set lo up || exit 1

# dns54's upstream: a real DNS server on the loopback, named in the resolv file Gluon writes.
dnsmasq --keep-in-foreground --no-resolv --no-hosts --bind-interfaces \
	--listen-address=127.0.0.1 --port=53 --address=/node.test/192.0.2.7 \
	--pid-file= 2>"$WORK/dnsmasq.log" &
dnsmasq=$!
mkdir -p /var/gluon/wan-dnsmasq && echo 'nameserver 127.0.0.1' >/var/gluon/wan-dnsmasq/resolv.conf

ubusd -s /var/run/ubus/ubus.sock &
ubusd=$!
within_5s test -S /var/run/ubus/ubus.sock || exit 1
# Not PID 1 here, procd only serves its `service` object on ubus.
procd 2>"$WORK/procd.log" &
procd=$!
within_5s ubus -S list service || exit 1

opkg() { opkg-cl "$@" >>"$WORK/opkg.log" 2>&1; }
opkg update
check "opkg update passes the signature check, with opkg-key on the real usign" \
	grep -q 'Signature check passed' "$WORK/opkg.log"
installs() { opkg install gluon-wan-dns54 gluon-wan-viawan && ! grep -q 'returned status' "$WORK/opkg.log"; }
check "opkg installs gluon-wan-dns54 and gluon-wan-viawan, their maintainer scripts exiting 0" installs

dns54_user() {
	grep '^gluon-wan-dns54:x:[0-9]*:[0-9]*:' /etc/passwd &&
		grep "^gluon-wan-dns54:x:$(id -g gluon-wan-dns54):" /etc/group
}
check "functions.sh made the user and group gluon-wan-dns54 of Require-User" dns54_user
viawan_group() { grep '^gluon-viawan:x:801:' /etc/group; }
check "functions.sh made the group gluon-viawan with GID 801 of Require-User" viawan_group
check "the postinst enabled the init script at START=60" test -L /etc/rc.d/S60gluon-wan-dns54

# What procd says of the instance.
instance() { # FIELD of instance1
	ubus call service list '{"name":"gluon-wan-dns54"}' |
		jsonfilter -e "@['gluon-wan-dns54'].instances.instance1.$1"
}
running() { [ "$(instance running)" = true ]; }
answers() { # SERVER: dns54 on SERVER port 54 answers from the upstream
	[ "$(dig +short +time=1 +tries=1 -p 54 @"$1" node.test A)" = 192.0.2.7 ]
}
answers_both() { within_5s answers 127.0.0.1 && answers ::1; }
# procd waits respawn_timeout (5 s) before it starts an instance again, and up to its term
# timeout (5 s) for one to stop.
within_10s() { within_5s "$@" || within_5s "$@"; }
check "the postinst started it under procd" within_5s running
pid=$(instance pid)
as_user() { grep -q "^Uid:[[:space:]]*$(id -u gluon-wan-dns54)[[:space:]]" "/proc/$pid/status"; }
check "dns54 runs as gluon-wan-dns54" as_user
check "dns54 answers on 127.0.0.1:54 and [::1]:54 from the resolv file's server" answers_both
check "its stderr reaches the syslog" grep -q 'dns54: listening on' "$WORK/syslog"

kill -KILL "$pid"
respawned() { running && [ "$(instance pid)" != "$pid" ]; }
check "procd starts dns54 again after it was killed" within_10s respawned
check "the new dns54 answers" answers_both

gone() { ! running && ! answers 127.0.0.1; }
stopped() { within_10s gone; }
/lib/gluon/reload.d/340-gluon-wan-dns54-stop
check "Gluon's reload.d stop hook stops it" stopped
/lib/gluon/reload.d/760-gluon-wan-dns54-start
check "Gluon's reload.d start hook starts it again" answers_both

# With ujail, which the init script uses where the node has it.
cp "$PREFIX/sbin/ujail" /sbin/ujail || exit 1
/etc/init.d/gluon-wan-dns54 restart
jailed() {
	exe=$(readlink "/proc/$(instance pid)/exe")
	[ "$exe" = "$(readlink -f /sbin/ujail)" ] || { echo "the instance runs $exe"; return 1; }
}
check "with /sbin/ujail the instance runs in the real ujail" within_5s jailed
check "the jailed dns54 answers" answers_both
jail_log() { ! grep -i 'jail.*\(fail\|error\|denied\)' "$WORK/syslog"; }
check "the syslog holds no complaint of the jail" jail_log

opkg remove gluon-wan-dns54
check "opkg remove runs the prerm: procd stops dns54" stopped
check "the prerm disabled the init script" test ! -e /etc/rc.d/S60gluon-wan-dns54
check "the package's files are gone" test ! -e /usr/sbin/dns54

kill "$procd" "$ubusd" "$dnsmasq" "$syslogd"
wait
