//! The syscall layer against the real kernel: natively on the host, and on every other
//! family under its qemu (`cargo xtask test` runs both). std serves only as the test harness.

use sys::net::{self, AnyAddress};
use sys::{Errno, Fd, epoll, io, random, time};

#[test]
fn pipe_write_then_read() {
    let (read_end, write_end) = io::pipe2(0).expect("pipe2");
    io::write_all(write_end.fd(), b"gluon").expect("write");
    let mut buf = [0u8; 16];
    let n = io::read(read_end.fd(), &mut buf).expect("read");
    assert_eq!(&buf[..n], b"gluon");
}

#[test]
fn read_after_writer_closed_is_end_of_file() {
    let (read_end, write_end) = io::pipe2(0).unwrap();
    drop(write_end);
    assert_eq!(io::read(read_end.fd(), &mut [0u8; 4]), Ok(0));
}

#[test]
fn closed_descriptor_gives_ebadf() {
    // A number no descriptor has: one just closed may already be another test's (the tests
    // run in threads of one process), and reading it would take that test's data.
    // SAFETY: never used to reach a descriptor: the kernel refuses the number (EBADF).
    let never_opened = unsafe { Fd::borrow_raw(1 << 30) };
    assert_eq!(io::read(never_opened, &mut [0u8; 4]), Err(Errno::EBADF));
}

fn udp_socket_on_loopback() -> (sys::OwnedFd, u16) {
    let socket = net::socket(libc::AF_INET, libc::SOCK_DGRAM, 0).expect("socket");
    net::bind(socket.fd(), &net::sockaddr_in([127, 0, 0, 1], 0)).expect("bind");
    let port = net::getsockname(socket.fd()).unwrap().port().unwrap();
    assert_ne!(port, 0);
    (socket, port)
}

#[test]
fn udp_sendto_recvfrom_on_loopback() {
    let (server, server_port) = udp_socket_on_loopback();
    let (client, client_port) = udp_socket_on_loopback();
    let to = net::sockaddr_in([127, 0, 0, 1], server_port);
    assert_eq!(net::sendto(client.fd(), b"query", 0, Some(&to)), Ok(5));

    let mut from = AnyAddress::new();
    let mut buf = [0u8; 64];
    let n = net::recvfrom(server.fd(), &mut buf, 0, Some(&mut from)).expect("recvfrom");
    assert_eq!(&buf[..n], b"query");
    assert_eq!(from.family(), libc::AF_INET);
    assert_eq!(from.port(), Some(client_port));
    assert_eq!(
        from.as_v4().unwrap().sin_addr.s_addr,
        u32::from_ne_bytes([127, 0, 0, 1])
    );
}

#[test]
fn udp_connected_socket_sends_without_address() {
    let (server, server_port) = udp_socket_on_loopback();
    let client = net::socket(libc::AF_INET, libc::SOCK_DGRAM, 0).unwrap();
    net::connect(client.fd(), &net::sockaddr_in([127, 0, 0, 1], server_port)).unwrap();
    assert_eq!(
        net::sendto::<libc::sockaddr_in>(client.fd(), b"hi", 0, None),
        Ok(2)
    );
    let mut buf = [0u8; 8];
    assert_eq!(net::recvfrom(server.fd(), &mut buf, 0, None), Ok(2));
}

#[test]
fn binding_a_port_in_use_gives_eaddrinuse() {
    let (_first, port) = udp_socket_on_loopback();
    let second = net::socket(libc::AF_INET, libc::SOCK_DGRAM, 0).unwrap();
    let err = net::bind(second.fd(), &net::sockaddr_in([127, 0, 0, 1], port)).unwrap_err();
    assert_eq!(err, Errno::EADDRINUSE);
    // The number itself is per architecture: the constant must be the target's, not x86's.
    let expected = if cfg!(target_arch = "mips") { 125 } else { 98 };
    assert_eq!(err.raw(), expected);
}

#[test]
fn socket_options_round_trip() {
    let socket = net::socket(libc::AF_INET, libc::SOCK_DGRAM, 0).unwrap();
    net::setsockopt_u32(socket.fd(), libc::SOL_SOCKET, libc::SO_RCVBUF, 8192).unwrap();
    // The kernel doubles the value it was given for its bookkeeping.
    assert_eq!(
        net::getsockopt_u32(socket.fd(), libc::SOL_SOCKET, libc::SO_RCVBUF),
        Ok(16384)
    );
    assert_eq!(
        net::getsockopt_u32(socket.fd(), libc::SOL_SOCKET, libc::SO_TYPE),
        Ok(libc::SOCK_DGRAM as u32)
    );
}

