//! Products, variants and categories.

use std::collections::{BTreeMap, HashSet};

use chrono::{DateTime, Utc};
use souk_inventory::domain::Sku;
use souk_tenants::TenantId;

use super::values::{text, InvalidValue, Money, ObjectKey, MAX_VARIANTS};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ProductStatus {
    Draft,
    Active,
    Archived,
}

impl ProductStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            ProductStatus::Draft => "draft",
            ProductStatus::Active => "active",
            ProductStatus::Archived => "archived",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        match raw {
            "draft" => Some(ProductStatus::Draft),
            "active" => Some(ProductStatus::Active),
            "archived" => Some(ProductStatus::Archived),
            _ => None,
        }
    }
}

/// One sellable form of a product: its own SKU, option values (size, colour…)
/// and, optionally, its own price.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Variant {
    pub sku: Sku,
    pub options: BTreeMap<String, String>,
    pub price: Option<Money>,
}

/// A variant being created, with the stock it starts with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewVariant {
    pub variant: Variant,
    pub initial_stock: i64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Product {
    pub id: ObjectKey,
    pub tenant: TenantId,
    pub title: String,
    pub description: String,
    pub category: Option<ObjectKey>,
    pub price: Money,
    pub variants: Vec<Variant>,
    pub images: Vec<String>,
    pub attributes: BTreeMap<String, String>,
    pub status: ProductStatus,
    /// Whether any order ever included it (then it can be archived, not deleted).
    pub sold: bool,
    pub version: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl Product {
    /// The price of a variant: its own, or the product's.
    pub fn price_of(&self, variant: &Variant) -> Money {
        variant.price.clone().unwrap_or_else(|| self.price.clone())
    }
}

/// A product's content as its vendor writes it, validated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProductDraft {
    pub title: String,
    pub description: String,
    pub category: Option<ObjectKey>,
    pub price: Money,
    pub variants: Vec<NewVariant>,
    pub images: Vec<String>,
    pub attributes: BTreeMap<String, String>,
}

/// A variant as given, before validation.
#[derive(Debug, Clone, Default)]
pub struct RawVariant {
    pub sku: String,
    pub options: Vec<(String, String)>,
    pub price_amount: Option<i64>,
    pub initial_stock: Option<i64>,
}

/// A product as given, before validation.
#[derive(Debug, Clone, Default)]
pub struct RawDraft {
    pub title: String,
    pub description: String,
    pub category: Option<String>,
    pub price_amount: i64,
    pub currency: String,
    pub variants: Vec<RawVariant>,
    pub images: Vec<String>,
    pub attributes: Vec<(String, String)>,
}

fn pairs(
    field: &str,
    raw: &[(String, String)],
    max_pairs: usize,
    max_value: usize,
) -> Result<BTreeMap<String, String>, InvalidValue> {
    if raw.len() > max_pairs {
        return Err(InvalidValue::new(
            "INVALID_ARGUMENT",
            field,
            format!("at most {max_pairs} entries"),
        ));
    }
    let mut map = BTreeMap::new();
    for (key, value) in raw {
        let key = text(&format!("{field}.name"), key, 50, false)?;
        let value = text(&format!("{field}.{key}"), value, max_value, false)?;
        if map.insert(key.clone(), value).is_some() {
            return Err(InvalidValue::new(
                "INVALID_ARGUMENT",
                field,
                format!("{key} is given twice"),
            ));
        }
    }
    Ok(map)
}

fn image(raw: &str) -> Result<String, InvalidValue> {
    let invalid = || {
        InvalidValue::new(
            "INVALID_ARGUMENT",
            "images",
            format!("{raw:?} is not an http(s) URL"),
        )
    };
    if raw.len() > 2048 {
        return Err(invalid());
    }
    let parsed = url::Url::parse(raw.trim()).map_err(|_| invalid())?;
    if !matches!(parsed.scheme(), "http" | "https") || parsed.host().is_none() {
        return Err(invalid());
    }
    Ok(parsed.to_string())
}

