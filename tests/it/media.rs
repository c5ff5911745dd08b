//! Product images through the public API: GraphQL multipart uploads, the files
//! served with their caching headers, the storefront's batched reads, hostile
//! files and another vendor's reach.

use std::io::Cursor;

use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::support::{code, published_product, TestApp};

const UPLOAD: &str = "mutation($p: ID!, $f: Upload!, $alt: String, $sku: String) {
    uploadProductImage(productId: $p, file: $f, alt: $alt, variantSku: $sku) {
        id url small: url(width: 200) srcset alt width height variantSku position } }";

/// A PNG of `width` × `height` pixels, its colours seeded by `seed`.
fn png(width: u32, height: u32, seed: u8) -> Vec<u8> {
    let image = image::RgbImage::from_fn(width, height, |x, y| {
        image::Rgb([(x % 251) as u8 ^ seed, (y % 241) as u8, seed])
    });
    let mut out = Cursor::new(Vec::new());
    image::DynamicImage::ImageRgb8(image)
        .write_to(&mut out, image::ImageFormat::Png)
        .expect("png");
    out.into_inner()
}

/// A PNG of noise (it does not compress): about 3 bytes a pixel.
fn noise_png(width: u32, height: u32) -> Vec<u8> {
    let mut state = 0x9E37_79B9_u32;
    let image = image::RgbImage::from_fn(width, height, |_, _| {
        state ^= state << 13;
        state ^= state >> 17;
        state ^= state << 5;
        let [a, b, c, _] = state.to_le_bytes();
        image::Rgb([a, b, c])
    });
    let mut out = Cursor::new(Vec::new());
    image::DynamicImage::ImageRgb8(image)
        .write_to(&mut out, image::ImageFormat::Png)
        .expect("png");
    out.into_inner()
}

/// Sends `query` as a GraphQL multipart request with `file` as `$f`.
async fn upload_with(
    app: &TestApp,
    token: &str,
    query: &str,
    variables: Value,
    file: &[u8],
) -> (StatusCode, Value) {
    let (content_type, body) = crate::multipart::upload_request(
        &json!({ "query": query, "variables": variables }),
        file,
        "photo.png",
        "image/png",
    );
    let response = app
        .client
        .post(app.url("/graphql"))
        .bearer_auth(token)
        .header("content-type", content_type)
        .body(body)
        .send()
        .await
        .expect("send");
    let status = response.status();
    let body = response.json().await.unwrap_or(Value::Null);
    (status, body)
}

async fn upload(app: &TestApp, token: &str, product: &str, file: &[u8]) -> Value {
    upload_with(
        app,
        token,
        UPLOAD,
        json!({ "p": product, "alt": "A linen tee" }),
        file,
    )
    .await
    .1
}

/// A published product of the vendor with one variant `sku`; its id.
async fn product(app: &TestApp, token: &str, title: &str, sku: &str) -> String {
    let input = json!({ "title": title, "price": { "amount": 2400, "currency": "EUR" },
                        "variants": [{ "sku": sku, "initialStock": 5 }] });
    published_product(app, token, input).await
}

async fn get(app: &TestApp, path: &str, etag: Option<&str>) -> reqwest::Response {
    let mut request = app.client.get(app.url(path));
    if let Some(etag) = etag {
        request = request.header("if-none-match", etag);
    }
    request.send().await.expect("send")
}

async fn image_batches(app: &TestApp) -> f64 {
    let text = get(app, "/metrics", None).await.text().await.expect("text");
    text.lines()
        .find(|l| l.starts_with("souk_image_batches_total"))
        .and_then(|l| l.split_whitespace().last())
        .and_then(|v| v.parse().ok())
        .unwrap_or(0.0)
}

