use souk_catalog::domain::{CatalogError, ObjectKey, ProductDraft, ProductStatus};
use souk_catalog::Catalog;

use crate::support::{draft, raw, scope, Fixture};

#[tokio::test]
async fn a_vendor_can_neither_read_nor_change_another_vendors_product() {
    let fx = Fixture::new().await;
    let a = fx.vendor("vendor-a").await;
    let b = fx.vendor("vendor-b").await;
    let product = fx
        .catalog
        .create_product(&scope(a), draft("Linen shirt", &[("SHIRT-1", 5)]))
        .await
        .expect("create");

    assert!(fx
        .catalog
        .vendor_product(b, product.id)
        .await
        .expect("read")
        .is_none());
    assert!(fx
        .catalog
        .product_by_sku(b, "SHIRT-1")
        .await
        .expect("read")
        .is_none());
    let listed = fx
        .catalog
        .vendor_products(b, None, None, None, 50)
        .await
        .expect("list");
    assert!(listed.is_empty());

    let updated = fx
        .catalog
        .update_product(
            &scope(b),
            product.id,
            product.version,
            draft("Stolen", &[("X-1", 1)]),
        )
        .await;
    assert!(
        matches!(updated, Err(CatalogError::NotFound)),
        "{updated:?}"
    );
    for result in [
        fx.catalog.publish(b, product.id).await.map(|_| ()),
        fx.catalog.archive(b, product.id).await.map(|_| ()),
        fx.catalog.delete(b, product.id).await,
    ] {
        assert!(matches!(result, Err(CatalogError::NotFound)), "{result:?}");
    }

    let unchanged = fx
        .catalog
        .vendor_product(a, product.id)
        .await
        .expect("read")
        .expect("still there");
    assert_eq!(unchanged, product);
    assert_eq!(fx.available(b, "X-1").await, None, "no stock made for b");
}

#[tokio::test]
async fn of_two_edits_from_the_same_version_one_wins_and_the_other_learns_the_version() {
    let fx = Fixture::new().await;
    let tenant = fx.vendor("editors").await;
    let product = fx
        .catalog
        .create_product(&scope(tenant), draft("Mug", &[("MUG-1", 3)]))
        .await
        .expect("create");
    let v = product.version;
    let scope = scope(tenant);
    let (first, second) = futures::join!(
        fx.catalog
            .update_product(&scope, product.id, v, draft("Blue mug", &[("MUG-1", 3)])),
        fx.catalog
            .update_product(&scope, product.id, v, draft("Red mug", &[("MUG-1", 3)])),
    );
    let won: Vec<_> = [&first, &second]
        .into_iter()
        .filter_map(|r| r.as_ref().ok())
        .collect();
    assert_eq!(won.len(), 1, "{first:?} / {second:?}");
    let lost = [&first, &second]
        .into_iter()
        .find_map(|r| r.as_ref().err())
        .expect("one loses");
    assert!(
        matches!(lost, CatalogError::Conflict { expected, current } if *expected == v && *current == v + 1),
        "{lost:?}"
    );
    let stored = fx
        .catalog
        .vendor_product(tenant, product.id)
        .await
        .expect("read")
        .expect("exists");
    assert_eq!(stored.title, won[0].title);
    assert_eq!(stored.version, v + 1);
}

#[tokio::test]
async fn a_sku_is_unique_within_a_vendor_only_and_a_clash_stores_nothing() {
    let fx = Fixture::new().await;
    let a = fx.vendor("sku-a").await;
    let b = fx.vendor("sku-b").await;
    fx.catalog
        .create_product(&scope(a), draft("Cap", &[("CAP-1", 2)]))
        .await
        .expect("create");
    let clash = fx
        .catalog
        .create_product(&scope(a), draft("Other cap", &[("CAP-2", 9), ("CAP-1", 9)]))
        .await;
    assert!(
        matches!(&clash, Err(CatalogError::DuplicateSku(sku)) if sku == "CAP-1"),
        "{clash:?}"
    );
    let listed = fx
        .catalog
        .vendor_products(a, None, None, None, 50)
        .await
        .expect("list");
    assert_eq!(listed.len(), 1);
    assert_eq!(fx.available(a, "CAP-1").await, Some(2), "stock untouched");

    fx.catalog
        .create_product(&scope(b), draft("B's cap", &[("CAP-1", 7)]))
        .await
        .expect("another vendor may use the SKU");
    assert_eq!(fx.available(b, "CAP-1").await, Some(7));
    assert_eq!(fx.available(a, "CAP-1").await, Some(2));
}

