//! The queries and mutations.

use std::sync::Arc;

use async_graphql::connection::{Connection, Edge};
use async_graphql::{Context, InputObject, Object, Result, ID};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use souk_edge::{page_size, trim_page, ApiError};
use souk_tenants::{require_vendor, Principal, VendorActor};

use super::errors::{invalid_argument, invalid_quantity, invalid_sku};
use super::locations::{location_id, locations};
use super::objects::{LedgerEntryView, ReservationView, StockItemView};
use super::settle::{settle, Settlement};
use crate::domain::{
    Adjustment, NewStockItem, OrderId, Quantity, Reason, Reference, ReservationLine,
    ReservationRequest, Scope, Sku, StockDelta, Threshold, Ttl,
};
use crate::service::ItemsQuery;
use crate::Inventory;

const DEFAULT_PAGE: i32 = 20;

pub(super) fn inventory<'a>(ctx: &'a Context<'_>) -> Result<&'a Arc<dyn Inventory>, ApiError> {
    ctx.data::<Arc<dyn Inventory>>()
        .map_err(|err| ApiError::internal(&err.message))
}

/// The caller as a vendor (owner, manager or staff) of one tenant.
pub(super) fn vendor(ctx: &Context<'_>) -> Result<VendorActor, ApiError> {
    require_vendor(ctx.data_opt::<Principal>()).map_err(ApiError::from)
}

pub(super) fn scope(actor: &VendorActor) -> Scope {
    Scope {
        tenant: actor.tenant,
        actor: format!("user:{}", actor.subject),
    }
}

pub(super) fn sku(raw: &str) -> Result<Sku, ApiError> {
    Sku::parse(raw).map_err(invalid_sku)
}

fn encode_cursor(raw: &str) -> String {
    URL_SAFE_NO_PAD.encode(raw)
}

fn decode_cursor(after: Option<String>) -> Result<Option<String>, ApiError> {
    after
        .map(|cursor| {
            URL_SAFE_NO_PAD
                .decode(cursor.as_bytes())
                .ok()
                .and_then(|bytes| String::from_utf8(bytes).ok())
                .ok_or_else(|| {
                    ApiError::invalid_argument("after", "not a cursor returned by this list")
                })
        })
        .transpose()
}

async fn item_page(
    ctx: &Context<'_>,
    first: Option<i32>,
    after: Option<String>,
    low_stock_only: bool,
) -> Result<Connection<String, StockItemView>, ApiError> {
    let actor = vendor(ctx)?;
    let limit = page_size(first, DEFAULT_PAGE)?;
    let after = decode_cursor(after)?
        .map(|raw| Sku::parse(&raw))
        .transpose()
        .map_err(|_| ApiError::invalid_argument("after", "not a cursor returned by this list"))?;
    let items = inventory(ctx)?
        .items(
            actor.tenant,
            ItemsQuery {
                after: after.clone(),
                limit: limit + 1,
                low_stock_only,
            },
        )
        .await
        .map_err(ApiError::from)?;
    let (items, has_next) = trim_page(items, limit);
    let mut connection = Connection::new(after.is_some(), has_next);
    connection.edges.extend(
        items
            .into_iter()
            .map(|item| Edge::new(encode_cursor(item.sku.as_str()), StockItemView(item))),
    );
    Ok(connection)
}

/// Inventory queries: vendor staff read their own tenant's stock.
#[derive(Debug, Default)]
pub struct InventoryQuery;

#[Object]
impl InventoryQuery {
    /// One SKU's stock, or null when this tenant has no such SKU.
    async fn stock_item(&self, ctx: &Context<'_>, sku: String) -> Result<Option<StockItemView>> {
        let actor = vendor(ctx)?;
        let sku = self::sku(&sku)?;
        let item = inventory(ctx)?
            .item(actor.tenant, &sku)
            .await
            .map_err(ApiError::from)?;
        Ok(item.map(StockItemView))
    }

    /// The tenant's stock items in SKU order.
    async fn stock_items(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Page size, 1 to 100 (default 20).")] first: Option<i32>,
        after: Option<String>,
        #[graphql(default = false)] low_stock_only: bool,
    ) -> Result<Connection<String, StockItemView>> {
        Ok(item_page(ctx, first, after, low_stock_only).await?)
    }

