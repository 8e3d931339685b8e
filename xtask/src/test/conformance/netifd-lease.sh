#!/bin/busybox sh
# A protocol handler of netifd's (proto `lease`, under netifd's real `netifd-proto.sh`) that
# stands in for OpenWrt's DHCP one (`dhcp.sh` and udhcpc, in openwrt/openwrt): it hands
# netifd an address, a gateway and DNS servers as a lease would, so that with `peerdns 0`
# netifd keeps the servers aside as `inactive`, as it does for Gluon's WAN.
# shellcheck shell=dash # busybox ash, which has `local` too
NETIFD_MAIN_DIR="$WORK/lib-netifd"
# shellcheck disable=SC1091 # netifd's, put there by conformance/netifd.rs.
. "$NETIFD_MAIN_DIR/netifd-proto.sh"
init_proto "$@"

proto_lease_init_config() {
	proto_config_add_string ipaddr
	proto_config_add_string ip6addr
	proto_config_add_string gateway
	proto_config_add_string servers
	# Read by netifd-proto.sh's add_protocol.
	# shellcheck disable=SC2034
	no_device=0
	# shellcheck disable=SC2034
	available=1
}

proto_lease_setup() {
	local config="$1" iface="$2"
	local ipaddr ip6addr gateway servers server
	json_get_vars ipaddr ip6addr gateway servers
	proto_init_update "$iface" 1
	[ -n "$ipaddr" ] && proto_add_ipv4_address "$ipaddr" 24
	[ -n "$ip6addr" ] && proto_add_ipv6_address "$ip6addr" 64
	[ -n "$gateway" ] && proto_add_ipv4_route 0.0.0.0 0 "$gateway"
	for server in $servers; do
		proto_add_dns_server "$server"
	done
	proto_send_update "$config"
}

proto_lease_teardown() {
	return 0
}

add_protocol lease
