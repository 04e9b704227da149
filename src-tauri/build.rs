//! tauri.conf.json lives at the repository root (one config for the CLI, the bundler and
//! this crate), so point tauri-build at it instead of the default `src-tauri/tauri.conf.json`.
fn main() {
    println!("cargo:rerun-if-changed=../tauri.conf.json");
    println!("cargo:rerun-if-changed=capabilities");
    tauri_build::try_build(tauri_build::Attributes::new().config_path("../tauri.conf.json"))
        .expect("tauri-build failed");
}
