use std::process::ExitCode;

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