#[tokio::test]
async fn bad_drafts_are_refused_with_typed_errors_and_store_nothing() {
    let fx = Fixture::new().await;
    let tenant = fx.vendor("careless").await;
    let mut bad_price = raw("Free lunch", &[("LUNCH-1", 1)]);
    bad_price.price_amount = -1;
    let mut bad_currency = raw("Coins", &[("COIN-1", 1)]);
    bad_currency.currency = "XYZ1".into();
    let mut no_variants = raw("Nothing", &[]);
    no_variants.variants.clear();
    let mut bad_image = raw("Picture", &[("PIC-1", 1)]);
    bad_image.images = vec!["javascript:alert(1)".into()];
    for raw in [
        bad_price,
        bad_currency,
        no_variants,
        bad_image,
        raw("Twice", &[("DUP-1", 1), ("DUP-1", 1)]),
        raw("Bad sku", &[("has space", 1)]),
        raw("", &[("EMPTY-1", 1)]),
        raw("Negative", &[("NEG-1", -3)]),
    ] {
        let title = raw.title.clone();
        assert!(ProductDraft::parse(raw).is_err(), "{title:?} parsed");
    }

    let mut with_category = draft("Lost", &[("LOST-1", 1)]);
    with_category.category = Some(ObjectKey(mongodb::bson::oid::ObjectId::new()));
    let unknown = fx
        .catalog
        .create_product(&scope(tenant), with_category)
        .await;
    assert!(
        matches!(unknown, Err(CatalogError::UnknownCategory)),
        "{unknown:?}"
    );

    let listed = fx
        .catalog
        .vendor_products(tenant, None, None, None, 50)
        .await
        .expect("list");
    assert!(listed.is_empty(), "{listed:?}");
    assert_eq!(fx.available(tenant, "LOST-1").await, None);
}

#[tokio::test]
async fn a_product_is_public_only_while_active_and_its_vendor_is_not_suspended() {
    use souk_vendors::service::Tenancy;
    let fx = Fixture::new().await;
    let tenant = fx.vendor("lifecycle").await;
    let product = fx
        .catalog
        .create_product(&scope(tenant), draft("Lamp", &[("LAMP-1", 4)]))
        .await
        .expect("create");
    assert_eq!(product.status, ProductStatus::Draft);
    assert_eq!(fx.available(tenant, "LAMP-1").await, Some(4));
    assert!(fx
        .catalog
        .public_product(product.id)
        .await
        .expect("read")
        .is_none());

    let active = fx
        .catalog
        .publish(tenant, product.id)
        .await
        .expect("publish");
    assert_eq!(active.status, ProductStatus::Active);
    assert!(fx
        .catalog
        .public_product(product.id)
        .await
        .expect("read")
        .is_some());
    let deleted = fx.catalog.delete(tenant, product.id).await;
    assert!(
        matches!(deleted, Err(CatalogError::InvalidState(_))),
        "{deleted:?}"
    );

    fx.tenancy.suspend(tenant).await.expect("suspend");
    assert!(fx
        .catalog
        .public_product(product.id)
        .await
        .expect("read")
        .is_none());
    assert!(fx
        .catalog
        .public_products(&[product.id])
        .await
        .expect("read")
        .is_empty());
    fx.tenancy.reactivate(tenant).await.expect("reactivate");

    fx.catalog
        .archive(tenant, product.id)
        .await
        .expect("archive");
    assert!(fx
        .catalog
        .public_product(product.id)
        .await
        .expect("read")
        .is_none());
    let draft_again = fx
        .catalog
        .publish(tenant, product.id)
        .await
        .expect("republish");
    assert_eq!(draft_again.status, ProductStatus::Active);
}

#[tokio::test]
async fn only_a_draft_that_never_sold_can_be_deleted() {
    let fx = Fixture::new().await;
    let tenant = fx.vendor("deleter").await;
    let product = fx
        .catalog
        .create_product(&scope(tenant), draft("Sketch", &[("SKETCH-1", 1)]))
        .await
        .expect("create");
    fx.catalog
        .delete(tenant, product.id)
        .await
        .expect("delete a draft");
    assert!(fx
        .catalog
        .vendor_product(tenant, product.id)
        .await
        .expect("read")
        .is_none());
    let again = fx.catalog.delete(tenant, product.id).await;
    assert!(matches!(again, Err(CatalogError::NotFound)), "{again:?}");
}
