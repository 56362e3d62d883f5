//! What every example shares: logging, `ADDR`, serving until Ctrl-C.

use std::error::Error;

use axum::Router;
use tracing_subscriber::EnvFilter;

/// Logs with `RUST_LOG` (default `info`).
pub fn init_tracing() {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    tracing_subscriber::fmt().with_env_filter(filter).init();
}

/// Serves `app` on `ADDR` (default `127.0.0.1:3000`) until Ctrl-C.
pub async fn serve(app: Router) -> Result<(), Box<dyn Error>> {
    let addr = std::env::var("ADDR").unwrap_or_else(|_| "127.0.0.1:3000".to_owned());
    let listener = tokio::net::TcpListener::bind(&addr).await?;
    println!("listening on http://{}", listener.local_addr()?);
    axum::serve(listener, app)
        .with_graceful_shutdown(async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await?;
    Ok(())
}
