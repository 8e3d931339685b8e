//! libpacketmark: an `LD_PRELOAD` library that marks the sockets of a process.
//! (The `socket()` wrapper comes with its own issue; this is the library frame.)
#![no_std]

#[panic_handler]
fn panic(_: &core::panic::PanicInfo<'_>) -> ! {
    sys::process::abort()
}
