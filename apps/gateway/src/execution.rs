//! Running a GraphQL request so that a client hanging up cannot leave a write
//! half-done.
//!
//! A request's future is dropped when its client goes away, at whatever await it
//! had reached. For a query that only saves work. A mutation may be between the
//! steps of something that must finish as a whole (a checkout's saga between
//! writing its orders and reserving their stock, with its idempotency key still
//! claimed), so mutations run in a task of their own: they complete as if the
//! client had waited, and a retry sees their outcome. Queries stay in the
//! request's task and stop with it.

use async_graphql::parser::types::{DocumentOperations, OperationType};
use async_graphql::{ErrorExtensionValues, Request, Response, ServerError};
use souk_tenants::audit;
use tracing::Instrument;

use crate::graphql::SoukSchema;

/// Executes `request` in `audit`'s scope; a mutation runs to its end even if the
/// caller stops waiting.
pub async fn execute(
    schema: &SoukSchema,
    mut request: Request,
    context: Option<audit::Context>,
) -> Response {
    if !writes(&mut request) {
        return audit::scope(context, schema.execute(request)).await;
    }
    let schema = schema.clone();
    let work = audit::scope(context, async move { schema.execute(request).await });
    match tokio::spawn(work.instrument(tracing::Span::current())).await {
        Ok(response) => response,
        Err(err) => {
            tracing::error!(error = %err, "a mutation's task failed");
            let mut error = ServerError::new(
                "something went wrong on our side; quote the request id if you report it",
                None,
            );
            let mut extensions = ErrorExtensionValues::default();
            extensions.set("code", "INTERNAL");
            error.extensions = Some(extensions);
            Response::from_errors(vec![error])
        }
    }
}

/// Whether the document holds a mutation. The parsed document is kept in the
/// request, so the schema does not parse it again; a document that does not
/// parse is left to the schema to refuse.
fn writes(request: &mut Request) -> bool {
    let Ok(document) = request.parsed_query() else {
        return false;
    };
    match &document.operations {
        DocumentOperations::Single(operation) => operation.node.ty == OperationType::Mutation,
        DocumentOperations::Multiple(operations) => operations
            .values()
            .any(|operation| operation.node.ty == OperationType::Mutation),
    }
}
