use async_graphql::dataloader::DataLoader;
use async_graphql::{Context, Enum, InputObject, Object, Result, SimpleObject, ID};
use chrono::{DateTime, Utc};
use souk_edge::{ApiError, MoneyView};

use souk_media::api::{ImageView, ImagesLoader};

use super::loader::{AvailabilityLoader, VendorNameLoader};
use crate::domain::{Category, Money, Product, ProductStatus, Variant};

impl From<&Money> for MoneyView {
    fn from(money: &Money) -> Self {
        MoneyView::new(money.amount(), money.currency().to_string())
    }
}

#[derive(Debug, Clone, SimpleObject)]
pub struct NameValue {
    pub name: String,
    pub value: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[graphql(name = "ProductStatus")]
pub enum StatusView {
    Draft,
    Active,
    Archived,
}

impl From<ProductStatus> for StatusView {
    fn from(status: ProductStatus) -> Self {
        match status {
            ProductStatus::Draft => Self::Draft,
            ProductStatus::Active => Self::Active,
            ProductStatus::Archived => Self::Archived,
        }
    }
}

impl From<StatusView> for ProductStatus {
    fn from(status: StatusView) -> Self {
        match status {
            StatusView::Draft => Self::Draft,
            StatusView::Active => Self::Active,
            StatusView::Archived => Self::Archived,
        }
    }
}

async fn available(ctx: &Context<'_>, product: &Product, variant: &Variant) -> Result<i64> {
    let loader = ctx
        .data::<DataLoader<AvailabilityLoader>>()
        .map_err(|err| ApiError::internal(&err.message))?;
    let found = loader
        .load_one((product.tenant, variant.sku.clone()))
        .await
        .map_err(|err| ApiError::failure(&err))?;
    Ok(found.unwrap_or(0).max(0))
}

async fn images_of(
    ctx: &Context<'_>,
    product: &Product,
) -> Result<Vec<souk_media::service::Image>> {
    let loader = ctx
        .data::<DataLoader<ImagesLoader>>()
        .map_err(|err| ApiError::internal(&err.message))?;
    // Pictures are not worth a page: when they cannot be read, the products are
    // shown without them.
    match loader
        .load_one((product.tenant, product.id.to_string()))
        .await
    {
        Ok(found) => Ok(found.unwrap_or_default()),
        Err(err) => {
            tracing::warn!(error = %err, "product images could not be read; shown without");
            Ok(Vec::new())
        }
    }
}

/// One sellable form of a product.
#[derive(Debug)]
pub struct VariantView {
    product: std::sync::Arc<Product>,
    index: usize,
}

#[Object(name = "Variant")]
impl VariantView {
    async fn sku(&self) -> &str {
        self.product.variants[self.index].sku.as_str()
    }
    async fn options(&self) -> Vec<NameValue> {
        self.product.variants[self.index]
            .options
            .iter()
            .map(|(name, value)| NameValue {
                name: name.clone(),
                value: value.clone(),
            })
            .collect()
    }
    /// The variant's price (its own, or the product's).
    async fn price(&self) -> MoneyView {
        (&self.product.price_of(&self.product.variants[self.index])).into()
    }
    /// Units that can be bought now.
    async fn availability(&self, ctx: &Context<'_>) -> Result<i64> {
        available(ctx, &self.product, &self.product.variants[self.index]).await
    }
    /// The images uploaded for this variant, in their order.
    async fn images(&self, ctx: &Context<'_>) -> Result<Vec<ImageView>> {
        let sku = self.product.variants[self.index].sku.as_str();
        let images = images_of(ctx, &self.product).await?;
        Ok(images
            .into_iter()
            .filter(|i| i.variant_sku.as_deref() == Some(sku))
            .map(ImageView)
            .collect())
    }
}

/// A product.
#[derive(Debug)]
pub struct ProductView(pub std::sync::Arc<Product>);

impl ProductView {
    pub fn new(product: Product) -> Self {
        Self(std::sync::Arc::new(product))
    }
}

#[Object(name = "Product")]
impl ProductView {
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }
    async fn vendor_id(&self) -> ID {
        ID(self.0.tenant.to_string())
    }
    /// The name of the vendor that sells it.
    async fn vendor_name(&self, ctx: &Context<'_>) -> Result<String> {
        let loader = ctx
            .data::<DataLoader<VendorNameLoader>>()
            .map_err(|err| ApiError::internal(&err.message))?;
        let name = loader
            .load_one(self.0.tenant)
            .await
            .map_err(|err| ApiError::failure(&err))?;
        Ok(name.unwrap_or_default())
    }
    async fn title(&self) -> &str {
        &self.0.title
    }
    async fn description(&self) -> &str {
        &self.0.description
    }
    async fn category_id(&self) -> Option<ID> {
        self.0.category.map(|c| ID(c.to_string()))
    }
    async fn price(&self) -> MoneyView {
        (&self.0.price).into()
    }
    async fn variants(&self) -> Vec<VariantView> {
        (0..self.0.variants.len())
            .map(|index| VariantView {
                product: self.0.clone(),
                index,
            })
            .collect()
    }
    /// Units that can be bought now, over all variants.
    async fn availability(&self, ctx: &Context<'_>) -> Result<i64> {
        let mut total = 0;
        for variant in &self.0.variants {
            total += available(ctx, &self.0, variant).await?;
        }
        Ok(total)
    }
    /// Links to images hosted elsewhere, as given in `ProductInput.images`.
    async fn image_urls(&self) -> &[String] {
        &self.0.images
    }
    /// The images vendors uploaded (`uploadProductImage`), in their order: the
    /// product's own and its variants'. Loaded in one batch for a whole page.
    async fn images(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "At most this many (the first ones).")] first: Option<i32>,
    ) -> Result<Vec<ImageView>> {
        let images = images_of(ctx, &self.0).await?;
        let first = first.map_or(usize::MAX, |n| usize::try_from(n).unwrap_or(0));
        Ok(images
            .into_iter()
            .take(first)
            .map(|mut image| {
                // An image of a variant the product no longer has shows the
                // product as a whole.
                let gone = image
                    .variant_sku
                    .as_deref()
                    .is_some_and(|sku| !self.0.variants.iter().any(|v| v.sku.as_str() == sku));
                if gone {
                    image.variant_sku = None;
                }
                ImageView(image)
            })
            .collect())
    }
    async fn attributes(&self) -> Vec<NameValue> {
        self.0
            .attributes
            .iter()
            .map(|(name, value)| NameValue {
                name: name.clone(),
                value: value.clone(),
            })
            .collect()
    }
    async fn status(&self) -> StatusView {
        self.0.status.into()
    }
    /// Send it back with `updateProduct`: a stale version is a `CONFLICT`.
    async fn version(&self) -> i64 {
        self.0.version
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    async fn updated_at(&self) -> DateTime<Utc> {
        self.0.updated_at
    }
}

