//! routes: installs the WAN policy rules and routes over rtnetlink, once and idempotently.
//! With the `installer` feature this is the installer (`installer.rs`); without it, the
//! program frame that `cargo xtask dist` ships until the installer fits its byte budget.
#![no_std]
#![no_main]

#[cfg(feature = "installer")]
mod installer;

use sys::rt::Args;
#[cfg(not(feature = "installer"))]
use sys::rt::Cli;

#[cfg(not(feature = "installer"))]
const CLI: Cli = Cli {
    name: "routes",
    version: env!("CARGO_PKG_VERSION"),
    usage: "Usage: routes [--help] [--version]\n\
            Installs the WAN policy routing (fwmark rule, table 1) over rtnetlink.\n",
};

sys::entry!(main);

#[cfg(not(feature = "installer"))]
fn main(args: Args) -> u8 {
    CLI.standard_flags(&args).unwrap_or(0)
}

#[cfg(feature = "installer")]
fn main(args: Args) -> u8 {
    installer::main(args)
}
