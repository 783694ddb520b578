//! Serve ecospace's HTTP API from your own program: build the state from a dataset and the
//! limits you want, and mount the router (`ecospace::app`) under a prefix of your axum app.
//!
//! ```text
//! cargo run --example embed_service      # then: curl localhost:3000/eco/health
//! ```

use ecospace::{app, AppState, Dataset, Limits, WebConfig};
use std::sync::Arc;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let limits = Limits {
        max_batch: 1000,
        ..Limits::default()
    };
    let state = Arc::new(AppState::new(
        Dataset::bundled()?,
        limits,
        WebConfig::default(),
    ));
    let router = axum::Router::new()
        .route("/", axum::routing::get(|| async { "my planning portal" }))
        .nest("/eco", app(state));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:3000").await?;
    println!("listening on http://{}", listener.local_addr()?);
    axum::serve(listener, router).await?;
    Ok(())
}
