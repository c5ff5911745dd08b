//! The GraphQL image object and the loader that batches image reads.

use std::collections::HashMap;
use std::sync::Arc;

use async_graphql::dataloader::Loader;
use async_graphql::{Object, ID};
use souk_tenants::TenantId;

use crate::service::{Image, Media};

/// Where the gateway serves stored files.
pub const ROUTE: &str = "/media";

/// A product or variant image.
#[derive(Debug, Clone)]
pub struct ImageView(pub Image);

#[Object(name = "Image")]
impl ImageView {
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }
    /// Where to load it: at `width` pixels, the narrowest WebP rendition at
    /// least that wide (160, 480 or 1200 where the original is wider); without
    /// a width, the original (metadata stripped). The URL names the content, so
    /// it is cached for good.
    async fn url(&self, width: Option<i32>) -> String {
        let width = width.and_then(|w| u32::try_from(w).ok()).filter(|w| *w > 0);
        format!("{ROUTE}/{}", self.0.file(width).path())
    }
    /// Every rendition as a `srcset` value (`url 160w, url 480w, …`).
    async fn srcset(&self) -> String {
        self.0
            .renditions
            .iter()
            .map(|w| format!("{ROUTE}/{} {w}w", self.0.file(Some(*w)).path()))
            .collect::<Vec<_>>()
            .join(", ")
    }
    async fn alt(&self) -> &str {
        &self.0.alt
    }
    /// The original's size in pixels.
    async fn width(&self) -> i32 {
        i32::try_from(self.0.width).unwrap_or(i32::MAX)
    }
    async fn height(&self) -> i32 {
        i32::try_from(self.0.height).unwrap_or(i32::MAX)
    }
    /// The variant it shows, if it shows one.
    async fn variant_sku(&self) -> Option<&str> {
        self.0.variant_sku.as_deref()
    }
    /// Its place among the product's images, from 0.
    async fn position(&self) -> i32 {
        i32::try_from(self.0.position).unwrap_or(i32::MAX)
    }
}

/// Loads the images of many products in one query.
#[derive(Debug, Clone)]
pub struct ImagesLoader(pub Arc<dyn Media>);

impl Loader<(TenantId, String)> for ImagesLoader {
    type Value = Vec<Image>;
    type Error = Arc<crate::MediaError>;

    async fn load(
        &self,
        keys: &[(TenantId, String)],
    ) -> Result<HashMap<(TenantId, String), Vec<Image>>, Self::Error> {
        metrics::counter!("souk_image_batches_total").increment(1);
        let found = self.0.images(keys).await.map_err(Arc::new)?;
        let mut by_product: HashMap<(TenantId, String), Vec<Image>> = HashMap::new();
        for image in found {
            by_product
                .entry((image.tenant, image.product.clone()))
                .or_default()
                .push(image);
        }
        Ok(by_product)
    }
}