/// The variants of a draft, priced in `currency`: 1 to [`MAX_VARIANTS`], each
/// SKU once.
fn variants(raw: &[RawVariant], currency: &str) -> Result<Vec<NewVariant>, InvalidValue> {
    if raw.is_empty() || raw.len() > MAX_VARIANTS {
        return Err(InvalidValue::new(
            "INVALID_ARGUMENT",
            "variants",
            format!("a product has 1 to {MAX_VARIANTS} variants"),
        ));
    }
    let mut seen = HashSet::new();
    let mut variants = Vec::with_capacity(raw.len());
    for raw_variant in raw {
        let sku = Sku::parse(&raw_variant.sku)
            .map_err(|e| InvalidValue::new("INVALID_SKU", "variants.sku", e.0))?;
        if !seen.insert(sku.clone()) {
            return Err(InvalidValue::new(
                "DUPLICATE_SKU",
                "variants.sku",
                format!("{sku} is listed twice"),
            ));
        }
        let price = raw_variant
            .price_amount
            .map(|amount| Money::parse("variants.price", amount, currency))
            .transpose()?;
        let initial_stock = raw_variant.initial_stock.unwrap_or(0);
        if !(0..=souk_inventory::domain::MAX_QUANTITY).contains(&initial_stock) {
            return Err(InvalidValue::new(
                "INVALID_QUANTITY",
                "variants.initialStock",
                "0 to 1000000000",
            ));
        }
        variants.push(NewVariant {
            variant: Variant {
                sku,
                options: pairs("variants.options", &raw_variant.options, 10, 50)?,
                price,
            },
            initial_stock,
        });
    }
    Ok(variants)
}

impl ProductDraft {
    pub fn parse(raw: RawDraft) -> Result<Self, InvalidValue> {
        let price = Money::parse("price", raw.price_amount, &raw.currency)?;
        let variants = variants(&raw.variants, price.currency())?;
        if raw.images.len() > 20 {
            return Err(InvalidValue::new(
                "INVALID_ARGUMENT",
                "images",
                "at most 20 images",
            ));
        }
        Ok(Self {
            title: text("title", &raw.title, 200, false)?,
            description: if raw.description.trim().is_empty() {
                String::new()
            } else {
                text("description", &raw.description, 10_000, true)?
            },
            category: raw
                .category
                .as_deref()
                .map(|id| ObjectKey::parse("category", id))
                .transpose()?,
            price,
            variants,
            images: raw
                .images
                .iter()
                .map(|i| image(i))
                .collect::<Result<_, _>>()?,
            attributes: pairs("attributes", &raw.attributes, 50, 500)?,
        })
    }
}

/// A node of the platform's category tree.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Category {
    pub id: ObjectKey,
    pub name: String,
    pub parent: Option<ObjectKey>,
    pub created_at: DateTime<Utc>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn draft() -> RawDraft {
        RawDraft {
            title: "Tee".into(),
            price_amount: 1999,
            currency: "EUR".into(),
            variants: vec![RawVariant {
                sku: "TEE-M".into(),
                ..RawVariant::default()
            }],
            ..RawDraft::default()
        }
    }

    #[test]
    fn limits() {
        assert!(ProductDraft::parse(draft()).is_ok());
        let mut many = draft();
        many.variants = (0..10_000)
            .map(|i| RawVariant {
                sku: format!("S{i}"),
                ..RawVariant::default()
            })
            .collect();
        assert!(ProductDraft::parse(many).is_err());
        let mut long = draft();
        long.description = "x".repeat(1 << 20);
        assert!(ProductDraft::parse(long).is_err());
        let mut dup = draft();
        dup.variants.push(dup.variants[0].clone());
        assert_eq!(
            ProductDraft::parse(dup).map_err(|e| e.code),
            Err("DUPLICATE_SKU")
        );
        let mut img = draft();
        img.images = vec!["javascript:alert(1)".into()];
        assert!(ProductDraft::parse(img).is_err());
    }
}
