//! Command lines as routes reads them (a batch line, or the words of a command line): any
//! bytes parse to a command or a syntax error without a panic, and every request that parses
//! becomes a message that parses back and is the same as itself to `check`.
#![no_main]

use libfuzzer_sys::fuzz_target;
use routes::batch;
use routes::command::{self, Command, MAX_WORDS};
use routes::netlink::{Fields, Message};
use routes::request::{Found, Object, Request, compare};

fuzz_target!(|data: &[u8]| {
    let mut words = [&b""[..]; MAX_WORDS];
    let Some(count) = batch::split(data, &mut words) else {
        return;
    };
    let mut request = Request::new(Object::Rule, false);
    let Ok(Command::Request) = command::parse(&words[..count], None, &mut request) else {
        return;
    };
    request.set_oif(7);
    let object = request.object;
    let wanted = request.fields();
    assert_eq!(compare(object, false, &wanted, &wanted), Found::Same);
    let bytes = request.finish(1).to_vec();
    let sent = Message::new_checked(&bytes).expect("our own message");
    assert_eq!(sent.len(), bytes.len());
    let again = Fields::parse(sent.payload()).expect("our own message parses");
    assert_eq!(again.body[0], request.family.af());
});
