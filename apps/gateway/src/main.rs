use std::process::ExitCode;

/// mimalloc: a request allocates and frees many small buffers across threads,
/// which glibc's allocator serves with locks and fragmentation.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> ExitCode {
    match souk_gateway::cli::run().await {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("souk: {err:#}");
            ExitCode::FAILURE
        }
    }
}