    /// Stock items whose available stock is at or below their reorder threshold.
    async fn low_stock(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Page size, 1 to 100 (default 20).")] first: Option<i32>,
        after: Option<String>,
    ) -> Result<Connection<String, StockItemView>> {
        Ok(item_page(ctx, first, after, true).await?)
    }

    /// A SKU's ledger, newest first; with `location`, only that location's
    /// changes.
    async fn stock_history(
        &self,
        ctx: &Context<'_>,
        sku: String,
        #[graphql(desc = "Page size, 1 to 100 (default 20).")] first: Option<i32>,
        after: Option<String>,
        location: Option<ID>,
    ) -> Result<Connection<String, LedgerEntryView>> {
        let actor = vendor(ctx)?;
        let sku = self::sku(&sku)?;
        let limit = page_size(first, DEFAULT_PAGE)?;
        let before = decode_cursor(after)?
            .map(|raw| raw.parse::<i64>())
            .transpose()
            .map_err(|_| {
                ApiError::invalid_argument("after", "not a cursor returned by this list")
            })?;
        let entries = match location {
            None => inventory(ctx)?
                .history(actor.tenant, &sku, before, limit + 1)
                .await
                .map_err(ApiError::from)?,
            Some(location) => locations(ctx)?
                .history_at(
                    actor.tenant,
                    &sku,
                    location_id("location", &location)?,
                    before,
                    limit + 1,
                )
                .await
                .map_err(ApiError::from)?,
        };
        let (entries, has_next) = trim_page(entries, limit);
        let mut connection = Connection::new(before.is_some(), has_next);
        connection.edges.extend(
            entries.into_iter().map(|entry| {
                Edge::new(encode_cursor(&entry.id.to_string()), LedgerEntryView(entry))
            }),
        );
        Ok(connection)
    }

    /// The reservation held for an order, or null.
    async fn reservation(
        &self,
        ctx: &Context<'_>,
        order_id: String,
    ) -> Result<Option<ReservationView>> {
        let actor = vendor(ctx)?;
        let order_id = OrderId::parse(&order_id).map_err(invalid_argument("orderId"))?;
        let reservation = inventory(ctx)?
            .reservation(actor.tenant, &order_id)
            .await
            .map_err(ApiError::from)?;
        Ok(reservation.map(ReservationView))
    }
}

/// One line of a reservation request.
#[derive(Debug, InputObject)]
pub struct ReservationLineInput {
    pub sku: String,
    pub quantity: i64,
}

/// Inventory mutations: vendor staff (owner, manager, staff) change their tenant's
/// stock.
#[derive(Debug, Default)]
pub struct InventoryMutation;

#[Object]
impl InventoryMutation {
    /// Starts tracking a SKU's stock.
    async fn create_stock_item(
        &self,
        ctx: &Context<'_>,
        sku: String,
        on_hand: i64,
        #[graphql(default = 0)] reorder_threshold: i64,
    ) -> Result<StockItemView> {
        let actor = vendor(ctx)?;
        let item = NewStockItem {
            sku: self::sku(&sku)?,
            on_hand: Threshold::parse(on_hand).map_err(invalid_quantity("onHand"))?,
            reorder_threshold: Threshold::parse(reorder_threshold)
                .map_err(invalid_quantity("reorderThreshold"))?,
        };
        let created = inventory(ctx)?
            .create_item(&scope(&actor), item)
            .await
            .map_err(ApiError::from)?;
        Ok(StockItemView(created))
    }

    /// Changes a SKU's reorder threshold.
    async fn update_stock_item(
        &self,
        ctx: &Context<'_>,
        sku: String,
        reorder_threshold: i64,
    ) -> Result<StockItemView> {
        let actor = vendor(ctx)?;
        let sku = self::sku(&sku)?;
        let threshold =
            Threshold::parse(reorder_threshold).map_err(invalid_quantity("reorderThreshold"))?;
        let updated = inventory(ctx)?
            .set_reorder_threshold(&scope(&actor), &sku, threshold)
            .await
            .map_err(ApiError::from)?;
        Ok(StockItemView(updated))
    }

