//! Compiles the gRPC contract with tonic-prost-build, using the vendored
//! `protoc` unless `PROTOC` points at another one (nothing is downloaded).
use std::{env, path::PathBuf};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let out_dir = PathBuf::from(env::var("OUT_DIR")?);
    let mut config = prost_build::Config::new();
    match env::var_os("PROTOC") {
        Some(protoc) => config.protoc_executable(protoc),
        None => config.protoc_executable(protoc_bin_vendored::protoc_bin_path()?),
    };
    let files = [
        "proto/swarm/v1/tasks.proto",
        "proto/swarm/v1/gateway.proto",
        "proto/swarm/v1/admin.proto",
    ];
    // `AgentGateway.Connect` would clash with the generated `Client::connect`
    // constructor: clients are built from a `Channel` with `Client::new`.
    tonic_prost_build::configure()
        .build_transport(false)
        .file_descriptor_set_path(out_dir.join("swarm_descriptor.bin"))
        .compile_with_config(config, &files, &["proto"])?;
    println!("cargo:rerun-if-env-changed=PROTOC");
    println!("cargo:rerun-if-changed=proto");
    Ok(())
}