#[test]
fn unknown_family_gives_eafnosupport() {
    assert_eq!(
        net::socket(4242, libc::SOCK_DGRAM, 0).unwrap_err(),
        Errno::EAFNOSUPPORT
    );
}

#[test]
fn ipv6_loopback_round_trip() {
    let server = net::socket(libc::AF_INET6, libc::SOCK_DGRAM, 0).unwrap();
    let mut loopback = [0u8; 16];
    loopback[15] = 1;
    if net::bind(server.fd(), &net::sockaddr_in6(loopback, 0, 0)) == Err(Errno::EADDRNOTAVAIL) {
        panic!("no ::1 on this machine: the DNS forwarder needs it");
    }
    let port = net::getsockname(server.fd()).unwrap().port().unwrap();
    let client = net::socket(libc::AF_INET6, libc::SOCK_DGRAM, 0).unwrap();
    net::sendto(
        client.fd(),
        b"v6",
        0,
        Some(&net::sockaddr_in6(loopback, port, 0)),
    )
    .unwrap();
    let mut from = AnyAddress::new();
    let mut buf = [0u8; 8];
    assert_eq!(
        net::recvfrom(server.fd(), &mut buf, 0, Some(&mut from)),
        Ok(2)
    );
    assert_eq!(from.as_v6().unwrap().sin6_addr.s6_addr, loopback);
}

#[test]
fn epoll_reports_a_readable_socket() {
    let (server, server_port) = udp_socket_on_loopback();
    let ep = epoll::epoll_create1(0).expect("epoll_create1");
    let interest = epoll::event(libc::EPOLLIN as u32, 0x1234_5678_9abc_def0);
    epoll::epoll_ctl(ep.fd(), libc::EPOLL_CTL_ADD, server.fd(), Some(&interest)).unwrap();

    let mut events = [epoll::event(0, 0); 4];
    assert_eq!(
        epoll::epoll_wait(ep.fd(), &mut events, 0),
        Ok(0),
        "nothing ready yet"
    );

    let client = net::socket(libc::AF_INET, libc::SOCK_DGRAM, 0).unwrap();
    net::sendto(
        client.fd(),
        b"x",
        0,
        Some(&net::sockaddr_in([127, 0, 0, 1], server_port)),
    )
    .unwrap();
    assert_eq!(epoll::epoll_wait(ep.fd(), &mut events, 1000), Ok(1));
    let (ready, data) = (events[0].events, events[0].u64);
    assert_eq!(ready & libc::EPOLLIN as u32, libc::EPOLLIN as u32);
    assert_eq!(
        data, 0x1234_5678_9abc_def0,
        "the 64-bit cookie comes back whole"
    );

    epoll::epoll_ctl(ep.fd(), libc::EPOLL_CTL_DEL, server.fd(), None).unwrap();
    assert_eq!(epoll::epoll_wait(ep.fd(), &mut events, 0), Ok(0));
}

#[test]
fn getrandom_fills_the_buffer() {
    let mut a = [0u8; 64];
    let mut b = [0u8; 64];
    random::fill(&mut a).unwrap();
    random::fill(&mut b).unwrap();
    assert_ne!(a, [0u8; 64]);
    assert_ne!(a, b);
}

#[test]
fn monotonic_clock_advances() {
    let before = time::monotonic().unwrap();
    std::thread::sleep(std::time::Duration::from_millis(20));
    let after = time::monotonic().unwrap();
    assert!(before.sec > 0 || before.nsec > 0);
    assert!((0..1_000_000_000).contains(&after.nsec));
    let elapsed = after.as_millis() - before.as_millis();
    assert!((15..5_000).contains(&elapsed), "elapsed {elapsed} ms");
}

/// A kernel without the clock call (32-bit before 5.1) is stood in for by a seccomp filter
/// that answers ENOSYS to it, on this thread only. Natively only: qemu-user refuses seccomp
/// filters (they could disable the syscalls qemu itself needs).
#[cfg(target_arch = "x86_64")]
#[test]
fn a_clock_the_kernel_refuses_is_an_error_not_a_made_up_time() {
    std::thread::spawn(|| {
        refuse_on_this_thread(libc::SYS_clock_gettime, libc::ENOSYS);
        assert_eq!(time::monotonic(), Err(Errno::ENOSYS));
    })
    .join()
    .unwrap();
    // Other threads keep their clock.
    assert!(time::monotonic().is_ok());
}