#[tokio::test]
async fn an_uploaded_image_is_served_resized_cached_for_good_and_shown_in_the_storefront() {
    let app = TestApp::spawn().await;
    let vendor = app.new_vendor().await;
    let tee = product(&app, &vendor, "Linen tee", "TEE-1").await;
    let body = upload(&app, &vendor, &tee, &png(1600, 1000, 7)).await;
    let image = &body["data"]["uploadProductImage"];
    assert!(code(&body).is_none(), "{body}");
    assert_eq!(
        (image["width"].as_i64(), image["height"].as_i64()),
        (Some(1600), Some(1000))
    );
    assert_eq!(image["alt"], "A linen tee");
    assert_eq!(image["position"], 0);
    let small = image["small"].as_str().expect("url").to_string();
    assert!(
        small.ends_with("/w480.webp"),
        "the narrowest at least 200 wide: {small}"
    );
    assert_eq!(
        image["srcset"].as_str().map(|s| s.matches("w, ").count()),
        Some(2),
        "three renditions: {image}"
    );

    let served = get(&app, &small, None).await;
    assert_eq!(served.status(), StatusCode::OK);
    let headers = served.headers().clone();
    assert_eq!(headers["content-type"], "image/webp");
    assert_eq!(
        headers["cache-control"],
        "public, max-age=31536000, immutable"
    );
    let etag = headers["etag"].to_str().expect("etag").to_string();
    let length: usize = headers["content-length"]
        .to_str()
        .ok()
        .and_then(|v| v.parse().ok())
        .expect("a content length");
    let bytes = served.bytes().await.expect("bytes");
    assert_eq!(bytes.len(), length);
    let decoded = image::load_from_memory(&bytes).expect("a webp");
    assert_eq!((decoded.width(), decoded.height()), (480, 300));
    for tag in [
        etag.clone(),
        format!("W/{etag}"),
        format!("\"other\", {etag}"),
        "*".into(),
    ] {
        let again = get(&app, &small, Some(&tag)).await;
        assert_eq!(again.status(), StatusCode::NOT_MODIFIED, "{tag}");
        assert_eq!(
            again.headers()["cache-control"],
            "public, max-age=31536000, immutable"
        );
    }
    // Not modified only when there is a file: a made-up name is not found,
    // whatever tag comes with it.
    let hash = small.split('/').nth(3).expect("hash").to_string();
    let made_up = small.replace(&hash, &"0".repeat(64));
    let made_up_etag = etag.replace(&hash, &"0".repeat(64));
    assert_eq!(
        get(&app, &made_up, Some(&made_up_etag)).await.status(),
        StatusCode::NOT_FOUND
    );
    let original = get(&app, image["url"].as_str().expect("url"), None).await;
    assert_eq!(original.headers()["content-type"], "image/png");
    for bad in [
        "/media/x",
        "/media/../../etc/passwd",
        "/media/0190a1b2-0000-7000-8000-0000000000aa/abc/w480.webp",
    ] {
        assert_eq!(
            get(&app, bad, None).await.status(),
            StatusCode::NOT_FOUND,
            "{bad}"
        );
    }

    // The storefront's list: every product's first image, in one batch.
    let other = app.new_vendor().await;
    for n in 0..4 {
        let id = product(&app, &other, &format!("Mug {n}"), &format!("MUG-{n}")).await;
        let body = upload(&app, &other, &id, &png(300, 300, n)).await;
        assert!(code(&body).is_none(), "{body}");
    }
    let list = "{ products(first: 20) { edges { node { title images(first: 1) { url(width: 160) alt } } } } }";
    let mut deltas = Vec::new();
    for _ in 0..3 {
        let before = image_batches(&app).await;
        let (_, body) = app.gql(None, list, json!({})).await;
        let edges = body["data"]["products"]["edges"]
            .as_array()
            .expect("edges")
            .clone();
        assert_eq!(edges.len(), 5, "{body}");
        assert!(
            edges.iter().all(|e| e["node"]["images"][0]["url"]
                .as_str()
                .is_some_and(|u| u.ends_with("/w160.webp"))),
            "{body}"
        );
        deltas.push(image_batches(&app).await - before);
    }
    assert_eq!(
        deltas.iter().copied().fold(f64::MAX, f64::min),
        1.0,
        "five products' images in one batch: {deltas:?}"
    );
}

