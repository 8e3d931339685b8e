//! Command lines as routes reads them (a batch line, or the words of a command line): any
//! bytes parse to a command or a syntax error without a panic, and every request that parses
//! becomes a message whose parsed form is what was asked.
#![no_main]

use libfuzzer_sys::fuzz_target;
use routes::batch;
use routes::command::{self, Command, MAX_WORDS, Request};
use routes::netlink::{self, Message, REQUEST_CAPACITY, RouteMessage, RuleMessage};
use routes::request;

fuzz_target!(|data: &[u8]| {
    let mut words = [&b""[..]; MAX_WORDS];
    let Some(count) = batch::split(data, &mut words) else {
        return;
    };
    let Ok(Command::Request(parsed)) = command::parse(&words[..count], None) else {
        return;
    };
    let mut space = [0u8; REQUEST_CAPACITY];
    match parsed {
        Request::Rule(verb, rule) => {
            let wanted = request::rule_message(verb, &rule);
            let (kind, flags) = request::rule_header(verb);
            let mut message = netlink::Request::new(&mut space, kind, flags, 1);
            wanted.emit(&mut message);
            let bytes = message.finish().expect("a rule fits REQUEST_CAPACITY");
            let sent = Message::new_checked(bytes).expect("our own message");
            assert_eq!(RuleMessage::parse(sent.payload()), Ok(wanted));
        }
        Request::Route(verb, route) => {
            let wanted = request::route_message(verb, &route, route.dev.map(|_| 7));
            let (kind, flags) = request::route_header(verb);
            let mut message = netlink::Request::new(&mut space, kind, flags, 1);
            wanted.emit(&mut message);
            let bytes = message.finish().expect("a route fits REQUEST_CAPACITY");
            let sent = Message::new_checked(bytes).expect("our own message");
            assert_eq!(RouteMessage::parse(sent.payload()), Ok(wanted));
        }
    }
});