/// Makes syscall `number` fail with `errno` for the calling thread (seccomp, no TSYNC).
#[cfg(target_arch = "x86_64")]
fn refuse_on_this_thread(number: libc::c_long, errno: i32) {
    let statement = |code: u32, k: u32| libc::sock_filter {
        code: code as u16,
        jt: 0,
        jf: 0,
        k,
    };
    let filter = [
        // The syscall number is the first word of `struct seccomp_data`.
        statement(libc::BPF_LD | libc::BPF_W | libc::BPF_ABS, 0),
        libc::sock_filter {
            code: (libc::BPF_JMP | libc::BPF_JEQ | libc::BPF_K) as u16,
            jt: 0,
            jf: 1,
            k: number as u32,
        },
        statement(
            libc::BPF_RET | libc::BPF_K,
            libc::SECCOMP_RET_ERRNO | errno as u32,
        ),
        statement(libc::BPF_RET | libc::BPF_K, libc::SECCOMP_RET_ALLOW),
    ];
    let program = libc::sock_fprog {
        len: filter.len() as u16,
        filter: filter.as_ptr() as *mut _,
    };
    // SAFETY: prctl with integer arguments; the filter program is live for the call, which
    // copies it.
    unsafe {
        assert_eq!(libc::prctl(libc::PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0), 0);
        assert_eq!(
            libc::prctl(
                libc::PR_SET_SECCOMP,
                libc::SECCOMP_MODE_FILTER,
                &raw const program
            ),
            0
        );
    }
}

#[test]
fn loopback_is_interface_1_and_a_missing_one_is_enodev() {
    let socket = net::socket(libc::AF_INET, libc::SOCK_DGRAM, 0).unwrap();
    assert_eq!(net::interface_index(socket.fd(), b"lo"), Ok(1));
    for missing in [&b"no-such-if"[..], b"", b"a-name-of-16-byt", b"l\0o"] {
        assert_eq!(
            net::interface_index(socket.fd(), missing),
            Err(Errno::ENODEV),
            "{missing:?}"
        );
    }
}

#[test]
fn a_route_netlink_socket_answers_a_request_with_an_ack() {
    let socket = net::socket(libc::AF_NETLINK, libc::SOCK_RAW, libc::NETLINK_ROUTE).unwrap();
    net::bind(socket.fd(), &net::sockaddr_nl(0, 0)).unwrap();
    // RTM_GETLINK for index 1 with NLM_F_REQUEST | NLM_F_ACK: a 16-byte header and a
    // 16-byte ifinfomsg, in host byte order.
    let mut request = [0u8; 32];
    request[0..4].copy_from_slice(&32u32.to_ne_bytes());
    request[4..6].copy_from_slice(&(libc::RTM_GETLINK).to_ne_bytes());
    request[6..8].copy_from_slice(&((libc::NLM_F_REQUEST | libc::NLM_F_ACK) as u16).to_ne_bytes());
    request[8..12].copy_from_slice(&7u32.to_ne_bytes());
    request[20..24].copy_from_slice(&1i32.to_ne_bytes());
    let kernel = net::sockaddr_nl(0, 0);
    assert_eq!(net::sendto(socket.fd(), &request, 0, Some(&kernel)), Ok(32));
    let mut reply = [0u8; 4096];
    let n = net::recvfrom(socket.fd(), &mut reply, 0, None).unwrap();
    assert!(n >= 16);
    let kind = u16::from_ne_bytes([reply[4], reply[5]]);
    let seq = u32::from_ne_bytes(reply[8..12].try_into().unwrap());
    assert_eq!((kind, seq), (libc::RTM_NEWLINK, 7));
}

#[test]
fn bad_clock_gives_einval() {
    assert_eq!(time::clock_gettime(4242).unwrap_err(), Errno::EINVAL);
}

#[test]
fn tcp_listen_accept4_and_a_non_blocking_connect_on_loopback() {
    let kind = libc::SOCK_STREAM | libc::SOCK_NONBLOCK;
    let listener = net::socket(libc::AF_INET, kind, 0).expect("socket");
    net::bind(listener.fd(), &net::sockaddr_in([127, 0, 0, 1], 0)).expect("bind");
    net::listen(listener.fd(), 4).expect("listen");
    let port = net::getsockname(listener.fd()).unwrap().port().unwrap();
    assert_eq!(
        net::accept4(listener.fd(), 0).err(),
        Some(Errno::EAGAIN),
        "nobody has connected yet"
    );

    let client = net::socket(libc::AF_INET, kind, 0).unwrap();
    match net::connect(client.fd(), &net::sockaddr_in([127, 0, 0, 1], port)) {
        Ok(()) | Err(Errno::EINPROGRESS) => {}
        Err(other) => panic!("connect: {}", other.raw()),
    }
    // The handshake completes on loopback; epoll says when the client may write.
    let ep = epoll::epoll_create1(0).unwrap();
    let interest = epoll::event(libc::EPOLLOUT as u32, 7);
    epoll::epoll_ctl(ep.fd(), libc::EPOLL_CTL_ADD, client.fd(), Some(&interest)).unwrap();
    let mut events = [epoll::event(0, 0); 1];
    assert_eq!(epoll::epoll_wait(ep.fd(), &mut events, 5000), Ok(1));

    let accepted = net::accept4(listener.fd(), libc::SOCK_NONBLOCK | libc::SOCK_CLOEXEC)
        .expect("accept4 after a connect");
    assert_eq!(io::write(client.fd(), b"\x00\x02hi"), Ok(4));
    let mut buf = [0u8; 8];
    assert_eq!(io::read(accepted.fd(), &mut buf), Ok(4));
    assert_eq!(&buf[..4], b"\x00\x02hi");
    let mut nothing = [0u8; 1];
    assert_eq!(
        io::read(accepted.fd(), &mut nothing),
        Err(Errno::EAGAIN),
        "accept4 made it non-blocking"
    );
    drop(client);
    assert_eq!(io::read(accepted.fd(), &mut buf), Ok(0), "end of stream");
}

