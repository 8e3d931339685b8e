#!/bin/sh
# The WAN policy under the real netifd and ubusd (conformance/netifd.rs runs this as root in a
# network and mount namespace of its own, with `sh`). netifd reads the node's network
# configuration from $WORK/config and runs $WORK/hotplug-call for its events, which runs the
# package's iface hooks from $WORK/hotplug.d/iface/ (none for the control run). Prints one
# `CHECK ok|FAILED NAME: DETAIL` line per check.
#
# Environment: PREFIX (the built programs: bin/, sbin/, lib/, netifd among them), WORK,
# PRELOAD (libpacketmark.so), NFT_RULES (the firewall's nftables table), and PATH with
# `routes`, `uci` and `logger` first.
set -u
export LD_LIBRARY_PATH="$PREFIX/lib"

# shellcheck source=xtask/src/test/conformance/scenario-lib.sh
. "$WORK/scenario-lib.sh"
rules() { ip -4 rule; ip -6 rule; }
# A rule netifd did not make: pref 100, table 100, in both families.
add_foreign() { ip -4 rule add pref 100 lookup 100 && ip -6 rule add pref 100 lookup 100; }
has_foreign() { rules | grep -q '^100:'; }
no_foreign() { ! has_foreign; }
# Waits up to 5 s for `routes gluon-wan check` to pass: the hook runs on netifd's events.
policy_whole() { within_5s routes gluon-wan check -46; }
ubus() { "$PREFIX/bin/ubus" "$@"; }
# Waits until netifd has reported the interface up again after a command.
wait_up() {
	for _ in $(seq 50); do
		ubus call "network.interface.$1" status 2>/dev/null | grep -q '"up": true' && return 0
		sleep 0.1
	done
	return 1
}

# OpenWrt's paths that the scripts name, in this namespace only: the package's files under
# /lib/gluon and libubox's jshn.sh under /usr/share/libubox (overlays), and /var.
overlay /lib "$WORK/root/lib" && overlay /usr/share "$WORK/root/usr/share" || exit 1
mount -t tmpfs none /var || exit 1
mkdir -p /var/run/ubus
ip link set lo up
ip link add br-wan type veth peer name wan1 && ip link set wan1 up || exit 1
# The mesh, which holds the default route in main, as on a node.
ip link add mesh0 type veth peer name mesh1 && ip link set mesh1 up && ip link set mesh0 up &&
	ip addr add 10.99.0.2/24 dev mesh0 && ip route add default via 10.99.0.1 dev mesh0 || exit 1
add_foreign || exit 1

# The firewall's table, and counters of marked packets that get past it, by device.
nft -f "$NFT_RULES" || exit 1
nft -f - <<'COUNT' || exit 1
table inet gwt_count {
	counter marked_mesh { }
	counter marked_wan { }
	chain postrouting {
		type filter hook postrouting priority 300; policy accept;
		meta mark & 0x1 == 0x1 oifname "mesh0" counter name marked_mesh
		meta mark & 0x1 == 0x1 oifname "br-wan" counter name marked_wan
	}
}
COUNT
# Marked traffic all along: a datagram every 20 ms from a process whose sockets the preload
# marks, to an address beyond the WAN's gateway.
LD_PRELOAD="$PRELOAD" LIBPACKETMARK_MARK=1 bash -c \
	'while :; do echo x 2>/dev/null >/dev/udp/198.51.100.1/9; sleep 0.02; done' &
sender=$!
packets() { nft list counter inet gwt_count "$1" | sed -n 's/.*packets \([0-9]*\).*/\1/p'; }

"$PREFIX/sbin/ubusd" -s /var/run/ubus/ubus.sock &
ubusd=$!
for _ in $(seq 50); do [ -S /var/run/ubus/ubus.sock ] && break; sleep 0.1; done
"$PREFIX/sbin/netifd" -S -l 1 -c "$WORK/config" -h "$WORK/hotplug-call" -p "$WORK/lib-netifd" \
	-r "$WORK/resolv.conf.auto" 2>"$WORK/netifd.log" &
netifd=$!
wait_up wan && wait_up wan6

check "netifd flushes the ip rules it did not make when it starts" no_foreign
check "the iface hook has put the WAN policy in place after netifd's start" policy_whole

add_foreign
ubus call network reload
sleep 1
wait_up wan && wait_up wan6
check "network reload leaves the ip rules alone" has_foreign
check "the WAN policy is whole after network reload" policy_whole

ubus call network restart
sleep 1
wait_up wan && wait_up wan6
check "network restart flushes the ip rules netifd did not make" no_foreign
check "the iface hook puts the WAN policy back after network restart" policy_whole

for interface in wan wan6; do
	ubus call "network.interface.$interface" down
	ubus call "network.interface.$interface" up
	wait_up "$interface"
	check "the WAN policy is whole after $interface went down and up" policy_whole
done

# dns54's resolv file, written by the package's other iface hook from what netifd says of
# the WAN interfaces (`ubus call network.interface.X status`, read with jsonfilter).
resolv=/var/gluon/wan-dnsmasq/resolv.conf
wan_servers() { [ "$(cat "$resolv")" = "$(printf 'nameserver 192.0.2.53\nnameserver fe80::53%%br-wan')" ]; }
# The hook runs on netifd's events, a moment after them: wait for it.
check "the resolv file holds the WAN's inactive servers, wan's then wan6's, link-local with its device" within_5s wan_servers
uci set gluon-wan-dnsmasq.@static[0].server=192.0.2.99 && uci commit gluon-wan-dnsmasq
ubus call network.interface.wan down
ubus call network.interface.wan up
wait_up wan
static_server() { [ "$(cat "$resolv")" = 'nameserver 192.0.2.99' ]; }
check "a static server of gluon-wan-dnsmasq replaces the WAN's" within_5s static_server

kill "$sender"
none_to_mesh() {
	n=$(packets marked_mesh)
	[ "$n" = 0 ] || { echo "$n marked packets left by the mesh"; return 1; }
}
check "no marked packet left by the mesh through netifd's start, reload, restart and the flaps" none_to_mesh
some_to_wan() { [ "$(packets marked_wan)" -gt 0 ]; }
check "the marked traffic left by the WAN meanwhile" some_to_wan

kill "$netifd" "$ubusd"
wait
