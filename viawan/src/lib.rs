//! viawan: runs a command so that its traffic uses the WAN, the way Gluon's mesh VPN daemon
//! does: with the VPN's primary group (whose DNS look-ups the node redirects to the WAN
//! resolver on port 54) and with the preload library that marks its sockets (so that its
//! packets take the WAN's routing table). The pure parts: the command line, the environment
//! the command gets, and the places a command name is looked for. `main.rs` does the rest.
#![no_std]

pub mod launch;
