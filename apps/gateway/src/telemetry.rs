//! Logs (JSON through `tracing`) and Prometheus metrics.

use std::collections::HashSet;
use std::sync::{Mutex, OnceLock};

use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};
use tracing_subscriber::EnvFilter;

use crate::config::LogFormat;

/// Installs the global log subscriber (`RUST_LOG` filters; default `info`). A second
/// call is a no-op.
pub fn init_tracing(format: LogFormat) {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    let _ = match format {
        LogFormat::Json => builder
            .json()
            .flatten_event(true)
            .with_current_span(true)
            .with_span_list(false)
            .try_init(),
        LogFormat::Pretty => builder.try_init(),
    };
}

const LATENCY_BUCKETS: &[f64] = &[
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

/// The process-wide Prometheus recorder (installed on first use).
pub fn metrics() -> PrometheusHandle {
    static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
    HANDLE
        .get_or_init(|| {
            let builder = PrometheusBuilder::new()
                .set_buckets_for_metric(Matcher::Suffix("duration_seconds".into()), LATENCY_BUCKETS)
                .unwrap_or_else(|_| PrometheusBuilder::new());
            let recorder = builder.build_recorder();
            let handle = recorder.handle();
            // Another recorder may already be installed (a test binary running two
            // apps); the handle still renders this one's metrics.
            let _ = metrics::set_global_recorder(recorder);
            handle
        })
        .clone()
}

/// Bounds the `operation` label: names are the client's to choose, so only the
/// first [`OperationLabels::MAX`] distinct, well-formed names get their own series.
#[derive(Debug, Default)]
pub struct OperationLabels {
    seen: Mutex<HashSet<String>>,
}

impl OperationLabels {
    pub const MAX: usize = 500;

    pub fn label(&self, name: Option<&str>) -> String {
        let Some(name) = name.filter(|name| {
            !name.is_empty()
                && name.len() <= 64
                && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        }) else {
            return "anonymous".into();
        };
        let Ok(mut seen) = self.seen.lock() else {
            return "other".into();
        };
        if seen.contains(name) || seen.len() < Self::MAX {
            seen.insert(name.to_string());
            name.to_string()
        } else {
            "other".into()
        }
    }
}

/// The name of the operation a GraphQL document runs: the request's
/// `operationName`, else the name of the document's first operation.
pub fn operation_name<'a>(operation_name: Option<&'a str>, query: &'a str) -> Option<&'a str> {
    if operation_name.is_some() {
        return operation_name;
    }
    let rest = query.trim_start();
    let rest = ["query", "mutation", "subscription"]
        .iter()
        .find_map(|keyword| rest.strip_prefix(keyword))?
        .trim_start();
    let end = rest
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .unwrap_or(rest.len());
    Some(&rest[..end]).filter(|name| !name.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn operation_names_come_from_the_request_or_the_document() {
        assert_eq!(operation_name(Some("A"), "query B { x }"), Some("A"));
        assert_eq!(
            operation_name(None, "  query Stock($s: String!) { x }"),
            Some("Stock")
        );
        assert_eq!(operation_name(None, "mutation Adjust{ x }"), Some("Adjust"));
        assert_eq!(operation_name(None, "{ x }"), None);
        assert_eq!(operation_name(None, "query { x }"), None);
    }

    #[test]
    fn labels_are_bounded() {
        let labels = OperationLabels::default();
        assert_eq!(labels.label(Some("bad name!")), "anonymous");
        for i in 0..OperationLabels::MAX {
            assert_eq!(labels.label(Some(&format!("op{i}"))), format!("op{i}"));
        }
        assert_eq!(labels.label(Some("one_too_many")), "other");
        assert_eq!(labels.label(Some("op1")), "op1");
    }
}