#[tokio::test]
async fn files_that_are_not_images_or_too_big_are_refused_and_change_nothing() {
    let app = TestApp::spawn_with("media_max_bytes = 20000").await;
    let vendor = app.new_vendor().await;
    let tee = product(&app, &vendor, "Linen tee", "TEE-1").await;
    let mut truncated = png(64, 64, 1);
    truncated.truncate(60);
    let cases: [(&str, Vec<u8>); 6] = [
        (
            "UNSUPPORTED_MEDIA",
            b"GIF89a\x01\x00\x01\x00\x80\x00\x00".to_vec(),
        ),
        (
            "UNSUPPORTED_MEDIA",
            b"<svg xmlns='http://www.w3.org/2000/svg' onload='alert(1)'/>".to_vec(),
        ),
        ("UNSUPPORTED_MEDIA", b"#!/bin/sh\nrm -rf /\n".to_vec()),
        ("UNSUPPORTED_MEDIA", Vec::new()),
        ("INVALID_IMAGE", truncated),
        ("MEDIA_TOO_LARGE", noise_png(100, 100)),
    ];
    for (expected, file) in cases {
        let body = upload(&app, &vendor, &tee, &file).await;
        assert_eq!(code(&body), Some(expected), "{body}");
    }
    // Far over the limit: refused before the body is read.
    let (status, body) = upload_with(
        &app,
        &vendor,
        UPLOAD,
        json!({ "p": tee }),
        &noise_png(300, 300),
    )
    .await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "{body}");
    // Two uploads in one request: each is most of a request's budget.
    let twice = "mutation($p: ID!, $f: Upload!) { a: uploadProductImage(productId: $p, file: $f) { id } b: uploadProductImage(productId: $p, file: $f) { id } }";
    let body = upload_with(&app, &vendor, twice, json!({ "p": tee }), &png(8, 8, 1))
        .await
        .1;
    assert_eq!(code(&body), Some("QUERY_TOO_COMPLEX"), "{body}");
    // A header claiming 60000 × 60000 pixels.
    let mut huge = png(2, 2, 3);
    huge[16..20].copy_from_slice(&60_000_u32.to_be_bytes());
    huge[20..24].copy_from_slice(&60_000_u32.to_be_bytes());
    let body = upload(&app, &vendor, &tee, &huge).await;
    assert!(
        matches!(code(&body), Some("IMAGE_TOO_LARGE") | Some("INVALID_IMAGE")),
        "{body}"
    );
    let (_, body) = app
        .gql(
            Some(&vendor),
            "query($id: ID!) { vendorProduct(id: $id) { images { id } } }",
            json!({ "id": tee }),
        )
        .await;
    assert_eq!(
        body["data"]["vendorProduct"]["images"],
        json!([]),
        "nothing was kept: {body}"
    );
    let body = upload_with(
        &app,
        &vendor,
        UPLOAD,
        json!({ "p": tee, "alt": "x".repeat(301) }),
        &png(8, 8, 1),
    )
    .await
    .1;
    assert_eq!(code(&body), Some("INVALID_ARGUMENT"), "{body}");
    let body = upload_with(
        &app,
        &vendor,
        UPLOAD,
        json!({ "p": tee, "sku": "NOT-MINE" }),
        &png(8, 8, 1),
    )
    .await
    .1;
    assert_eq!(code(&body), Some("INVALID_ARGUMENT"), "{body}");
}