    /// Adds (`delta > 0`) or removes (`delta < 0`) on-hand stock at a location
    /// (the default one when none is named). The reason is kept in the ledger;
    /// on-hand stock may not drop below what is reserved there.
    async fn adjust_stock(
        &self,
        ctx: &Context<'_>,
        sku: String,
        delta: i64,
        reason: String,
        reference: Option<String>,
        location: Option<ID>,
    ) -> Result<StockItemView> {
        let actor = vendor(ctx)?;
        let adjustment = Adjustment {
            sku: self::sku(&sku)?,
            delta: StockDelta::parse(delta).map_err(invalid_quantity("delta"))?,
            reason: Reason::parse(&reason).map_err(invalid_argument("reason"))?,
            reference: reference
                .as_deref()
                .map(Reference::parse)
                .transpose()
                .map_err(invalid_argument("reference"))?,
        };
        let Some(location) = location else {
            let adjusted = inventory(ctx)?
                .adjust(&scope(&actor), adjustment)
                .await
                .map_err(ApiError::from)?;
            return Ok(StockItemView(adjusted));
        };
        let location = location_id("location", &location)?;
        let sku = adjustment.sku.clone();
        locations(ctx)?
            .adjust_at(&scope(&actor), adjustment, location)
            .await
            .map_err(ApiError::from)?;
        let item = inventory(ctx)?
            .item(actor.tenant, &sku)
            .await
            .map_err(ApiError::from)?
            .ok_or_else(|| ApiError::new("UNKNOWN_SKU", format!("no stock item with SKU {sku}")))?;
        Ok(StockItemView(item))
    }

    /// Holds stock for an order: every line or none. Idempotent by `orderId`: a retry
    /// returns the same reservation; a retry with other lines is a
    /// `RESERVATION_CONFLICT`.
    async fn reserve_stock(
        &self,
        ctx: &Context<'_>,
        order_id: String,
        lines: Vec<ReservationLineInput>,
        #[graphql(desc = "How long the stock is held, in seconds (default 900).")]
        ttl_seconds: Option<i64>,
    ) -> Result<ReservationView> {
        let actor = vendor(ctx)?;
        let order_id = OrderId::parse(&order_id).map_err(invalid_argument("orderId"))?;
        let lines = lines
            .iter()
            .map(|line| {
                Ok(ReservationLine {
                    sku: self::sku(&line.sku)?,
                    quantity: Quantity::parse(line.quantity)
                        .map_err(invalid_quantity("quantity"))?,
                })
            })
            .collect::<Result<Vec<_>, ApiError>>()?;
        let ttl = ttl_seconds
            .map(Ttl::parse_seconds)
            .transpose()
            .map_err(invalid_argument("ttlSeconds"))?
            .unwrap_or(Ttl::DEFAULT);
        let request =
            ReservationRequest::new(order_id, lines, ttl).map_err(invalid_argument("lines"))?;
        let reservation = inventory(ctx)?
            .reserve(&scope(&actor), request)
            .await
            .map_err(ApiError::from)?;
        Ok(ReservationView(reservation))
    }

    /// The order was paid: its hold no longer expires and ends only by commit or
    /// release. Idempotent: confirming a confirmed reservation returns it. An
    /// overdue hold is `RESERVATION_EXPIRED`.
    async fn confirm_reservation(
        &self,
        ctx: &Context<'_>,
        order_id: String,
    ) -> Result<ReservationView> {
        Ok(settle(ctx, &order_id, Settlement::Confirm).await?)
    }

    /// Gives an order's reserved stock back.
    async fn release_reservation(
        &self,
        ctx: &Context<'_>,
        order_id: String,
    ) -> Result<ReservationView> {
        Ok(settle(ctx, &order_id, Settlement::Release).await?)
    }

    /// The order shipped: its reserved stock leaves (on hand and reserved both drop)
    /// from the locations that hold it, or all from `fromLocation` when named (the
    /// hold moves there first; `INSUFFICIENT_STOCK` when it is short). An overdue
    /// unconfirmed hold is `RESERVATION_EXPIRED`.
    async fn commit_reservation(
        &self,
        ctx: &Context<'_>,
        order_id: String,
        from_location: Option<ID>,
    ) -> Result<ReservationView> {
        let from = from_location
            .map(|id| location_id("fromLocation", &id))
            .transpose()?;
        Ok(settle(ctx, &order_id, Settlement::Commit(from)).await?)
    }
}
