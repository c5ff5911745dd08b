//! Input no client should send: control characters, absurd lengths, cursors that
//! decode to impossible times, and bodies that are not one GraphQL request. Each
//! is a typed client error naming what was wrong, never `INTERNAL`.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use reqwest::StatusCode;
use serde_json::{json, Value};
use souk_tenants::Role;

use crate::support::{code, TestApp};

/// Each string argument the storefront, admins and owners pass on to a database,
/// as `(token, document, variable name, argument it binds)`.
fn string_arguments(admin: &str, owner: &str) -> Vec<(Option<String>, &'static str, &'static str)> {
    let admin = Some(admin.to_string());
    let owner = Some(owner.to_string());
    vec![
        (
            None,
            "query($v: String!) { vendor(slug: $v) { name } }",
            "slug",
        ),
        (
            None,
            "query($v: String) { products(vendor: $v) { nodes { id } } }",
            "vendor",
        ),
        (
            None,
            "query($v: String) { products(search: $v) { nodes { id } } }",
            "search",
        ),
        (
            owner.clone(),
            "mutation($v: String!) { changePlan(plan: $v) { status } }",
            "plan",
        ),
        (
            admin.clone(),
            "query($v: String) { auditLog(action: $v) { nodes { id } } }",
            "action",
        ),
        (
            admin.clone(),
            "query($v: String) { auditLog(actor: $v) { nodes { id } } }",
            "actor",
        ),
        (
            admin.clone(),
            "query($v: String) { users(search: $v) { nodes { id } } }",
            "search",
        ),
        (
            admin.clone(),
            "query($v: String) { vendors(search: $v) { nodes { id } } }",
            "search",
        ),
        (
            admin.clone(),
            "mutation($v: String!) { retirePlan(code: $v) { code } }",
            "code",
        ),
        (
            owner,
            "query($v: String!) { stockItem(sku: $v) { sku } }",
            "sku",
        ),
        (
            admin,
            "mutation($v: String!) { createPlan(code: \"hostile\", input: { name: $v, price: 100, \
             currency: \"EUR\", includedRequests: 10, overagePerThousand: 1, ratePerSecond: 5, \
             burst: 10, overQuota: REJECT }) { code } }",
            "input.name",
        ),
    ]
}

fn assert_invalid(body: &Value, argument: &str) {
    assert_eq!(code(body), Some("INVALID_ARGUMENT"), "{body}");
    assert_eq!(
        body["errors"][0]["extensions"]["argument"], argument,
        "{body}"
    );
    assert!(
        body["errors"][0]["extensions"]["requestId"].is_string(),
        "{body}"
    );
}

#[tokio::test]
async fn control_characters_and_huge_strings_in_any_argument_are_refused_naming_it() {
    let app = TestApp::spawn().await;
    let admin = app.token(Role::PlatformAdmin, None);
    let owner = app.new_vendor().await;
    let cases = string_arguments(&admin, &owner);
    let mut refused = 0;
    for (token, query, argument) in &cases {
        for bad in ["a\u{0}b", "a\u{1b}[31m", "line\nbreak", &"x".repeat(20_000)] {
            let (status, body) = app.gql(token.as_deref(), query, json!({ "v": bad })).await;
            assert_eq!(status, StatusCode::OK, "{query}: {body}");
            assert_invalid(&body, argument);
            refused += 1;
        }
    }
    // The same with the NUL written inline in the document.
    let (_, body) = app
        .gql(None, "{ vendor(slug: \"a\\u0000b\") { name } }", json!({}))
        .await;
    assert_invalid(&body, "slug");
    println!("{refused} hostile string arguments refused as INVALID_ARGUMENT");
}

#[tokio::test]
async fn free_text_keeps_its_line_breaks_but_not_nul() {
    let app = TestApp::spawn().await;
    let owner = app.new_vendor().await;
    let create = "mutation($i: ProductInput!) { createProduct(input: $i) { description } }";
    let product = |title: &str, description: &str| {
        json!({ "i": {
            "title": title,
            "description": description,
            "price": { "amount": 500, "currency": "EUR" },
            "variants": [{ "sku": format!("{title}-1"), "options": [] }],
        }})
    };
    let prose = "Hand-made.\r\n\nWash cold;\tdry flat.";
    let (_, body) = app.gql(Some(&owner), create, product("MUG", prose)).await;
    assert_eq!(
        body["data"]["createProduct"]["description"], prose,
        "{body}"
    );
    let (_, body) = app
        .gql(Some(&owner), create, product("CUP", "nul\u{0}inside"))
        .await;
    assert_invalid(&body, "input.description");
    let (_, body) = app
        .gql(Some(&owner), create, product("BOWL\nBIG", "fine"))
        .await;
    assert_invalid(&body, "input.title");
}