#[tokio::test]
async fn another_vendor_can_neither_see_change_nor_delete_an_image_and_the_database_agrees() {
    let app = TestApp::spawn().await;
    let owner = app.new_vendor().await;
    let rival = app.new_vendor().await;
    let tee = product(&app, &owner, "Linen tee", "TEE-1").await;
    let body = upload(&app, &owner, &tee, &png(320, 200, 5)).await;
    let image = body["data"]["uploadProductImage"]["id"]
        .as_str()
        .unwrap_or_else(|| panic!("{body}"))
        .to_string();

    let body = upload(&app, &rival, &tee, &png(320, 200, 6)).await;
    assert_eq!(code(&body), Some("NOT_FOUND"), "{body}");
    for (query, variables) in [
        (
            "mutation($id: ID!) { updateProductImage(id: $id, alt: \"mine now\") { id } }",
            json!({ "id": image }),
        ),
        (
            "mutation($id: ID!) { deleteProductImage(id: $id) }",
            json!({ "id": image }),
        ),
        (
            "mutation($p: ID!, $ids: [ID!]!) { reorderProductImages(productId: $p, imageIds: $ids) { id } }",
            json!({ "p": tee, "ids": [image] }),
        ),
    ] {
        let (_, body) = app.gql(Some(&rival), query, variables).await;
        assert_eq!(code(&body), Some("NOT_FOUND"), "{body}");
    }
    let customer = app.token(souk_tenants::Role::Customer, None);
    let (_, body) = app
        .gql(
            Some(&customer),
            "mutation($id: ID!) { deleteProductImage(id: $id) }",
            json!({ "id": image }),
        )
        .await;
    assert!(code(&body).is_some(), "a customer deletes nothing: {body}");

    // Through the database: the app role in the rival's scope sees no row.
    let rival_tenant = sqlx::query_scalar::<_, uuid::Uuid>(
        "SELECT id FROM tenancy.tenants ORDER BY created_at DESC LIMIT 1",
    )
    .fetch_one(&app.db.owner)
    .await
    .expect("tenant");
    let mut tx =
        souk_tenants::TenantTx::begin(&app.db.app, souk_tenants::TenantId::from_uuid(rival_tenant))
            .await
            .expect("scope");
    let seen: i64 = sqlx::query_scalar("SELECT count(*) FROM media.images")
        .fetch_one(&mut *tx)
        .await
        .expect("count");
    let touched = sqlx::query("UPDATE media.images SET alt = 'x'")
        .execute(&mut *tx)
        .await
        .expect("update")
        .rows_affected();
    assert_eq!((seen, touched), (0, 0));
    tx.rollback().await.expect("rollback");

    let (_, body) = app
        .gql(
            Some(&owner),
            "query($id: ID!) { vendorProduct(id: $id) { images { id alt } } }",
            json!({ "id": tee }),
        )
        .await;
    assert_eq!(
        body["data"]["vendorProduct"]["images"],
        json!([{ "id": image, "alt": "A linen tee" }]),
        "{body}"
    );
}

