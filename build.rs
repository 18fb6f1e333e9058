// Give the shared library a versioned SONAME (libnumcodecs.so.0) so that C programs link against the
// ABI major version, not against whatever libnumcodecs.so happens to be installed.
fn main() {
    let target_os = std::env::var("CARGO_CFG_TARGET_OS").unwrap_or_default();
    let major = std::env::var("CARGO_PKG_VERSION_MAJOR").unwrap_or_else(|_| "0".into());
    if target_os == "linux" || target_os == "freebsd" || target_os == "netbsd" || target_os == "openbsd" {
        println!("cargo:rustc-cdylib-link-arg=-Wl,-soname,libnumcodecs.so.{major}");
    } else if target_os == "macos" {
        println!("cargo:rustc-cdylib-link-arg=-Wl,-install_name,@rpath/libnumcodecs.{major}.dylib");
    }
    println!("cargo:rerun-if-changed=build.rs");
}
