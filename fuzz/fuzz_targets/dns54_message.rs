//! Messages as dns54 reads them, from clients and from upstream: any bytes are classified,
//! answered locally or forwarded without a panic; what parses as a question is the same
//! question as itself; and the forwarder, given the bytes as a query and then as the reply
//! on the socket it was sent on, answers the client at most once and leaks nothing, over a
//! datagram or (an odd first byte) a stream.
#![no_main]

use dns54::forward::{Config, Failure, Forwarder, Io, Random};
use dns54::wire::{self, Verdict};
use libfuzzer_sys::fuzz_target;

#[derive(Default)]
struct Record {
    sent: Option<(usize, Vec<u8>)>,
    answers: usize,
}

impl Io<u8> for Record {
    fn open(
        &mut self,
        _socket: usize,
        _server: usize,
        _stream: Option<&u8>,
    ) -> Result<(), Failure> {
        Ok(())
    }
    fn send(&mut self, socket: usize, message: &[u8]) -> Result<(), Failure> {
        self.sent = Some((socket, message.to_vec()));
        Ok(())
    }
    fn close(&mut self, _socket: usize) {}
    fn answer(&mut self, _client: &u8, _message: &[u8]) {
        self.answers += 1;
    }
}

struct Fixed;

impl Random for Fixed {
    fn next_u16(&mut self) -> u16 {
        0x4242
    }
}

fuzz_target!(|data: &[u8]| {
    let verdict = wire::classify_query(data);
    if let Verdict::Forward(question) = verdict {
        assert!(question.end <= data.len());
        assert!(wire::same_question(data, &question, data, &question));
    }
    let mut out = [0u8; 512];
    let len = wire::local_answer(data, wire::REFUSED, &mut out);
    assert!(len <= data.len());
    if let Ok(question) = wire::question(data) {
        let _ = wire::answers(data, data, &question);
        // Lowering an advertised UDP size changes at most those two bytes, and the question
        // still reads the same.
        let mut limited = data.to_vec();
        wire::limit_udp_payload(&mut limited, &question, 512);
        let changed = data.iter().zip(&limited).filter(|(a, b)| a != b).count();
        assert!(changed <= 2 && limited.len() == data.len());
        assert_eq!(wire::question(&limited), Ok(question));
    }

    let mut forwarder: Box<Forwarder<u8, 4>> = Box::new(Forwarder::new(Config::default(), 0));
    let mut io = Record::default();
    forwarder.set_servers(1, &mut io);
    if data.first().is_some_and(|b| b & 1 == 1) {
        forwarder.stream_query(0, 1, data, &mut io, &mut Fixed);
    } else {
        forwarder.query(0, 1, data, &mut io, &mut Fixed);
    }
    if let Some((socket, sent)) = io.sent.take() {
        // The same bytes as the reply, with the ID the forwarder chose.
        let mut reply = data.to_vec();
        wire::set_id(&mut reply, wire::id(&sent));
        forwarder.reply(1, socket, &mut reply, &mut io, &mut Fixed);
    }
    forwarder.timeout(10_000, &mut io, &mut Fixed);
    assert!(io.answers <= 1);
    assert_eq!(forwarder.occupancy(), (0, 0));
});