#[test]
fn one_address_type_for_both_families_binds_and_answers() {
    use sys::addr::Addr;
    // Bind and send with IPv4 and IPv6 addresses held in a `sockaddr_in6`'s room.
    for (domain, octets) in [
        (libc::AF_INET, &[127, 0, 0, 1][..]),
        (
            libc::AF_INET6,
            &[0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1][..],
        ),
    ] {
        let addr = Addr::from_octets(octets).unwrap();
        let server = net::socket(domain, libc::SOCK_DGRAM, 0).unwrap();
        net::bind(server.fd(), &net::socket_address(&addr, 0, 0)).expect("bind");
        let port = net::getsockname(server.fd()).unwrap().port().unwrap();
        let client = net::socket(domain, libc::SOCK_DGRAM, 0).unwrap();
        net::connect(client.fd(), &net::socket_address(&addr, port, 0)).expect("connect");
        assert_eq!(
            net::sendto::<libc::sockaddr_in>(client.fd(), b"ask", 0, None),
            Ok(3)
        );
        let mut from = AnyAddress::new();
        let mut buf = [0u8; 8];
        assert_eq!(
            net::recvfrom(server.fd(), &mut buf, 0, Some(&mut from)),
            Ok(3)
        );
        // The answer goes back to the sender as the room holds it.
        let sender = from.in6_room();
        assert_eq!(net::sendto(server.fd(), b"answer", 0, Some(&sender)), Ok(6));
        assert_eq!(io::read(client.fd(), &mut buf), Ok(6));
        assert_eq!(&buf[..6], b"answer");
    }
}

/// Under qemu, `cargo xtask test` passes in `GWT_CPU_SIGN` what tells the family's weakest CPU
/// apart in the auxiliary vector (`platform:v6l` for the ARM1176, `hwcap-lacks:256` for a
/// Cortex-A53 without LSE atomics …): each test runs in a child process of its own, and this
/// one proves that the child runs on that CPU, not on qemu's default one or natively.
/// Natively, and on MIPS, where qemu marks no CPU, there is nothing to read.
#[test]
fn the_test_processes_run_on_the_cpu_asked_for() {
    let Some(sign) = std::env::var("GWT_CPU_SIGN").ok().filter(|s| !s.is_empty()) else {
        return;
    };
    let auxv = std::fs::read("/proc/self/auxv").expect("/proc/self/auxv");
    let word = std::mem::size_of::<usize>();
    let words: Vec<usize> = auxv
        .chunks_exact(word)
        .map(|w| usize::from_ne_bytes(w.try_into().unwrap()))
        .collect();
    let entry = |kind: libc::c_ulong| {
        words
            .chunks_exact(2)
            .find(|pair| pair[0] == kind as usize)
            .map(|pair| pair[1])
    };
    match sign.split_once(':') {
        Some(("platform", expected)) => {
            let platform = entry(libc::AT_PLATFORM).expect("no AT_PLATFORM");
            // SAFETY: the kernel (here qemu) puts AT_PLATFORM's NUL-terminated string on the
            // initial stack, where it stays for the life of the process.
            let platform = unsafe { std::ffi::CStr::from_ptr(platform as *const libc::c_char) };
            assert_eq!(platform.to_str().unwrap(), expected);
        }
        Some(("hwcap-lacks", bits)) => {
            let bits: usize = bits.parse().expect("hwcap-lacks:<decimal bits>");
            let hwcap = entry(libc::AT_HWCAP).expect("no AT_HWCAP");
            assert!(hwcap != 0, "AT_HWCAP is empty: no CPU to tell apart");
            assert_eq!(hwcap & bits, 0, "AT_HWCAP {hwcap:#x} has {bits:#x}");
        }
        _ => panic!("GWT_CPU_SIGN={sign}: not platform:NAME or hwcap-lacks:BITS"),
    }
}