fn cursor(text: &str) -> String {
    URL_SAFE_NO_PAD.encode(text)
}

#[tokio::test]
async fn cursors_that_decode_to_impossible_times_are_refused() {
    let app = TestApp::spawn().await;
    let admin = app.token(Role::PlatformAdmin, None);
    let id = uuid::Uuid::now_v7();
    let lists = [
        "query($a: String) { auditLog(after: $a) { nodes { id } } }",
        "query($a: String) { users(after: $a) { nodes { id } } }",
        "query($a: String) { vendors(after: $a) { nodes { id } } }",
    ];
    let times = [
        i64::MAX,
        i64::MIN,
        8_210_298_412_800_000_000,
        -210_866_803_200_000_001,
    ];
    for list in lists {
        for micros in times {
            let after = cursor(&format!("{micros}|{id}"));
            let (_, body) = app.gql(Some(&admin), list, json!({ "a": after })).await;
            assert_invalid(&body, "after");
        }
    }
    let storefront = "query($a: String) { products(after: $a) { nodes { id } } }";
    for millis in [i64::MAX, 253_402_300_800_000, -62_135_596_800_001] {
        let after = cursor(&format!("n|{millis}|{}", "0".repeat(24)));
        let (_, body) = app.gql(None, storefront, json!({ "a": after })).await;
        assert_invalid(&body, "after");
    }
}

async fn post_raw(app: &TestApp, content_type: &str, body: reqwest::Body) -> (StatusCode, Value) {
    let response = app
        .client
        .post(app.url("/graphql"))
        .header("content-type", content_type)
        .body(body)
        .send()
        .await
        .expect("send");
    let status = response.status();
    let header = response.headers()["x-request-id"]
        .to_str()
        .expect("ascii")
        .to_string();
    let body: Value = response.json().await.expect("a JSON error body");
    if body["errors"].is_array() {
        assert_eq!(
            body["errors"][0]["extensions"]["requestId"], header,
            "{body}"
        );
    }
    (status, body)
}

/// Posts `body` in 512-byte chunks without a `Content-Length`; the status and
/// the JSON body of the answer.
async fn post_chunked(app: &TestApp, body: &str) -> (u16, Value) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut stream = tokio::net::TcpStream::connect(app.addr)
        .await
        .expect("connect");
    let mut request = format!(
        "POST /graphql HTTP/1.1\r\nHost: {}\r\nContent-Type: application/json\r\n\
         Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n",
        app.addr
    );
    for chunk in body.as_bytes().chunks(512) {
        request.push_str(&format!(
            "{:x}\r\n{}\r\n",
            chunk.len(),
            String::from_utf8_lossy(chunk)
        ));
    }
    request.push_str("0\r\n\r\n");
    // The server may answer and close before reading everything.
    let _ = stream.write_all(request.as_bytes()).await;
    let mut answer = Vec::new();
    let _ = stream.read_to_end(&mut answer).await;
    let answer = String::from_utf8_lossy(&answer);
    let status = answer
        .split(' ')
        .nth(1)
        .and_then(|code| code.parse().ok())
        .expect("a status line");
    let json = answer.split("\r\n\r\n").nth(1).expect("a body");
    (
        status,
        serde_json::from_str(json).expect("a JSON error body"),
    )
}

#[tokio::test]
async fn malformed_bodies_get_the_json_error_shape_with_a_code_and_status() {
    let app = TestApp::spawn_with("max_body_bytes = 4096").await;
    let json_type = "application/json";
    let cases: Vec<(&str, String)> = vec![
        (json_type, "{".into()),
        (json_type, "null".into()),
        (json_type, "[]".into()),
        (json_type, "42".into()),
        (json_type, r#"{"query": 5}"#.into()),
        (
            json_type,
            r#"[{"query": "{ __typename }"}, {"query": "{ __typename }"}]"#.into(),
        ),
        (
            "multipart/form-data; boundary=xyz",
            "--xyz\r\nnot a part".into(),
        ),
        ("multipart/form-data", "no boundary".into()),
        ("not a/content type;;", "{}".into()),
    ];
    for (content_type, body) in cases {
        let (status, answer) = post_raw(&app, content_type, body.clone().into()).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}: {answer}");
        assert_eq!(code(&answer), Some("BAD_REQUEST"), "{body}: {answer}");
        let message = answer["errors"][0]["message"].as_str().expect("message");
        assert!(!message.contains("Error("), "no debug text: {message}");
    }

    let big = format!(
        r#"{{"query": "{{ __typename }}", "x": "{}"}}"#,
        "a".repeat(8192)
    );
    let (status, answer) = post_raw(&app, json_type, big.clone().into()).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "{answer}");
    assert_eq!(code(&answer), Some("PAYLOAD_TOO_LARGE"), "{answer}");

    let (status, answer) = post_chunked(&app, &big).await;
    assert_eq!(status, 413, "chunked: {answer}");
    assert_eq!(code(&answer), Some("PAYLOAD_TOO_LARGE"), "{answer}");
    assert!(answer["errors"][0]["extensions"]["requestId"].is_string());

    let (status, answer) = post_raw(&app, json_type, r#"{"query": "{ __typename }"}"#.into()).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        answer["data"]["__typename"], "Query",
        "a sane request still works"
    );
}

