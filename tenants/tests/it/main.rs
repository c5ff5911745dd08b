//! The tenant-scoped MongoDB handle against a real connection to the
//! MongoDB-compatible test server.

use mongodb::bson::{doc, Document};
use mongodb::options::FindOptions;
use souk_migrations::testing::TestMongo;
use souk_tenants::mongo::{ScopeError, TenantCollection};
use souk_tenants::TenantId;

async fn collection(mongo: &TestMongo) -> mongodb::Collection<Document> {
    let client = mongodb::Client::with_uri_str(&mongo.url)
        .await
        .expect("client");
    client.database(&mongo.name).collection("things")
}

#[tokio::test]
async fn the_scoped_handle_puts_its_tenant_into_every_operation() {
    let mongo = TestMongo::create();
    let raw = collection(&mongo).await;
    let (a, b) = (TenantId::generate(), TenantId::generate());
    let scoped_a = TenantCollection::new(raw.clone(), a);
    let scoped_b = TenantCollection::new(raw.clone(), b);

    // An insert claiming another tenant is stored as the handle's tenant's.
    scoped_a
        .insert_one(&doc! { "name": "lamp", "tenant_id": b.to_string() })
        .await
        .expect("insert");
    let stored = raw
        .find_one(doc! { "name": "lamp" })
        .await
        .expect("raw read")
        .expect("stored");
    assert_eq!(stored.get_str("tenant_id"), Ok(a.to_string().as_str()));

    // B cannot see or change it, even naming A's tenant in its filter.
    let named = doc! { "name": "lamp", "tenant_id": a.to_string() };
    assert!(scoped_b
        .find_one(named.clone())
        .await
        .expect("find")
        .is_none());
    assert_eq!(scoped_b.count(doc! {}).await.expect("count"), 0);
    assert!(scoped_b
        .find(doc! {}, FindOptions::default())
        .await
        .expect("find")
        .is_empty());
    let updated = scoped_b
        .update_one(named.clone(), doc! { "$set": { "name": "stolen" } })
        .await
        .expect("update");
    assert_eq!(updated.matched_count, 0);
    assert_eq!(
        scoped_b
            .delete_one(named)
            .await
            .expect("delete")
            .deleted_count,
        0
    );
    let grouped = scoped_b
        .aggregate(vec![doc! { "$group": { "_id": null, "n": { "$sum": 1 } } }])
        .await
        .expect("aggregate");
    assert!(grouped.is_empty(), "the pipeline starts with B's $match");

    // Nobody moves a document to another tenant.
    let moved = scoped_a
        .update_one(
            doc! { "name": "lamp" },
            doc! { "$set": { "tenant_id": b.to_string() } },
        )
        .await;
    assert!(matches!(moved, Err(ScopeError::TenantUpdate)));
    assert_eq!(scoped_a.count(doc! {}).await.expect("count"), 1);
}
