//! The kernel's replies as routes reads them: any bytes walk as messages and attributes
//! without a panic, and every route or rule that parses emits bytes that parse back the same.
#![no_main]

use libfuzzer_sys::fuzz_target;
use routes::netlink::{
    self, ErrorMessage, Message, RTM_NEWROUTE, RTM_NEWRULE, Request, RouteMessage, RuleMessage,
};

fuzz_target!(|data: &[u8]| {
    for message in netlink::messages(data) {
        let Ok(message) = message else { break };
        let _ = ErrorMessage::parse(&message);
        let mut space = [0u8; 2048];
        if let Ok(route) = RouteMessage::parse(message.payload()) {
            let mut request = Request::new(&mut space, RTM_NEWROUTE, 0, 0);
            route.emit(&mut request);
            if let Some(bytes) = request.finish() {
                let again = Message::new_checked(bytes).expect("our own message");
                assert_eq!(RouteMessage::parse(again.payload()), Ok(route));
            }
        }
        if let Ok(rule) = RuleMessage::parse(message.payload()) {
            // Names go out cut to the kernel's 15 bytes.
            let short = |name: Option<&[u8]>| name.is_none_or(|n| n.len() <= 15);
            let mut request = Request::new(&mut space, RTM_NEWRULE, 0, 0);
            rule.emit(&mut request);
            if let (Some(bytes), true) =
                (request.finish(), short(rule.iifname) && short(rule.oifname))
            {
                let again = Message::new_checked(bytes).expect("our own message");
                assert_eq!(RuleMessage::parse(again.payload()), Ok(rule));
            }
        }
    }
});
