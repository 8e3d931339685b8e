//! The WAN policy under the real netifd and ubusd: the package's iface hook
//! (`05-gluon-wan-routes`) run by netifd's own events, through netifd's start (which flushes
//! the ip rules it did not make), `network reload` (which does not), `network restart` (which
//! does again) and WAN flaps, with Gluon's network configuration (`ip4table`/`ip6table 1`,
//! its `rule6` and `route6`), while marked traffic flows: none of it may leave by the mesh. The scenario is `netifd-node.sh`; a control run without the
//! hook shows that the policy checks can fail.

use super::build::Programs;
use super::scenario::{self, Checks, executable};
use crate::cmd::{Result, fail, root, run_quiet};
use crate::test::tally::Tally;
use std::fs;
use std::path::Path;
use std::process::Command;

const SCENARIO: &str = include_str!("netifd-node.sh");
const LEASE: &str = include_str!("netifd-lease.sh");
const HOOKS: &[&str] = &["05-gluon-wan-routes", "50-gluon-wan-dns54"];
const FILES: &str = "packaging/openwrt/files";

/// Gluon's network configuration (gluon-core's `110-network`), on a veth named `br-wan`, the `lease` handler (`netifd-lease.sh`) in place of DHCP, and with `ip4table 1`
/// on the WAN: the variant the hook installs the IPv4 policy for too.
const NETWORK: &str = "config interface 'loopback'
	option device 'lo'
	option proto 'static'
	option ipaddr '127.0.0.1'
	option netmask '255.0.0.0'

config interface 'wan'
	option device 'br-wan'
	option proto 'lease'
	option ipaddr '192.0.2.2'
	option gateway '192.0.2.1'
	option servers '192.0.2.53'
	option ip4table '1'
	option peerdns '0'

config interface 'wan6'
	option device 'br-wan'
	option proto 'lease'
	option ip6addr '2001:db8::2'
	option servers 'fe80::53'
	option ip6table '1'
	option peerdns '0'

config rule6 'wan6_lookup'
	option mark '0x01/0x01'
	option lookup '1'

config route6 'wan6_unreachable'
	option type 'unreachable'
	option interface 'loopback'
	option target '::/0'
	option gateway '::'
	option table '1'
	option metric '65535'
";

/// procd's `hotplug-call` (in openwrt/openwrt, which conformance does not fetch) runs every
/// script of `/etc/hotplug.d/SUBSYSTEM/` in a subshell with netifd's environment; this does
/// the same with the work directory's.
const HOTPLUG_CALL: &str = "#!/bin/busybox sh
for script in \"$WORK/hotplug.d/$1\"/*; do
	[ -f \"$script\" ] && ( . \"$script\" )
done
exit 0
";

/// Runs the scenario in `work`, with the hook or without it; the checks it printed, in order.
fn scenario(programs: &Programs, routes: &Path, work: &Path, with_hook: bool) -> Result<Checks> {
    let _ = fs::remove_dir_all(work);
    for dir in [
        "config",
        "hotplug.d/iface",
        "lib-netifd/proto",
        "bin",
        "root/usr/share/libubox",
    ] {
        fs::create_dir_all(work.join(dir))?;
    }
    fs::write(work.join("config/network"), NETWORK)?;
    let files = root().join(FILES);
    fs::copy(
        files.join("etc/config/gluon-wan-dnsmasq"),
        work.join("config/gluon-wan-dnsmasq"),
    )?;
    executable(&work.join("hotplug-call"), HOTPLUG_CALL)?;
    if with_hook {
        for hook in HOOKS {
            fs::copy(
                files.join("etc/hotplug.d/iface").join(hook),
                work.join("hotplug.d/iface").join(hook),
            )?;
        }
    }
    // netifd's own shell library, from its source, and the protocol handler.
    let netifd_scripts = programs.prefix().join("share/netifd");
    for script in ["netifd-proto.sh", "utils.sh"] {
        fs::copy(
            netifd_scripts.join(script),
            work.join("lib-netifd").join(script),
        )?;
    }
    executable(&work.join("lib-netifd/proto/lease.sh"), LEASE)?;
    fs::copy(
        programs.prefix().join("share/libubox/jshn.sh"),
        work.join("root/usr/share/libubox/jshn.sh"),
    )?;
    run_quiet(
        Command::new("cp")
            .arg("-a")
            .arg(files.join("lib"))
            .arg(work.join("root")),
    )?;
    let bin = work.join("bin");
    std::os::unix::fs::symlink(routes, bin.join("routes"))?;
    // The hook asks uci for the WAN's ip4table (the real uci, on the same configuration) and
    // logs with logger (kept beside it).
    executable(
        &bin.join("uci"),
        &format!(
            "#!/bin/sh\nexec env LD_LIBRARY_PATH='{}' '{}' -c '{}' \"$@\"\n",
            programs.lib().display(),
            programs.path("uci").display(),
            work.join("config").display()
        ),
    )?;
    for program in ["ubus", "jsonfilter", "jshn"] {
        executable(
            &bin.join(program),
            &format!(
                "#!/bin/sh\nexec env LD_LIBRARY_PATH='{}' '{}' \"$@\"\n",
                programs.lib().display(),
                programs.path(program).display()
            ),
        )?;
    }
    executable(
        &bin.join("logger"),
        &format!(
            "#!/bin/sh\ncat >> '{}'\n",
            work.join("logger.log").display()
        ),
    )?;
    let path = format!(
        "{}:{}",
        bin.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let preload = root().join("target/dist/x86_64-unknown-linux-musl/libpacketmark.so");
    let nft_rules = root()
        .join(FILES)
        .join("usr/share/nftables.d/ruleset-post/gluon-wan-tools.nft");
    scenario::run(
        work,
        SCENARIO,
        &["--net", "--mount"],
        &[
            ("PREFIX", programs.prefix().as_os_str()),
            ("PRELOAD", preload.as_os_str()),
            ("NFT_RULES", nft_rules.as_os_str()),
            ("PATH", path.as_ref()),
        ],
    )
}

pub fn check(tally: &mut Tally, programs: &Programs, work: &Path) {
    let routes = root().join("target/dist/x86_64-unknown-linux-musl/routes");
    let name = |check: &str| format!("netifd: {check}");
    let with_hook = scenario(programs, &routes, &work.join("with-hook"), true);
    scenario::count(
        tally,
        "netifd",
        "the scenario with the iface hook",
        with_hook,
    );
    tally.check(
        &name("without the iface hook the IPv4 policy is missing after network restart (the checks can fail)"),
        || {
            let checks = scenario(programs, &routes, &work.join("without-hook"), false)?;
            let after_restart = checks
                .iter()
                .find(|(c, _)| c == "the iface hook puts the WAN policy back after network restart");
            match after_restart {
                Some((_, Err(_))) => Ok(()),
                other => fail(format!("without the hook: {other:?}")),
            }
        },
    );
}
