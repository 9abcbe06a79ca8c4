//! The WebAssembly module's stack: 8 MiB rather than wasm-ld's 1 MiB, since the library's
//! recursion (parser, checker, evaluator) cannot grow its stack in the browser as it does
//! natively (`stacker`).

fn main() {
    if std::env::var("CARGO_CFG_TARGET_ARCH").as_deref() == Ok("wasm32") {
        println!("cargo:rustc-link-arg-cdylib=-zstack-size=8388608");
    }
}
