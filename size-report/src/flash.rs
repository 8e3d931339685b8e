//! What the files cost in flash: a per-file xz estimate and a real squashfs image, made by the
//! same tools an OpenWrt image build uses (xz, mksquashfs) as far as Debian's versions allow.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// OpenWrt's LZMA settings for squashfs (`-Xpreset 9 -Xe -Xlc 0 -Xlp 2 -Xpb 2`), applied to one
/// file as a raw LZMA2 stream: no container, because squashfs packs small files together into
/// shared fragment blocks.
pub const XZ_ARGS: &[&str] = &[
    "--format=raw",
    "--lzma2=preset=9e,lc=0,lp=2,pb=2",
    "--stdout",
    "--quiet",
];

/// The options of the image: OpenWrt's `-nopad -noappend -root-owned -comp xz -b 256k
/// -processors 1`, plus fixed times for a reproducible size. Debian's mksquashfs 4.5.1 has no
/// `-Xpreset/-Xe/-Xlc/-Xlp/-Xpb` (OpenWrt patches them in), so its xz runs with defaults.
const MKSQUASHFS_ARGS: &[&str] = &[
    "-comp",
    "xz",
    "-b",
    "256K",
    "-all-root",
    "-noappend",
    "-nopad",
    "-no-xattrs",
    "-processors",
    "1",
    "-mkfs-time",
    "0",
    "-all-time",
    "0",
    "-quiet",
    "-no-progress",
];

/// How the image was made, for the report's footnote.
pub const SQUASHFS_NOTE: &str = "squashfs: Debian's mksquashfs 4.5.1, -comp xz -b 256K -all-root -nopad \
(OpenWrt's build also passes -Xpreset 9 -Xe -Xlc 0 -Xlp 2 -Xpb 2, which this mksquashfs lacks; \
OpenWrt adds a BCJ filter only for x86, arm, powerpc and sparc, and neither tool has one for MIPS)";

/// How the per-file estimate was made, for the report's footnote.
pub const XZ_NOTE: &str = "xz: each file alone as raw LZMA2, preset 9e, lc=0 lp=2 pb=2 \
(an estimate: squashfs compresses in blocks that hold several files)";

fn missing_tool(tool: &str, package: &str, e: &std::io::Error) -> String {
    format!("cannot run {tool} ({e}); install it with `apt-get install {package}`")
}

/// The size of `bytes` compressed as [`XZ_ARGS`] say.
pub fn xz_estimate(bytes: &[u8]) -> Result<u64, String> {
    let mut child = Command::new("xz")
        .args(XZ_ARGS)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| missing_tool("xz", "xz-utils", &e))?;
    let mut stdin = child.stdin.take().expect("stdin is piped");
    // Written from another thread: xz may fill its stdout pipe before it has read all input.
    let input = bytes.to_vec();
    let writer = std::thread::spawn(move || stdin.write_all(&input));
    let output = child.wait_with_output().map_err(|e| e.to_string())?;
    let written = writer.join().expect("the writer thread does not panic");
    if !output.status.success() {
        return Err(format!(
            "xz failed: {}",
            String::from_utf8_lossy(&output.stderr).trim()
        ));
    }
    written.map_err(|e| format!("xz: {e}"))?;
    Ok(output.stdout.len() as u64)
}

/// Where a shipped file lives on the router: shared objects in `/usr/lib`, programs in
/// `/usr/sbin`, as Gluon installs `libpacketmark.so` and its daemons.
pub fn install_path(file_name: &str) -> PathBuf {
    if file_name.starts_with("lib") && file_name.contains(".so") {
        Path::new("usr/lib").join(file_name)
    } else {
        Path::new("usr/sbin").join(file_name)
    }
}

/// Builds the squashfs image `image` of `files` (placed at their [`install_path`]s) and
/// returns its size, for the Rust target `target`: with the BCJ filter OpenWrt's build adds
/// for its architecture (x86, ARM and PowerPC here; none exists for MIPS or AArch64).
pub fn squashfs_image(files: &[PathBuf], image: &Path, target: &str) -> Result<u64, String> {
    let staging = image.with_extension("root");
    let _ = std::fs::remove_dir_all(&staging);
    let result = stage_and_build(files, &staging, image, bcj_filter(target));
    let _ = std::fs::remove_dir_all(&staging);
    result
}

/// The xz BCJ filter OpenWrt's squashfs gets for a target's architecture.
fn bcj_filter(target: &str) -> Option<&'static str> {
    match target.split('-').next() {
        Some("x86_64" | "i586" | "i686") => Some("x86"),
        Some(arch) if arch.starts_with("arm") => Some("arm"),
        Some("powerpc") => Some("powerpc"),
        _ => None,
    }
}

fn stage_and_build(
    files: &[PathBuf],
    staging: &Path,
    image: &Path,
    bcj: Option<&str>,
) -> Result<u64, String> {
    let io = |path: &Path, e: std::io::Error| format!("{}: {e}", path.display());
    std::fs::create_dir_all(staging).map_err(|e| io(staging, e))?;
    for file in files {
        let name = file.file_name().unwrap_or_default().to_string_lossy();
        let placed = staging.join(install_path(&name));
        let dir = placed.parent().expect("install paths have a directory");
        std::fs::create_dir_all(dir).map_err(|e| io(dir, e))?;
        std::fs::copy(file, &placed).map_err(|e| io(file, e))?;
    }
    let mut cmd = Command::new("mksquashfs");
    cmd.arg(staging).arg(image).args(MKSQUASHFS_ARGS);
    if let Some(filter) = bcj {
        cmd.args(["-Xbcj", filter]);
    }
    let output = cmd
        .stdin(Stdio::null())
        .output()
        .map_err(|e| missing_tool("mksquashfs", "squashfs-tools", &e))?;
    if !output.status.success() {
        return Err(format!(
            "mksquashfs failed for {}: {}",
            image.display(),
            String::from_utf8_lossy(&output.stderr).trim()
        ));
    }
    Ok(std::fs::metadata(image).map_err(|e| io(image, e))?.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shared_objects_go_to_usr_lib() {
        assert_eq!(
            install_path("libpacketmark.so"),
            Path::new("usr/lib/libpacketmark.so")
        );
        assert_eq!(install_path("dns54"), Path::new("usr/sbin/dns54"));
    }

    #[test]
    fn xz_compresses_repetition_to_little() {
        let size = xz_estimate(&[7u8; 100_000]).unwrap();
        assert!(size > 0 && size < 200, "{size}");
    }
}
