#![doc = include_str!("../README.md")]
#![cfg_attr(not(test), no_std)]

mod config;
#[cfg(not(test))]
mod preload;

#[cfg(not(test))]
#[panic_handler]
fn panic(_: &core::panic::PanicInfo<'_>) -> ! {
    sys::process::abort()
}
