//! The kernel's replies as routes reads them: any bytes walk as messages and attributes
//! without a panic, and every rule or route that parses is the same as itself to `check`.
#![no_main]

use libfuzzer_sys::fuzz_target;
use routes::netlink::{self, ErrorMessage, Fields};
use routes::request::{Found, Object, compare};

fuzz_target!(|data: &[u8]| {
    for message in netlink::messages(data) {
        let Ok(message) = message else { break };
        let _ = ErrorMessage::parse(&message);
        if let Ok(fields) = Fields::parse(message.payload()) {
            let _ = (fields.table(), fields.name(netlink::FRA_IIFNAME));
            for object in [Object::Rule, Object::Route] {
                assert_eq!(compare(object, false, &fields, &fields), Found::Same);
            }
        }
    }
});
