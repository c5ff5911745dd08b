//! Payments' GraphQL: `checkout` with its payment, the test provider's
//! `payTestCheckout`, `refundOrder`, a vendor's `payouts` and
//! `connectPayouts`, and the platform's `platformRevenue`.

mod objects;

use std::sync::Arc;

use async_graphql::connection::{Connection, Edge};
use async_graphql::{Context, Object, Result, ID};
use chrono::{DateTime, Utc};
use souk_edge::{page_size, person, principal, service, trim_page, ApiError};
use souk_orders::api::{actor, place, CheckoutInput, OrderView, PaymentMethodView};
use souk_orders::service::Actor;
use souk_tenants::{Role, TenantId};

use crate::service::{PaymentError, RefundInput};
use crate::store::EntryFilter;
use crate::Payments;
pub use objects::PaymentSettings;
use objects::{
    BalanceView, CheckoutPaymentView, CheckoutResult, EntryKindView, EntryView, OnboardingView,
    OrderPaymentView, PlatformRevenue, VendorBalance,
};

fn payments<'a>(ctx: &'a Context<'_>) -> Result<&'a Arc<Payments>, ApiError> {
    service::<Payments>(ctx)
}

/// A payments error as the API answers it.
pub fn payment_error(err: PaymentError) -> ApiError {
    let message = err.to_string();
    match err {
        PaymentError::NotFound | PaymentError::UnknownVendor | PaymentError::NotRecordedYet(_) => {
            ApiError::new("NOT_FOUND", message)
        }
        PaymentError::Forbidden => ApiError::new("FORBIDDEN", message),
        PaymentError::Invalid { code, field, .. } => {
            ApiError::new(code, message).with("argument", field)
        }
        PaymentError::TestProviderDisabled => ApiError::new("TEST_PROVIDER_DISABLED", message),
        PaymentError::Closed(_) => ApiError::new("PAYMENT_CLOSED", message),
        PaymentError::NotRefundable(_) => ApiError::new("NOT_REFUNDABLE", message),
        PaymentError::Conflict => ApiError::new("CONFLICT", message),
        PaymentError::TooMuch { refundable } => {
            ApiError::new("REFUND_TOO_LARGE", message).with("refundable", refundable)
        }
        PaymentError::Provider(cause) => {
            tracing::warn!(error = %cause, "payment provider unavailable");
            ApiError::new(
                "PAYMENT_PROVIDER_UNAVAILABLE",
                "the payment provider did not answer; retry in a moment (the same request is safe to repeat)",
            )
            .with("retryAfterSeconds", souk_edge::RETRY_AFTER_SECONDS)
        }
        PaymentError::Internal(inner) => ApiError::failure(&inner),
    }
}

/// The caller's vendor, when they may move its money (owners and managers).
fn money_manager(ctx: &Context<'_>) -> Result<TenantId, ApiError> {
    let principal =
        principal(ctx).ok_or_else(|| ApiError::new("UNAUTHENTICATED", "sign in to do this"))?;
    match (principal.role, principal.tenant) {
        (Role::Owner | Role::Manager, Some(tenant)) => Ok(tenant),
        _ => Err(ApiError::new(
            "FORBIDDEN",
            "a vendor's owner or manager does this",
        )),
    }
}

fn customer(ctx: &Context<'_>) -> Result<String, ApiError> {
    let (id, principal) = person(ctx)?;
    if principal.role != Role::Customer {
        return Err(ApiError::new("FORBIDDEN", "sign in as a customer"));
    }
    Ok(id.to_string())
}

#[derive(Debug, Default)]
pub struct PaymentsQuery;

#[Object]
impl PaymentsQuery {
    /// How this deployment takes payments (anyone).
    async fn payment_settings(&self, ctx: &Context<'_>) -> Result<PaymentSettings> {
        let payments = payments(ctx)?;
        Ok(PaymentSettings {
            provider: payments.provider().into(),
            publishable_key: payments.publishable_key().map(str::to_string),
        })
    }

    /// The signed-in customer's payment for one of their checkouts.
    async fn checkout_payment(
        &self,
        ctx: &Context<'_>,
        checkout_id: ID,
    ) -> Result<Option<CheckoutPaymentView>> {
        let customer = customer(ctx)?;
        match payments(ctx)?
            .checkout_payment(&customer, &checkout_id)
            .await
        {
            Ok(payment) => Ok(Some(CheckoutPaymentView(payment))),
            Err(PaymentError::NotFound) => Ok(None),
            Err(err) => Err(payment_error(err).into()),
        }
    }

