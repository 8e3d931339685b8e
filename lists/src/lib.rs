//! The lists xtask and the integration tests both read, kept in one place: the router
//! targets with the files shipped for each and the machines they are checked on
//! (`targets`), and every program a build, test or bench takes from the machine with the
//! Debian package that provides it (`tools`).

pub mod targets;
pub mod tools;
