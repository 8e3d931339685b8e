//! What the packages take over from Gluon's own files, against those files at Gluon's pinned
//! commits: the interfaces whose DNS servers dns54 uses (`interface.d`), named as
//! gluon-wan-dnsmasq names them.

use super::upstream::{Origin, tree_of, upstream};
use crate::cmd::{fail, root};
use crate::test::tally::Tally;
use std::fs;
use std::path::Path;

const GLUON_LIST: &str =
    "package/gluon-wan-dnsmasq/files/lib/gluon/wan-dnsmasq/interface.d/050-gluon-wan-dnsmasq";
const OUR_LIST: &str =
    "packaging/openwrt/files/lib/gluon/wan-dnsmasq/interface.d/050-gluon-wan-dns54";

pub fn check(tally: &mut Tally, origin: &Origin, cache: &Path) {
    for name in ["gluon-main", "gluon-next"] {
        let gluon = upstream(name);
        let title = format!(
            "the package's interface.d list is gluon-wan-dnsmasq's of {} ({})",
            gluon.pin,
            &gluon.commit[..12]
        );
        tally.check(&title, || {
            let tree = tree_of(gluon, &[GLUON_LIST], origin, cache)?;
            let theirs = fs::read_to_string(tree.join(GLUON_LIST))?;
            let ours = fs::read_to_string(root().join(OUR_LIST))?;
            let names = |text: &str| -> Vec<String> {
                text.split_whitespace().map(str::to_string).collect()
            };
            if names(&ours) != names(&theirs) {
                return fail(format!(
                    "{OUR_LIST} names {:?}, Gluon's {:?}",
                    names(&ours),
                    names(&theirs)
                ));
            }
            Ok(())
        });
    }
}
