//! The pure parts of `routes`, free of I/O so that they are unit-tested natively and
//! big-endian under qemu-mips: the command syntax (`command`),
//! the rtnetlink wire format (`netlink`), what each request becomes on the wire and how the
//! kernel's answers compare with it (`request`), and the lines of a batch (`batch`). The
//! program (`main.rs`) and its kernel session (`kernel.rs`) are the thin layer around them.
#![cfg_attr(not(test), no_std)]

pub mod batch;
pub mod command;
pub mod netlink;
pub mod request;
