//! The storefront's read model: every product as a row of
//! `storefront.listings` in PostgreSQL, with what the storefront filters, sorts,
//! searches and counts, and the product itself as the storefront shows it.
//!
//! MongoDB stays the catalog's source of truth. A listing is written right after
//! each change the catalog service makes ([`PgListings::project`], in the
//! vendor's scope), and the [`projector`] repairs whatever that missed: it reads
//! the catalog's changes since its checkpoint and the SKUs whose availability
//! crossed zero, in one replica at a time. Search is PostgreSQL full-text search
//! (English stemming, prefix matching of every word, ranked) with trigram
//! similarity on titles for small typos; every query is one indexed statement.

mod document;
mod filters;
pub mod projector;
mod write;

use mongodb::bson::oid::ObjectId;
use souk_tenants::IntErr;
use souk_tenants::{PlatformPool, TenantId, TenantTx};
use sqlx::{PgPool, Row};
use uuid::Uuid;

use crate::domain::{InternalError, Product};
use crate::service::Listing;
use crate::store::products::{After, Order};

pub use filters::search_terms;

/// A page entry: the product, its search rank (0 without search text) and the
/// units it shipped.
#[derive(Debug, Clone)]
pub struct Listed {
    pub product: Product,
    pub rank: f32,
    pub sold: i64,
}

impl Listed {
    /// Where this entry sits in a listing ordered by `order`.
    pub fn position(&self, order: Order) -> After {
        match order {
            Order::Relevance => After::Rank(self.rank, self.product.id.0),
            Order::Popular => After::Sold(self.sold, self.product.id.0),
            other => crate::store::products::position(other, &self.product),
        }
    }
}

/// A price band of the facet counts, in minor units: `min` inclusive, `max`
/// exclusive (`None`: no upper bound).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PriceBand {
    pub min: i64,
    pub max: Option<i64>,
    pub count: i64,
}

/// Counts of the products a listing matches, all pages together.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Facets {
    pub total: i64,
    /// Per category (`None`: uncategorised), most products first.
    pub categories: Vec<(Option<ObjectId>, i64)>,
    /// Per vendor, most products first (the first [`filters::TOP_VENDORS`]).
    pub vendors: Vec<(TenantId, i64)>,
    /// Every band, in price order, empty ones included.
    pub price_bands: Vec<PriceBand>,
}

/// The read model on PostgreSQL: the app role's pool for the storefront's reads
/// and the vendor's own writes, the platform role's for the projector.
#[derive(Debug, Clone)]
pub struct PgListings {
    pool: PgPool,
    platform: PlatformPool,
}

impl PgListings {
    pub fn new(pool: PgPool, platform: PlatformPool) -> Self {
        Self { pool, platform }
    }

    pub fn platform(&self) -> &PlatformPool {
        &self.platform
    }

    /// Writes `product`'s listing in its vendor's scope, unless a newer version
    /// is there already.
    pub async fn project(&self, product: &Product) -> Result<(), InternalError> {
        let mut tx = TenantTx::begin(&self.pool, product.tenant)
            .await
            .int_err()?;
        write::upsert(&mut tx, product, false).await.int_err()?;
        tx.commit().await.int_err()
    }

    /// One page of listed products of active vendors.
    pub async fn page(&self, listing: &Listing) -> Result<Vec<Listed>, InternalError> {
        let Some(mut query) = filters::page(listing) else {
            return Ok(Vec::new());
        };
        let rows = query.build().fetch_all(&self.pool).await.int_err()?;
        rows.iter()
            .map(|row| {
                let product = document::decode(row.try_get("product").int_err()?)?;
                let rank: f32 = row.try_get("rank").int_err()?;
                let sold: i64 = row.try_get("popularity").int_err()?;
                Ok(Listed {
                    product,
                    rank,
                    sold,
                })
            })
            .collect()
    }

    /// The facet counts of everything `listing` matches (its cursor and page
    /// size aside).
    pub async fn facets(&self, listing: &Listing) -> Result<Facets, InternalError> {
        let Some(mut query) = filters::facets(listing) else {
            return Ok(Facets {
                price_bands: filters::empty_bands(),
                ..Facets::default()
            });
        };
        let rows = query.build().fetch_all(&self.pool).await.int_err()?;
        filters::read_facets(&rows).int_err()
    }

    /// Listed products per category, for vendors that are active.
    pub async fn category_counts(&self) -> Result<Vec<(ObjectId, i64)>, InternalError> {
        let rows = sqlx::query!(
            r#"SELECT l.category_id AS "category_id!", count(*) AS "listed!"
               FROM storefront.shelf l
               JOIN tenancy.tenants t ON t.id = l.tenant_id AND t.status = 'active'
               WHERE l.category_id IS NOT NULL
               GROUP BY l.category_id"#,
        )
        .fetch_all(&self.pool)
        .await
        .int_err()?;
        Ok(rows
            .into_iter()
            .filter_map(|row| {
                ObjectId::parse_str(&row.category_id)
                    .ok()
                    .map(|id| (id, row.listed))
            })
            .collect())
    }
}

fn tenant_of(id: Uuid) -> TenantId {
    TenantId::from_uuid(id)
}
