extern crate std;
use super::*;

fn parsed(words: &[&'static str]) -> Result<Request<'static>, UsageError<'static>> {
    parse(|index| words.get(index).map(|w| w.as_bytes()))
}

#[test]
fn without_options_the_command_is_the_first_word_and_gluons_defaults_hold() {
    let request = parsed(&["fastd", "--config", "x"]).unwrap();
    assert_eq!(request.command, 0);
    assert_eq!(request.group, b"gluon-mesh-vpn");
    assert_eq!(request.preload, b"/usr/lib/libpacketmark.so");
    assert_eq!(MARK_ENTRY.to_bytes(), b"LIBPACKETMARK_MARK=1");
}

#[test]
fn options_in_both_forms_then_the_command() {
    let request = parsed(&["--group", "vpn", "--preload=/lib/m.so", "ping", "-c1"]).unwrap();
    assert_eq!(request.command, 3);
    assert_eq!(
        (request.group, request.preload),
        (&b"vpn"[..], &b"/lib/m.so"[..])
    );
    // `--` ends the options: what follows is the command, even if it looks like one.
    assert_eq!(parsed(&["--group=0", "--", "--weird"]).unwrap().command, 2);
    assert_eq!(
        parsed(&["-x"]).unwrap().command,
        0,
        "one dash is a command's"
    );
}

#[test]
fn mistakes_are_named() {
    let message = |words: &[&'static str]| parsed(words).unwrap_err().message;
    assert_eq!(message(&[]), "no command to run");
    assert_eq!(message(&["--group", "vpn"]), "no command to run");
    assert_eq!(message(&["--"]), "no command to run");
    assert_eq!(message(&["--mark", "2", "x"]), "unknown option");
    assert_eq!(message(&["--group"]), "a value must follow");
    assert_eq!(
        message(&["--preload", "libpacketmark.so", "x"]),
        "the preload must be an absolute path"
    );
    assert_eq!(message(&["--group=", "x"]), "not a group name");
    assert_eq!(
        parsed(&["--preload", "lib.so", "x"]).unwrap_err().word,
        b"lib.so"
    );
}

#[test]
fn groups_are_found_by_name_or_taken_as_numbers() {
    let file = b"root:x:0:\ngluon-mesh-vpn:x:800:\n";
    assert_eq!(group_id(file, b"gluon-mesh-vpn"), Some(800));
    assert_eq!(group_id(file, b"missing"), None);
    assert_eq!(group_id(file, b"800"), Some(800));
    assert_eq!(group_id(b"", b"1234"), Some(1234));
}

#[test]
fn environment_entries_are_told_apart() {
    assert_eq!(entry(b"LD_PRELOAD=/x.so"), Entry::Preload(b"/x.so"));
    assert_eq!(entry(b"LIBPACKETMARK_MARK=5"), Entry::Mark);
    assert_eq!(entry(b"PATH=/bin:/usr/bin"), Entry::Path(b"/bin:/usr/bin"));
    assert_eq!(entry(b"LD_PRELOAD_PATH=/x"), Entry::Other);
    assert_eq!(entry(b"PATHS=/x"), Entry::Other);
    assert_eq!(entry(b"LD_PRELOAD"), Entry::Other);
}

#[test]
fn the_preload_comes_first_and_the_callers_libraries_stay() {
    let made = |callers: &str| {
        let mut out = [0u8; 128];
        let len = preload_entry(b"/usr/lib/libpacketmark.so", callers.as_bytes(), &mut out);
        std::string::String::from_utf8(out[..len.unwrap()].to_vec()).unwrap()
    };
    assert_eq!(made(""), "LD_PRELOAD=/usr/lib/libpacketmark.so");
    assert_eq!(
        made("/lib/o.so"),
        "LD_PRELOAD=/usr/lib/libpacketmark.so:/lib/o.so"
    );
    // Named already (colon- or blank-separated): not twice.
    assert_eq!(
        made("/lib/a.so /usr/lib/libpacketmark.so"),
        "LD_PRELOAD=/usr/lib/libpacketmark.so"
    );
    let mut small = [0u8; 20];
    assert_eq!(
        preload_entry(b"/usr/lib/libpacketmark.so", b"", &mut small),
        None
    );
}

#[test]
fn a_candidate_path_is_whole_or_none() {
    let mut out = [0u8; 16];
    let len = candidate(b"/usr/bin", b"fastd", &mut out).unwrap();
    assert_eq!(&out[..len], b"/usr/bin/fastd");
    let len = candidate(b"", b"fastd", &mut out).unwrap();
    assert_eq!(&out[..len], b"./fastd");
    assert_eq!(candidate(b"/usr/local/bin", b"fastd", &mut out), None);
}
