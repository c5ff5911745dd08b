//! Database faults, classified once. A lost connection, a server shutting down or
//! restarting, an exhausted pool or a serialization conflict is not a bug: the
//! request may succeed a moment later. [`classify`] recognises them anywhere in an
//! error's source chain (sqlx, mongodb, or a [`Failure`] that carried one across a
//! channel), the edge answers them `UNAVAILABLE` (HTTP 503, `Retry-After`), and
//! [`retry_once`] runs an idempotent operation a second time on a fresh connection.

use std::error::Error;
use std::future::Future;

/// Why an operation failed for reasons outside the request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// The connection was lost, or the server is shutting down, restarting or not
    /// reachable: a fresh connection may work at once.
    Lost,
    /// The pool or the server has no connection to spare: retrying at once only
    /// adds load.
    Saturated,
    /// A serialization failure or a deadlock: the transaction may simply be run again.
    Conflict,
}

impl Fault {
    /// Whether an idempotent operation should be tried once more right away.
    pub fn retry(self) -> bool {
        matches!(self, Fault::Lost | Fault::Conflict)
    }
}

/// The fault behind `err`, looking through its whole source chain.
pub fn classify(err: &(dyn Error + 'static)) -> Option<Fault> {
    let mut cause = Some(err);
    while let Some(current) = cause {
        if let Some(fault) = one(current) {
            return Some(fault);
        }
        cause = current.source();
    }
    None
}

fn one(err: &(dyn Error + 'static)) -> Option<Fault> {
    if let Some(failure) = err.downcast_ref::<Failure>() {
        return failure.fault;
    }
    if let Some(err) = err.downcast_ref::<sqlx::Error>() {
        return of_sqlx(err);
    }
    err.downcast_ref::<mongodb::error::Error>()
        .and_then(of_mongo)
}

/// PostgreSQL's SQLSTATEs for faults: class 08 (connection), 57P01..57P03 (admin or
/// crash shutdown, cannot connect now), 53300 (too many connections), 40001 and
/// 40P01 (serialization failure, deadlock).
fn of_sqlstate(code: &str) -> Option<Fault> {
    match code {
        "40001" | "40P01" => Some(Fault::Conflict),
        "53300" => Some(Fault::Saturated),
        "57P01" | "57P02" | "57P03" => Some(Fault::Lost),
        code if code.starts_with("08") => Some(Fault::Lost),
        _ => None,
    }
}

fn of_sqlx(err: &sqlx::Error) -> Option<Fault> {
    match err {
        sqlx::Error::Io(_)
        | sqlx::Error::Tls(_)
        | sqlx::Error::Protocol(_)
        | sqlx::Error::PoolClosed
        | sqlx::Error::WorkerCrashed => Some(Fault::Lost),
        sqlx::Error::PoolTimedOut => Some(Fault::Saturated),
        sqlx::Error::Database(db) => db.code().and_then(|code| of_sqlstate(&code)),
        _ => None,
    }
}

/// MongoDB's codes for a node that is recovering, shutting down or not primary.
const MONGO_LOST_CODES: [i32; 11] = [
    11600, 11602, 10107, 13435, 13436, 189, 91, 6, 89, 9001, 10058,
];

fn of_mongo(err: &mongodb::error::Error) -> Option<Fault> {
    use mongodb::error::ErrorKind;
    match err.kind.as_ref() {
        ErrorKind::Io(_)
        | ErrorKind::ConnectionPoolCleared { .. }
        | ErrorKind::ServerSelection { .. }
        | ErrorKind::DnsResolve { .. }
        | ErrorKind::Shutdown => Some(Fault::Lost),
        ErrorKind::Command(command) if MONGO_LOST_CODES.contains(&command.code) => {
            Some(Fault::Lost)
        }
        ErrorKind::Command(command) if command.code == 112 => Some(Fault::Conflict),
        _ if err.contains_label(mongodb::error::TRANSIENT_TRANSACTION_ERROR) => {
            Some(Fault::Conflict)
        }
        _ => None,
    }
}

/// A failure's text and its fault, for errors that must cross a channel to
/// several waiters (a batch's one error answers every request in it).
#[derive(Debug, Clone, thiserror::Error)]
#[error("{message}")]
pub struct Failure {
    pub message: String,
    pub fault: Option<Fault>,
}

impl Failure {
    pub fn of(err: &(dyn Error + 'static)) -> Self {
        Self {
            message: err.to_string(),
            fault: classify(err),
        }
    }

    /// A failure that is no database fault.
    pub fn internal(message: &str) -> Self {
        Self {
            message: message.to_string(),
            fault: None,
        }
    }
}

/// Whether `err` is a fault an idempotent operation should be retried after (and
/// logs that it will be).
pub fn worth_retrying(err: &(dyn Error + 'static)) -> bool {
    let retry = classify(err).is_some_and(Fault::retry);
    if retry {
        tracing::warn!(error = %err, "database fault; retrying once");
    }
    retry
}

/// Runs `op`, and once more when it failed with a fault worth retrying at once.
/// Only for idempotent operations (reads, and writes keyed so that a second run
/// finds the first one's result).
pub async fn retry_once<T, E, F, Fut>(mut op: F) -> Result<T, E>
where
    E: Error + 'static,
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, E>>,
{
    match op().await {
        Err(err) if worth_retrying(&err) => op().await,
        done => done,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sqlx_faults_are_recognised_through_wrappers() {
        #[derive(Debug, thiserror::Error)]
        #[error("wrapped")]
        struct Wrapped(#[source] Box<dyn Error + Send + Sync>);
        let lost = Wrapped(Box::new(sqlx::Error::Io(std::io::Error::other("reset"))));
        assert_eq!(classify(&lost), Some(Fault::Lost));
        let busy = Wrapped(Box::new(sqlx::Error::PoolTimedOut));
        assert_eq!(classify(&busy), Some(Fault::Saturated));
        assert!(!Fault::Saturated.retry());
        assert_eq!(classify(&sqlx::Error::RowNotFound), None);
        let failure = Failure::of(&sqlx::Error::PoolClosed);
        assert_eq!(classify(&Wrapped(Box::new(failure))), Some(Fault::Lost));
    }

    #[test]
    fn sqlstates_map_to_faults() {
        assert_eq!(of_sqlstate("08006"), Some(Fault::Lost));
        assert_eq!(of_sqlstate("57P01"), Some(Fault::Lost));
        assert_eq!(of_sqlstate("53300"), Some(Fault::Saturated));
        assert_eq!(of_sqlstate("40P01"), Some(Fault::Conflict));
        assert_eq!(of_sqlstate("23505"), None);
        assert_eq!(of_sqlstate("22021"), None);
    }

    #[tokio::test]
    async fn retry_once_runs_a_lost_operation_twice_and_no_more() {
        let mut calls = 0;
        let result: Result<(), sqlx::Error> = retry_once(|| {
            calls += 1;
            async { Err(sqlx::Error::Io(std::io::Error::other("reset"))) }
        })
        .await;
        assert!(result.is_err());
        assert_eq!(calls, 2);
        let mut calls = 0;
        let _: Result<(), sqlx::Error> = retry_once(|| {
            calls += 1;
            async { Err(sqlx::Error::RowNotFound) }
        })
        .await;
        assert_eq!(calls, 1);
    }
}