    /// One order's money: its customer sees what was paid and refunded; its
    /// vendor and platform admins also the commission and the transfers.
    async fn order_payment(
        &self,
        ctx: &Context<'_>,
        order_id: ID,
    ) -> Result<Option<OrderPaymentView>> {
        let actor = actor(ctx)?;
        match payments(ctx)?.order_payment(&actor, &order_id).await {
            Ok((share, refunds)) => Ok(Some(OrderPaymentView {
                share,
                refunds,
                vendor_side: !matches!(actor, Actor::Customer(_)),
            })),
            Err(PaymentError::NotFound) => Ok(None),
            Err(err) => Err(payment_error(err).into()),
        }
    }

    /// Owners and managers: the vendor's balance and its payments ledger,
    /// newest first.
    #[allow(clippy::too_many_arguments)]
    async fn payouts(
        &self,
        ctx: &Context<'_>,
        kind: Option<EntryKindView>,
        order_id: Option<ID>,
        from: Option<DateTime<Utc>>,
        to: Option<DateTime<Utc>>,
        #[graphql(desc = "Page size, 1 to 100 (default 20).")] first: Option<i32>,
        after: Option<String>,
    ) -> Result<PayoutsView> {
        let tenant = money_manager(ctx)?;
        let limit = page_size(first, 20)?;
        let before = after
            .map(|raw| {
                raw.parse::<i64>()
                    .ok()
                    .filter(|id| *id > 0)
                    .ok_or_else(|| ApiError::invalid_argument("after", "not a cursor of this list"))
            })
            .transpose()?;
        let filter = EntryFilter {
            kind: kind.map(Into::into),
            order_id: order_id.map(|id| id.0),
            from: from.map(souk_edge::input::clamp_time),
            to: to.map(souk_edge::input::clamp_time),
            before,
        };
        let found = payments(ctx)?
            .payouts(tenant, &filter, limit + 1)
            .await
            .map_err(payment_error)?;
        let (entries, has_next) = trim_page(found.entries, limit);
        let mut page = Connection::new(before.is_some(), has_next);
        page.edges.extend(
            entries
                .into_iter()
                .map(|e| Edge::new(e.id.to_string(), EntryView::from(e))),
        );
        Ok(PayoutsView {
            account: found.account.map(Into::into),
            balances: found.balances.into_iter().map(Into::into).collect(),
            entries: page,
        })
    }

    /// Platform admins: commission and subscription revenue in `[from, to)`.
    async fn platform_revenue(
        &self,
        ctx: &Context<'_>,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<PlatformRevenue> {
        souk_edge::platform_admin(ctx)?;
        let (from, to) = (
            souk_edge::input::clamp_time(from),
            souk_edge::input::clamp_time(to),
        );
        if to <= from || (to - from).num_days() > 3_660 {
            return Err(ApiError::invalid_argument("to", "after `from`, within ten years").into());
        }
        let revenue = payments(ctx)?
            .revenue(from, to)
            .await
            .map_err(payment_error)?;
        Ok(PlatformRevenue::new(from, to, revenue))
    }

    /// Platform admins: each vendor's balance.
    async fn vendor_balances(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "At most this many, 1 to 100 (default 50).")] first: Option<i32>,
    ) -> Result<Vec<VendorBalance>> {
        souk_edge::platform_admin(ctx)?;
        let limit = page_size(first, 50)?;
        Ok(payments(ctx)?
            .vendor_balances(limit)
            .await
            .map_err(payment_error)?
            .into_iter()
            .map(Into::into)
            .collect())
    }
}

/// A vendor's payouts.
#[derive(async_graphql::SimpleObject)]
#[graphql(name = "Payouts")]
pub struct PayoutsView {
    /// The connected account, once `connectPayouts` created it.
    pub account: Option<objects::AccountView>,
    pub balances: Vec<BalanceView>,
    pub entries: Connection<String, EntryView>,
}

impl std::fmt::Debug for PayoutsView {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Payouts")
            .field("account", &self.account)
            .field("balances", &self.balances)
            .finish_non_exhaustive()
    }
}

#[derive(Debug, Default)]
pub struct PaymentsMutation;

