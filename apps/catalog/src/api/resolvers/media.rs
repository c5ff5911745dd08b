//! Vendors' product images: upload (GraphQL multipart), alt text, order, delete.

use std::sync::Arc;

use async_graphql::{Context, Object, Result, Upload, ID};
use serde_json::json;
use souk_edge::{service, vendor, ApiError};
use souk_media::api::ImageView;
use souk_media::service::Upload as MediaUpload;
use souk_media::{Media, MediaError};
use souk_tenants::audit::Entry;
use souk_tenants::TenantId;
use uuid::Uuid;

use super::{catalog, object_key};
use crate::domain::ObjectKey;

fn media<'a>(ctx: &'a Context<'_>) -> Result<&'a Arc<dyn Media>, ApiError> {
    service::<dyn Media>(ctx)
}

fn image_id(raw: &ID) -> Result<Uuid, ApiError> {
    Uuid::parse_str(raw).map_err(|_| ApiError::new("NOT_FOUND", "no such image"))
}

/// The vendor's product `id`; `NOT_FOUND` for another vendor's or none.
async fn own_product(
    ctx: &Context<'_>,
    tenant: TenantId,
    id: ObjectKey,
) -> Result<crate::domain::Product, ApiError> {
    catalog(ctx)?
        .vendor_product(tenant, id)
        .await
        .map_err(ApiError::from)?
        .ok_or_else(|| ApiError::new("NOT_FOUND", "no such product"))
}

async fn audit(
    ctx: &Context<'_>,
    tenant: TenantId,
    action: &'static str,
    image: &souk_media::service::Image,
) {
    let entry = Entry::new(action, "product_image", image.id.to_string()).details(json!({
        "productId": image.product,
        "variantSku": image.variant_sku,
        "hash": image.hash,
    }));
    souk_edge::audit::after(ctx, Some(tenant), entry).await;
}

#[derive(Debug, Default)]
pub struct MediaMutation;

#[Object]
impl MediaMutation {
    /// Adds an image to a product (or to one of its variants), sent as a GraphQL
    /// multipart upload. JPEG, PNG or WebP by content (else
    /// `UNSUPPORTED_MEDIA`), at most `SOUK_MEDIA_MAX_BYTES` (`MEDIA_TOO_LARGE`)
    /// and 8000 pixels a side (`IMAGE_TOO_LARGE`), at most 20 per product
    /// (`TOO_MANY_IMAGES`). Metadata (EXIF, GPS) is stripped; WebP renditions
    /// 160, 480 and 1200 pixels wide are made. It goes last. One upload per
    /// request (its complexity is most of a request's budget).
    #[graphql(complexity = 600)]
    async fn upload_product_image(
        &self,
        ctx: &Context<'_>,
        product_id: ID,
        file: Upload,
        #[graphql(desc = "What the image shows, for screen readers (at most 300 characters).")]
        alt: Option<String>,
        #[graphql(desc = "The variant it shows, if it shows one.")] variant_sku: Option<String>,
    ) -> Result<ImageView> {
        let actor = vendor(ctx)?;
        let product = own_product(ctx, actor.tenant, object_key("productId", &product_id)?).await?;
        if let Some(sku) = &variant_sku {
            if !product.variants.iter().any(|v| v.sku.as_str() == sku) {
                return Err(ApiError::invalid_argument(
                    "variantSku",
                    "not a variant of this product",
                )
                .into());
            }
        }
        let media = media(ctx)?;
        let content = file
            .value(ctx)
            .map_err(|_| ApiError::invalid_argument("file", "no such upload in the request"))?
            .content;
        let limit = media.max_bytes();
        let bytes = tokio::task::spawn_blocking(move || {
            use std::io::Read;
            let mut bytes = Vec::new();
            content
                .take(u64::try_from(limit).unwrap_or(u64::MAX) + 1)
                .read_to_end(&mut bytes)
                .map(|_| bytes)
        })
        .await
        .map_err(|e| ApiError::internal(&e))?
        .map_err(|e| ApiError::internal(&e))?;
        let image = media
            .upload(
                actor.tenant,
                MediaUpload {
                    product: &product.id.to_string(),
                    variant_sku: variant_sku.as_deref(),
                    alt: alt.as_deref().unwrap_or(""),
                    bytes,
                },
            )
            .await
            .map_err(ApiError::from)?;
        audit(ctx, actor.tenant, "product_image.upload", &image).await;
        Ok(ImageView(image))
    }

    /// Changes an image's alt text.
    async fn update_product_image(
        &self,
        ctx: &Context<'_>,
        id: ID,
        alt: String,
    ) -> Result<ImageView> {
        let actor = vendor(ctx)?;
        let image = media(ctx)?
            .set_alt(actor.tenant, image_id(&id)?, &alt)
            .await
            .map_err(ApiError::from)?;
        Ok(ImageView(image))
    }

    /// Puts a product's images in the order given; `imageIds` must name each of
    /// them once.
    async fn reorder_product_images(
        &self,
        ctx: &Context<'_>,
        product_id: ID,
        image_ids: Vec<ID>,
    ) -> Result<Vec<ImageView>> {
        let actor = vendor(ctx)?;
        let product = own_product(ctx, actor.tenant, object_key("productId", &product_id)?).await?;
        let ids = image_ids
            .iter()
            .map(|id| Uuid::parse_str(id))
            .collect::<Result<Vec<_>, _>>()
            .map_err(|_| {
                ApiError::from(MediaError::Invalid(
                    "imageIds",
                    "must name each of the product's images once".into(),
                ))
            })?;
        let images = media(ctx)?
            .reorder(actor.tenant, &product.id.to_string(), &ids)
            .await
            .map_err(ApiError::from)?;
        Ok(images.into_iter().map(ImageView).collect())
    }

    /// Deletes an image; its files go when no other image of the vendor uses them.
    async fn delete_product_image(&self, ctx: &Context<'_>, id: ID) -> Result<ID> {
        let actor = vendor(ctx)?;
        let image = media(ctx)?
            .delete(actor.tenant, image_id(&id)?)
            .await
            .map_err(ApiError::from)?;
        audit(ctx, actor.tenant, "product_image.delete", &image).await;
        Ok(ID(image.id.to_string()))
    }
}