#[tokio::test]
async fn concurrent_uploads_stop_at_twenty_and_reorder_and_delete_keep_the_files_right() {
    let app = TestApp::spawn().await;
    let vendor = app.new_vendor().await;
    let tee = product(&app, &vendor, "Linen tee", "TEE-1").await;
    let files: Vec<Vec<u8>> = (0..25).map(|n| png(40, 30, n)).collect();
    let answers =
        futures::future::join_all(files.iter().map(|file| upload(&app, &vendor, &tee, file))).await;
    let kept: Vec<String> = answers
        .iter()
        .filter_map(|b| {
            b["data"]["uploadProductImage"]["id"]
                .as_str()
                .map(str::to_string)
        })
        .collect();
    let refused = answers
        .iter()
        .filter(|b| code(b) == Some("TOO_MANY_IMAGES"))
        .count();
    assert_eq!((kept.len(), refused), (20, 5), "{answers:?}");

    let images = "query($id: ID!) { vendorProduct(id: $id) { images { id url position } } }";
    let (_, body) = app.gql(Some(&vendor), images, json!({ "id": tee })).await;
    let listed: Vec<String> = body["data"]["vendorProduct"]["images"]
        .as_array()
        .expect("images")
        .iter()
        .map(|i| i["id"].as_str().expect("id").to_string())
        .collect();
    assert_eq!(listed.len(), 20);
    let mut reversed = listed.clone();
    reversed.reverse();
    let reorder = "mutation($p: ID!, $ids: [ID!]!) { reorderProductImages(productId: $p, imageIds: $ids) { id position } }";
    let (_, body) = app
        .gql(Some(&vendor), reorder, json!({ "p": tee, "ids": reversed }))
        .await;
    let order: Vec<&str> = body["data"]["reorderProductImages"]
        .as_array()
        .expect("images")
        .iter()
        .map(|i| i["id"].as_str().expect("id"))
        .collect();
    assert_eq!(
        order,
        reversed.iter().map(String::as_str).collect::<Vec<_>>()
    );
    let (_, body) = app
        .gql(
            Some(&vendor),
            reorder,
            json!({ "p": tee, "ids": &reversed[..19] }),
        )
        .await;
    assert_eq!(
        code(&body),
        Some("INVALID_ARGUMENT"),
        "all of them or none: {body}"
    );

    let (_, body) = app
        .gql(
            Some(&vendor),
            "mutation($id: ID!) { updateProductImage(id: $id, alt: \"  Front, folded  \") { id alt } }",
            json!({ "id": reversed[0] }),
        )
        .await;
    assert_eq!(
        body["data"]["updateProductImage"]["alt"], "Front, folded",
        "{body}"
    );

    // Deleting the first leaves the rest in order, numbered from 0 again.
    let (_, body) = app
        .gql(
            Some(&vendor),
            "mutation($id: ID!) { deleteProductImage(id: $id) }",
            json!({ "id": reversed[0] }),
        )
        .await;
    assert_eq!(
        body["data"]["deleteProductImage"],
        reversed[0].as_str(),
        "{body}"
    );
    let (_, body) = app.gql(Some(&vendor), images, json!({ "id": tee })).await;
    let left: Vec<(String, i64)> = body["data"]["vendorProduct"]["images"]
        .as_array()
        .expect("images")
        .iter()
        .map(|i| {
            (
                i["id"].as_str().expect("id").to_string(),
                i["position"].as_i64().expect("position"),
            )
        })
        .collect();
    let expected: Vec<(String, i64)> = reversed[1..].iter().cloned().zip(0..).collect();
    assert_eq!(left, expected);

    // An image of one variant shows under that variant only.
    let (_, body) = app
        .gql(
            Some(&vendor),
            "mutation($i: ProductInput!) { createProduct(input: $i) { id } }",
            json!({ "i": { "title": "Socks", "price": { "amount": 900, "currency": "EUR" },
                           "variants": [{ "sku": "SOCK-S", "initialStock": 1 }, { "sku": "SOCK-L", "initialStock": 1 }] } }),
        )
        .await;
    let socks = body["data"]["createProduct"]["id"]
        .as_str()
        .expect("id")
        .to_string();
    let body = upload_with(
        &app,
        &vendor,
        UPLOAD,
        json!({ "p": socks, "sku": "SOCK-L", "alt": "Large" }),
        &png(60, 40, 77),
    )
    .await
    .1;
    assert_eq!(
        body["data"]["uploadProductImage"]["variantSku"], "SOCK-L",
        "{body}"
    );
    let (_, body) = app
        .gql(
            Some(&vendor),
            "query($id: ID!) { vendorProduct(id: $id) { images { alt } variants { sku images { alt } } } }",
            json!({ "id": socks }),
        )
        .await;
    assert_eq!(
        body["data"]["vendorProduct"],
        json!({ "images": [{ "alt": "Large" }], "variants": [
            { "sku": "SOCK-S", "images": [] }, { "sku": "SOCK-L", "images": [{ "alt": "Large" }] }] }),
        "{body}"
    );
    // Its variant removed, the image shows the product as a whole.
    let (_, body) = app
        .gql(
            Some(&vendor),
            "mutation($id: ID!, $i: ProductInput!) { updateProduct(id: $id, version: 1, input: $i) { images { alt variantSku } } }",
            json!({ "id": socks, "i": { "title": "Socks", "price": { "amount": 900, "currency": "EUR" },
                                        "variants": [{ "sku": "SOCK-S" }] } }),
        )
        .await;
    assert_eq!(
        body["data"]["updateProduct"]["images"],
        json!([{ "alt": "Large", "variantSku": null }]),
        "{body}"
    );

    // A deleted product's images go with it.
    let (_, listed) = app
        .gql(
            Some(&vendor),
            "query($id: ID!) { vendorProduct(id: $id) { images { url } } }",
            json!({ "id": socks }),
        )
        .await;
    let sock_url = listed["data"]["vendorProduct"]["images"][0]["url"]
        .as_str()
        .expect("url")
        .to_string();
    assert_eq!(get(&app, &sock_url, None).await.status(), StatusCode::OK);
    let (_, body) = app
        .gql(
            Some(&vendor),
            "mutation($id: ID!) { deleteProduct(id: $id) }",
            json!({ "id": socks }),
        )
        .await;
    assert_eq!(body["data"]["deleteProduct"], true, "{body}");
    assert_eq!(
        get(&app, &sock_url, None).await.status(),
        StatusCode::NOT_FOUND
    );

    // The same picture twice is one set of files: they go with the last image.
    let twin = png(50, 50, 200);
    let other = product(&app, &vendor, "Mug", "MUG-1").await;
    let first = upload(&app, &vendor, &other, &twin).await;
    let second = upload(&app, &vendor, &other, &twin).await;
    let url = first["data"]["uploadProductImage"]["url"]
        .as_str()
        .expect("url")
        .to_string();
    assert_eq!(second["data"]["uploadProductImage"]["url"], url.as_str());
    let delete = "mutation($id: ID!) { deleteProductImage(id: $id) }";
    for (answer, still_there) in [(&first, true), (&second, false)] {
        let id = answer["data"]["uploadProductImage"]["id"]
            .as_str()
            .expect("id");
        let (_, body) = app.gql(Some(&vendor), delete, json!({ "id": id })).await;
        assert_eq!(body["data"]["deleteProductImage"], id, "{body}");
        let status = get(&app, &url, None).await.status();
        assert_eq!(status == StatusCode::OK, still_there, "{status}");
    }
    let (_, body) = app
        .gql(
            Some(&vendor),
            delete,
            json!({ "id": first["data"]["uploadProductImage"]["id"] }),
        )
        .await;
    assert_eq!(code(&body), Some("NOT_FOUND"), "{body}");
}

