//! Resolv files and command lines as dns54 reads them: any bytes parse without a panic, and
//! every server taken parses again from its own words.
#![no_main]

use dns54::{options, resolv};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let mut skipped = 0;
    let servers = resolv::parse_resolv(data, &mut |_, _| skipped += 1);
    assert!(servers.len() <= resolv::MAX_SERVERS);
    for server in servers.iter() {
        assert_eq!(server.port, resolv::DNS_PORT);
    }
    let words: Vec<&[u8]> = data
        .split(|b| b.is_ascii_whitespace())
        .filter(|w| !w.is_empty())
        .collect();
    for word in &words {
        let _ = resolv::parse_server(word);
    }
    let _ = options::parse(&words);
});
