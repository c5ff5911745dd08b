//! Storefront reads that run to completion whatever happens to the request.
//!
//! The MongoDB driver closes a pooled connection whose command was abandoned
//! mid-flight, and leaves an abandoned checkout in its wait queue: a burst of
//! clients hanging up together leaves the next reads queued behind that churn.
//! A read run in a task of its own always finishes and hands its connection
//! back; the number of such tasks is bounded, so requests that hang up cannot
//! pile up work without limit (a request waiting for a slot starts nothing).

use souk_tenants::IntErr;
use std::future::Future;
use std::sync::{Arc, OnceLock};

use tokio::sync::Semaphore;

use crate::domain::InternalError;

/// Reads in flight at once, about the driver's pool times a few.
const MAX_IN_FLIGHT: usize = 64;

fn slots() -> Arc<Semaphore> {
    static SLOTS: OnceLock<Arc<Semaphore>> = OnceLock::new();
    SLOTS
        .get_or_init(|| Arc::new(Semaphore::new(MAX_IN_FLIGHT)))
        .clone()
}

/// Runs `read` in a task that outlives the caller, and waits for its answer.
pub async fn to_completion<T, F>(read: F) -> Result<T, InternalError>
where
    T: Send + 'static,
    F: Future<Output = Result<T, InternalError>> + Send + 'static,
{
    let slot = slots().acquire_owned().await.int_err()?;
    tokio::spawn(async move {
        let answer = read.await;
        drop(slot);
        answer
    })
    .await
    .int_err()?
}
