//! The pure parts of `dns54`, free of I/O so that they are unit-tested natively and
//! big-endian under qemu-mips: the DNS wire format (`wire`), the resolv file and the
//! `--server` syntax (`resolv`), the command line (`options`), and the forwarder itself as
//! a state machine over a fixed table (`forward`). The program (`main.rs`) is the event loop around them.
#![cfg_attr(not(test), no_std)]

pub mod forward;
pub mod options;
pub mod resolv;
pub mod wire;
