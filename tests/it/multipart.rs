//! A GraphQL multipart request (the `graphql-multipart-request-spec`): the
//! operation, the map naming `$f` and one file. Shared by the tests and the
//! benches, which send uploads the way the dashboard does.

/// The `Content-Type` and body of `operations` (a GraphQL request whose
/// `variables.f` is the upload) carrying `file` as `filename`.
pub fn upload_request(
    operations: &serde_json::Value,
    file: &[u8],
    filename: &str,
    content_type: &str,
) -> (String, Vec<u8>) {
    let boundary = format!("souk-upload-{}", uuid::Uuid::new_v4().simple());
    let mut operations = operations.clone();
    operations["variables"]["f"] = serde_json::Value::Null;
    let mut body = Vec::new();
    for (name, value) in [
        ("operations", operations.to_string()),
        ("map", r#"{"0": ["variables.f"]}"#.to_string()),
    ] {
        body.extend_from_slice(
            format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n"
            )
            .as_bytes(),
        );
    }
    body.extend_from_slice(
        format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"0\"; filename=\"{filename}\"\r\nContent-Type: {content_type}\r\n\r\n"
        )
        .as_bytes(),
    );
    body.extend_from_slice(file);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}
