//! routes: installs the WAN policy rules and routes over rtnetlink, once and idempotently.
//! (The installer comes with its own issue; this is the program frame.)
#![no_std]
#![no_main]

use sys::rt::{Args, Cli};

const CLI: Cli = Cli {
    name: "routes",
    version: env!("CARGO_PKG_VERSION"),
    usage: "Usage: routes [--help] [--version]\n\
            Installs the WAN policy routing (fwmark rule, table 1) over rtnetlink.\n",
};

sys::entry!(main);

fn main(args: Args) -> u8 {
    CLI.standard_flags(&args).unwrap_or(0)
}
