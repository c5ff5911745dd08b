//! A product as the read model keeps it: its MongoDB document in canonical
//! extended JSON (types kept exactly: 64-bit integers, ObjectIds, dates), read
//! back by the catalog's own document decoder.

use mongodb::bson::Bson;

use crate::domain::{InternalError, Product};
use crate::store::products;

pub fn encode(product: &Product) -> serde_json::Value {
    Bson::Document(products::to_document(product)).into_canonical_extjson()
}

pub fn decode(value: serde_json::Value) -> Result<Product, InternalError> {
    match Bson::try_from(value) {
        Ok(Bson::Document(document)) => products::from_document(&document),
        Ok(_) => Err(InternalError::msg("a listing's product is not a document")),
        Err(err) => Err(InternalError::new(err)),
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use chrono::{TimeZone, Utc};
    use mongodb::bson::oid::ObjectId;
    use souk_inventory::domain::Sku;
    use souk_tenants::TenantId;

    use super::*;
    use crate::domain::{Money, ObjectKey, ProductStatus, Variant};

    #[test]
    fn a_product_survives_the_round_trip() {
        let product = Product {
            id: ObjectKey(ObjectId::new()),
            tenant: TenantId::generate(),
            title: "Linen shirt".into(),
            description: "Cool in summer".into(),
            category: Some(ObjectKey(ObjectId::new())),
            price: Money::from_stored(4_500, "EUR".into()),
            variants: vec![Variant {
                sku: Sku::parse("SHIRT-M").expect("sku"),
                options: BTreeMap::from([("size".to_string(), "M".to_string())]),
                price: Some(Money::from_stored(5_000_000_000_000, "EUR".into())),
            }],
            images: vec!["https://example.com/a.jpg".into()],
            attributes: BTreeMap::from([("material".to_string(), "linen".to_string())]),
            status: ProductStatus::Active,
            sold: true,
            version: 7,
            created_at: Utc
                .timestamp_millis_opt(1_700_000_000_123)
                .single()
                .expect("time"),
            updated_at: Utc
                .timestamp_millis_opt(1_700_000_100_456)
                .single()
                .expect("time"),
        };
        let back = decode(encode(&product)).expect("decodes");
        assert_eq!(format!("{back:?}"), format!("{product:?}"));
    }
}
