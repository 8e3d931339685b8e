//! routes: installs, removes and checks the WAN policy rules and routes over rtnetlink, once
//! and idempotently. The program is `installer.rs`; the pure parts are the library.
#![no_std]
#![no_main]

mod installer;

sys::entry!(installer::main);
