//! dns54: the DNS forwarder on 127.0.0.1:54 and [::1]:54 whose upstream sockets carry the
//! WAN mark. The forwarding logic is the library's (`dns54::forward`); `daemon.rs` is the
//! event loop around it.
#![no_std]
#![no_main]

mod daemon;

use sys::rt::{Args, Cli};

const CLI: Cli = Cli {
    name: "dns54",
    version: env!("CARGO_PKG_VERSION"),
    usage: "Usage: dns54 (--resolv-file PATH | --server ADDR[#PORT]...) [--listen ADDR]...
             [--port 54] [--mark N] [--user NAME] [--pid-file PATH]
             [--timeout MS] [--deadline MS] [--forward-max N] [--verbose]
A DNS forwarder for a node's own look-ups: listens on 127.0.0.1 and ::1 (loopback only;
UDP, TCP), forwards to the servers of the resolv file (followed as it changes) or of
--server, on upstream sockets that carry the mark. Options: `--option VALUE` or `=VALUE`.
Signals: TERM/INT stop, HUP reads the resolv file again, USR1 logs the counters.
",
};

/// The most words on the command line.
const MAX_ARGS: usize = 64;

sys::entry!(main);

fn main(args: Args) -> u8 {
    if let Some(status) = CLI.help_or_version(&args) {
        return status;
    }
    let mut words = [&b""[..]; MAX_ARGS];
    let count = args.len().saturating_sub(1);
    if count > MAX_ARGS {
        CLI.usage_error(&[b"too many arguments"]);
        return 2;
    }
    for (slot, index) in words.iter_mut().zip(1..args.len()) {
        *slot = args.get(index).unwrap_or_default();
    }
    match dns54::options::parse(&words[..count]) {
        Ok(options) => daemon::run(&options),
        Err(err) => {
            if err.word.is_empty() {
                CLI.usage_error(&[err.message.as_bytes()]);
            } else {
                CLI.usage_error(&[err.message.as_bytes(), b" '", err.word, b"'"]);
            }
            2
        }
    }
}