/// A node of the category tree.
#[derive(Debug, SimpleObject)]
#[graphql(name = "Category")]
pub struct CategoryView {
    pub id: ID,
    pub name: String,
    pub parent_id: Option<ID>,
    /// Active products of active vendors in this category (not its children).
    pub active_products: i64,
    pub children: Vec<CategoryView>,
}

impl CategoryView {
    /// The tree of `all`, children sorted by name.
    pub fn tree(
        all: &[(Category, i64)],
        parent: Option<crate::domain::ObjectKey>,
    ) -> Vec<CategoryView> {
        all.iter()
            .filter(|(c, _)| c.parent == parent)
            .map(|(c, count)| CategoryView {
                id: ID(c.id.to_string()),
                name: c.name.clone(),
                parent_id: c.parent.map(|p| ID(p.to_string())),
                active_products: *count,
                children: Self::tree(all, Some(c.id)),
            })
            .collect()
    }

    pub fn single(category: Category) -> Self {
        CategoryView {
            id: ID(category.id.to_string()),
            name: category.name,
            parent_id: category.parent.map(|p| ID(p.to_string())),
            active_products: 0,
            children: Vec::new(),
        }
    }
}

#[derive(Debug, InputObject)]
pub struct MoneyInput {
    pub amount: i64,
    pub currency: String,
}

#[derive(Debug, InputObject)]
pub struct NameValueInput {
    pub name: String,
    pub value: String,
}

#[derive(Debug, InputObject)]
pub struct VariantInput {
    pub sku: String,
    #[graphql(default)]
    pub options: Vec<NameValueInput>,
    /// A price of its own, in the product's currency.
    pub price_amount: Option<i64>,
    /// Stock to start with when the SKU is new (default 0).
    pub initial_stock: Option<i64>,
}

#[derive(Debug, InputObject)]
pub struct ProductInput {
    pub title: String,
    #[graphql(default)]
    pub description: String,
    pub category_id: Option<ID>,
    pub price: MoneyInput,
    pub variants: Vec<VariantInput>,
    #[graphql(default)]
    pub images: Vec<String>,
    #[graphql(default)]
    pub attributes: Vec<NameValueInput>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
pub enum ProductSort {
    /// Best matches to the search text first (title words weigh more than
    /// description words); newest first without search text.
    Relevance,
    Newest,
    PriceAsc,
    PriceDesc,
    /// Best sellers first: most units shipped.
    Popular,
}