/// Writes `sent` (a request's head, perhaps with the start of its body), then
/// waits up to `wait` for the server: the answer's status line, `Some("")` when
/// it closed the connection without one, `None` when it did neither.
async fn answer_to_partial(
    app: &TestApp,
    sent: &[u8],
    wait: std::time::Duration,
) -> Option<String> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut stream = tokio::net::TcpStream::connect(app.addr)
        .await
        .expect("connect");
    stream.write_all(sent).await.expect("write");
    let mut answer = Vec::new();
    let mut buf = [0_u8; 1024];
    let read = tokio::time::timeout(wait, async {
        loop {
            match stream.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(n) => {
                    answer.extend_from_slice(&buf[..n]);
                    if answer.windows(2).any(|w| w == b"\r\n") {
                        break;
                    }
                }
            }
        }
    })
    .await;
    read.ok()?;
    let answer = String::from_utf8_lossy(&answer);
    Some(answer.lines().next().unwrap_or_default().to_string())
}

#[tokio::test]
async fn credentials_are_checked_before_a_body_is_read_and_slow_clients_are_cut_off() {
    let app =
        TestApp::spawn_with("header_read_timeout_secs = 1\nbody_read_timeout_secs = 2\n").await;
    let wait = std::time::Duration::from_secs(6);
    let multipart = |authorization: &str, length: usize, sent: usize| {
        format!(
            "POST /graphql HTTP/1.1\r\nHost: souk\r\n{authorization}\
             Content-Type: multipart/form-data; boundary=b\r\nContent-Length: {length}\r\n\r\n{}",
            "x".repeat(sent)
        )
    };
    // A bad token announcing a 9 MB upload, 1 KB of it sent: refused at once,
    // nothing more read.
    let line = answer_to_partial(
        &app,
        multipart("Authorization: Bearer garbage\r\n", 9_000_000, 1024).as_bytes(),
        wait,
    )
    .await;
    assert!(
        line.as_deref()
            .is_some_and(|l| l.starts_with("HTTP/1.1 401")),
        "{line:?}"
    );

    // A signed-in customer may not upload: its multipart body gets the JSON limit.
    let junk_upload = |token: String| {
        app.client
            .post(app.url("/graphql"))
            .bearer_auth(token)
            .header("content-type", "multipart/form-data; boundary=b")
            .body(vec![b'x'; 3_000_000])
            .send()
    };
    let customer = app.token(Role::Customer, None);
    let response = junk_upload(customer).await.expect("send");
    assert_eq!(response.status(), StatusCode::PAYLOAD_TOO_LARGE);
    // A vendor's is read whole (and then found not to be a request).
    let vendor = app.new_vendor().await;
    let response = junk_upload(vendor.clone()).await.expect("send");
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);

    // A body that trickles is answered 408 once its time is up.
    let auth = format!("Authorization: Bearer {vendor}\r\n");
    let line = answer_to_partial(&app, multipart(&auth, 100_000, 10).as_bytes(), wait).await;
    assert!(
        line.as_deref()
            .is_some_and(|l| l.starts_with("HTTP/1.1 408")),
        "{line:?}"
    );
    // A body that trickles to another route (a webhook): cut off as well.
    let webhook =
        "POST /webhooks/stripe HTTP/1.1\r\nHost: souk\r\nContent-Type: application/json\r\n\
                   Content-Length: 100000\r\n\r\n{\"id\":";
    let line = answer_to_partial(&app, webhook.as_bytes(), wait).await;
    assert!(line.is_some(), "a webhook body that never ends is cut off");
    // A head that trickles, or never starts: the connection is closed.
    for sent in [
        b"POST /graphql HTTP/1.1\r\nHost: souk\r\n".as_slice(),
        b"",
        b"P",
    ] {
        let line = answer_to_partial(&app, sent, wait).await;
        assert!(
            line.as_deref()
                .is_some_and(|l| l.is_empty() || l.starts_with("HTTP/1.1 408")),
            "{sent:?}: {line:?}"
        );
    }

    let (status, answer) = post_raw(
        &app,
        "application/json",
        r#"{"query": "{ __typename }"}"#.into(),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{answer}");
}
