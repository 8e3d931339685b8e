//! dns54: the DNS forwarder on 127.0.0.1:54 and [::1]:54 whose upstream sockets carry the
//! WAN mark. (The forwarder itself comes with its own issue; this is the program frame.)
#![no_std]
#![no_main]

use sys::rt::{Args, Cli};

const CLI: Cli = Cli {
    name: "dns54",
    version: env!("CARGO_PKG_VERSION"),
    usage: "Usage: dns54 [--help] [--version]\n\
            DNS forwarder on 127.0.0.1:54 and [::1]:54 whose upstream queries carry the WAN mark.\n",
};

sys::entry!(main);

fn main(args: Args) -> u8 {
    CLI.standard_flags(&args).unwrap_or(0)
}