/// Sets a file's last write back by two hours, as if written long ago.
fn age(path: &std::path::Path) {
    let then = std::time::SystemTime::now() - std::time::Duration::from_secs(7200);
    std::fs::File::options()
        .write(true)
        .open(path)
        .and_then(|f| f.set_modified(then))
        .expect("set the file's time");
}

#[tokio::test]
async fn files_an_interrupted_upload_left_are_swept_and_images_in_use_stay() {
    let dir = std::env::temp_dir().join(format!("souk-media-{}", uuid::Uuid::new_v4()));
    let app = TestApp::spawn_with(&format!(
        "media_dir = '{}'\nmedia_sweep_interval_secs = 1\n",
        dir.display()
    ))
    .await;
    let vendor = app.new_vendor().await;
    let tee = product(&app, &vendor, "Linen tee", "TEE-1").await;
    let body = upload(&app, &vendor, &tee, &png(200, 100, 3)).await;
    let url = body["data"]["uploadProductImage"]["url"]
        .as_str()
        .expect("url")
        .to_string();
    // `/media/{tenant}/{hash}/original.png`
    let key = url.trim_start_matches("/media/").to_string();
    let tenant = key.split('/').next().expect("tenant").to_string();
    let kept = dir.join(key.rsplit_once('/').expect("folder").0);
    for file in std::fs::read_dir(&kept).expect("the image's files") {
        age(&file.expect("file").path());
    }

    // What an upload leaves when it stops between storing its files and
    // committing its row (a crash, a lost connection): files no row names.
    let orphan = |hash: char| {
        let folder = dir.join(&tenant).join(hash.to_string().repeat(64));
        std::fs::create_dir_all(&folder).expect("folder");
        for name in ["original.png", "w160.webp"] {
            std::fs::write(folder.join(name), b"left behind").expect("write");
        }
        folder
    };
    let old = orphan('a');
    for name in ["original.png", "w160.webp"] {
        age(&old.join(name));
    }
    let fresh = orphan('b');
    let old_url = format!("/media/{tenant}/{}/original.png", "a".repeat(64));

    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(15);
    while old.join("original.png").exists() && std::time::Instant::now() < deadline {
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    assert!(
        !old.join("original.png").exists() && !old.join("w160.webp").exists(),
        "an old orphan is swept"
    );
    assert_eq!(
        get(&app, &old_url, None).await.status(),
        StatusCode::NOT_FOUND
    );
    assert!(
        fresh.join("original.png").exists(),
        "files written within the hour may be an upload in flight"
    );
    let served = get(&app, &url, None).await;
    assert_eq!(served.status(), StatusCode::OK, "an image in use stays");
    let bytes = served.bytes().await.expect("bytes");
    assert_eq!(image::load_from_memory(&bytes).expect("a png").width(), 200);
    let (_, body) = app
        .gql(
            Some(&vendor),
            "query($id: ID!) { vendorProduct(id: $id) { images { url } } }",
            json!({ "id": tee }),
        )
        .await;
    assert_eq!(
        body["data"]["vendorProduct"]["images"][0]["url"],
        url.as_str()
    );
}

#[tokio::test]
async fn one_file_per_request_mapped_to_one_variable() {
    let app = TestApp::spawn().await;
    let vendor = app.new_vendor().await;
    let tee = product(&app, &vendor, "Linen tee", "TEE-1").await;
    // The file mapped to the upload and to the alt text as well.
    let (content_type, body) = crate::multipart::upload_request(
        &json!({ "query": UPLOAD, "variables": { "p": tee, "alt": null } }),
        &png(20, 20, 1),
        "photo.png",
        "image/png",
    );
    let body = String::from_utf8_lossy(&body).replace(
        r#"{"0": ["variables.f"]}"#,
        r#"{"0": ["variables.f", "variables.alt"]}"#,
    );
    let response = app
        .client
        .post(app.url("/graphql"))
        .bearer_auth(&vendor)
        .header("content-type", content_type)
        .body(body)
        .send()
        .await
        .expect("send");
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    let answer: Value = response.json().await.expect("json");
    assert_eq!(code(&answer), Some("BAD_REQUEST"), "{answer}");
    let (_, listed) = app
        .gql(
            Some(&vendor),
            "query($id: ID!) { vendorProduct(id: $id) { images { id } } }",
            json!({ "id": tee }),
        )
        .await;
    assert_eq!(listed["data"]["vendorProduct"]["images"], json!([]));

    // A placeholder no file stands behind: in a JSON body (anyone may send
    // one), or in a multipart request that carries no file.
    let forged = json!({ "query": UPLOAD, "variables": { "p": tee, "f": "#__graphql_file__:x" } });
    for token in [None, Some(vendor.as_str())] {
        let mut request = app.client.post(app.url("/graphql")).json(&forged);
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        let response = request.send().await.expect("send");
        assert_eq!(response.status(), StatusCode::BAD_REQUEST);
        let answer: Value = response.json().await.expect("json");
        assert_eq!(code(&answer), Some("BAD_REQUEST"), "{answer}");
    }
    let boundary = "nofile";
    let operations =
        json!({ "query": UPLOAD, "variables": { "p": tee, "f": "#__graphql_file__:0" } });
    let body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"operations\"\r\n\r\n{operations}\r\n\
         --{boundary}\r\nContent-Disposition: form-data; name=\"map\"\r\n\r\n{{}}\r\n--{boundary}--\r\n"
    );
    let response = app
        .client
        .post(app.url("/graphql"))
        .bearer_auth(&vendor)
        .header(
            "content-type",
            format!("multipart/form-data; boundary={boundary}"),
        )
        .body(body)
        .send()
        .await
        .expect("send");
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
}