#[Object]
impl PaymentsMutation {
    /// Buys a cart that may span vendors: one order per vendor (prices from the
    /// catalog now, every vendor's stock held, or `INSUFFICIENT_STOCK` naming
    /// each short SKU and nothing held), and the one payment that pays them.
    /// The orders stay `pending` until the payment succeeds. Repeating the
    /// call with the same key answers the same checkout and payment.
    async fn checkout(&self, ctx: &Context<'_>, input: CheckoutInput) -> Result<CheckoutResult> {
        let customer = customer(ctx)?;
        let payments = payments(ctx)?;
        let manual = match input.payment_method {
            Some(PaymentMethodView::Manual) => {
                payments.manual_vendors().await.map_err(payment_error)?
            }
            _ => Vec::new(),
        };
        let placed = place(ctx, &input, manual).await?;
        let payment = payments
            .start(&customer, &placed)
            .await
            .map_err(payment_error)?;
        Ok(CheckoutResult {
            checkout_id: payment.checkout_id.clone(),
            orders: placed.into_iter().map(OrderView).collect(),
            payment: CheckoutPaymentView(payment),
        })
    }

    /// The test provider only (demos and tests; no money moves): completes the
    /// customer's checkout payment, or declines it with `succeed: false`, with
    /// every effect a real payment has.
    async fn pay_test_checkout(
        &self,
        ctx: &Context<'_>,
        checkout_id: ID,
        #[graphql(desc = "false declines the payment (default true).")] succeed: Option<bool>,
    ) -> Result<CheckoutPaymentView> {
        let customer = customer(ctx)?;
        let payment = payments(ctx)?
            .pay_test(&customer, &checkout_id, succeed.unwrap_or(true))
            .await
            .map_err(payment_error)?;
        Ok(CheckoutPaymentView(payment))
    }

    /// Owners and managers of the order's vendor, or platform admins: refunds
    /// `amount` minor units of a paid order (all that is left by default). A
    /// refund of everything moves the order to `REFUNDED`; `goodsReturned`
    /// restocks a shipped order's goods. The vendor's transfer is reversed and
    /// the commission returned in proportion.
    async fn refund_order(
        &self,
        ctx: &Context<'_>,
        order_id: ID,
        amount: Option<i64>,
        reason: String,
        #[graphql(desc = "The goods came back (default false).")] goods_returned: Option<bool>,
        #[graphql(
            desc = "1 to 100 characters: a retry with the same key answers the refund it made, once; another refund under it is refused (IDEMPOTENCY_CONFLICT)."
        )]
        idempotency_key: Option<String>,
    ) -> Result<OrderPaymentView> {
        let actor = actor(ctx)?;
        if !matches!(actor, Actor::Admin(_)) {
            money_manager(ctx)?;
        }
        let (share, refunds) = payments(ctx)?
            .refund_order(
                &actor,
                RefundInput {
                    order_id: order_id.0,
                    amount,
                    reason,
                    goods_returned: goods_returned.unwrap_or(false),
                    idempotency_key,
                },
            )
            .await
            .map_err(payment_error)?;
        Ok(OrderPaymentView {
            share,
            refunds,
            vendor_side: true,
        })
    }

    /// Owners: creates the vendor's connected account (once) and answers a
    /// fresh onboarding link. A vendor sells before onboarding; its earnings
    /// wait until its payouts are enabled.
    async fn connect_payouts(&self, ctx: &Context<'_>) -> Result<OnboardingView> {
        let principal =
            principal(ctx).ok_or_else(|| ApiError::new("UNAUTHENTICATED", "sign in to do this"))?;
        let tenant = match (principal.role, principal.tenant) {
            (Role::Owner, Some(tenant)) => tenant,
            _ => return Err(ApiError::new("FORBIDDEN", "the vendor's owner does this").into()),
        };
        Ok(payments(ctx)?
            .connect_payouts(tenant)
            .await
            .map_err(payment_error)?
            .into())
    }

    /// Platform admins: lets a vendor take offline payments (`MANUAL`
    /// checkouts, marked paid by the vendor), or stops it.
    async fn set_manual_payments(
        &self,
        ctx: &Context<'_>,
        vendor_id: ID,
        enabled: bool,
    ) -> Result<bool> {
        souk_edge::platform_admin(ctx)?;
        let admin = principal(ctx)
            .map(|p| p.subject.clone())
            .unwrap_or_default();
        let tenant = TenantId::parse(&vendor_id)
            .map_err(|_| ApiError::new("INVALID_ID", "vendorId: not a vendor id"))?;
        payments(ctx)?
            .set_manual(tenant, enabled, &admin)
            .await
            .map_err(payment_error)?;
        Ok(enabled)
    }
}

/// An order changed through the API: a shipped card order's money may move now
/// (the reconciler does it later when this fails).
#[async_trait::async_trait]
impl souk_orders::api::AfterChange for Payments {
    async fn changed(&self, order: &souk_orders::domain::Order) {
        if let Err(err) = self.order_changed(order).await {
            tracing::warn!(order_id = %order.id, error = %err, "the order's payout waits for the payments repair");
        }
    }
}
