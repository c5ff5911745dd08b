//! Vendors getting paid: a transfer of (order total − commission) when an order
//! ships, to the vendor's connected account once its payouts are enabled;
//! onboarding; balances and ledger pages; and the platform's revenue.

use chrono::{DateTime, Utc};
use souk_orders::domain::{Order, OrderStatus, PaymentMethod};
use souk_tenants::{PlatformTx, TenantId, TenantTx};

use super::settle::append;
use super::{PaymentError, Payments};
use crate::domain::{Balance, EntryKind, ShareStatus};
use crate::provider::TransferRequest;
use crate::store::ledger::{self, Entry, EntryFilter};
use crate::store::{accounts, checkouts, refunds, shares, Account};

/// A vendor's way through the provider's onboarding.
#[derive(Debug, Clone)]
pub struct Onboarding {
    pub url: String,
    pub account: Account,
}

/// A vendor's payouts: its account, balances and a page of ledger entries.
#[derive(Debug, Clone)]
pub struct Payouts {
    pub account: Option<Account>,
    pub balances: Vec<Balance>,
    pub entries: Vec<Entry>,
}

/// What the platform earned in a period, per currency.
#[derive(Debug, Clone, Default)]
pub struct Revenue {
    /// Commission kept, net of commission returned by refunds.
    pub commission: Vec<(String, i64)>,
    /// Subscriptions: the plans' monthly prices pro-rated over the period.
    pub subscriptions: Vec<(String, i64)>,
}

impl Payments {
    /// Learns that an order changed: a shipped card order's money may move, and
    /// a checkout whose last open order was cancelled is paid for by nobody.
    pub async fn order_changed(&self, order: &Order) -> Result<(), PaymentError> {
        if order.payment_method != PaymentMethod::Card {
            return Ok(());
        }
        if matches!(order.status, OrderStatus::Cancelled | OrderStatus::Expired) {
            return self.cancel_if_nothing_to_pay(&order.checkout).await;
        }
        if !matches!(order.status, OrderStatus::Shipped | OrderStatus::Delivered) {
            return Ok(());
        }
        let id = order.id.to_string();
        let mut tx = TenantTx::begin(&self.pool, order.tenant).await?;
        shares::mark_shipped(&mut tx, &id).await?;
        tx.commit().await?;
        self.transfer(order.tenant, &id).await.map(|_| ())
    }

    /// Transfers a shipped, paid order's money to its vendor, once, when the
    /// vendor's payouts are enabled and no refund of it is under way; whether
    /// it did. The amount is written down before the provider is asked: a call
    /// whose answer was lost may have moved the money, so every later attempt
    /// asks for that same transfer under the same key (the provider answers with
    /// the one it made), whatever changed since, and a refund waits for it.
    pub(crate) async fn transfer(
        &self,
        tenant: TenantId,
        order_id: &str,
    ) -> Result<bool, PaymentError> {
        let Some((share, request)) = self.transfer_request(tenant, order_id).await? else {
            return Ok(false);
        };
        let transfer_id = self.provider.transfer(&request).await?;
        let mut tx = TenantTx::begin(&self.pool, tenant).await?;
        let recorded =
            shares::record_transfer(&mut tx, order_id, &transfer_id, request.amount).await?;
        if recorded {
            append(
                &mut tx,
                &share,
                EntryKind::Transfer,
                request.amount,
                Some(&transfer_id),
            )
            .await?;
        }
        tx.commit().await?;
        Ok(recorded)
    }

    /// The transfer due for the order, written down (under the share's lock)
    /// before anyone asks the provider for it; `None` when none is due.
    async fn transfer_request(
        &self,
        tenant: TenantId,
        order_id: &str,
    ) -> Result<Option<(crate::domain::Share, TransferRequest)>, PaymentError> {
        let mut tx = TenantTx::begin(&self.pool, tenant).await?;
        let Some(share) = shares::get(&mut tx, order_id, true).await? else {
            return Ok(None);
        };
        let (Some(account), None) = (accounts::get(&mut tx).await?, &share.transfer_id) else {
            return Ok(None);
        };
        let amount = match shares::transfer_in_flight(&mut tx, order_id).await? {
            Some(asked) => asked,
            None => {
                let ready = account.payouts_enabled
                    && share.status == ShareStatus::Paid
                    && share.shipped
                    && refunds::requested_total(&mut tx, order_id).await?.0 == 0;
                let due = share.to_transfer();
                if !ready || due <= 0 {
                    return Ok(None);
                }
                shares::request_transfer(&mut tx, order_id, due)
                    .await?
                    .unwrap_or(due)
            }
        };
        let charge = checkouts::get(&mut tx, &share.checkout_id)
            .await?
            .and_then(|p| p.charge_id);
        tx.commit().await?;
        let request = TransferRequest {
            amount,
            currency: share.currency.clone(),
            destination: account.account_id,
            source_charge: charge,
            group: share.checkout_id.clone(),
            order_id: order_id.to_string(),
            key: format!("souk-transfer-{order_id}"),
        };
        Ok(Some((share, request)))
    }

    /// Finishes a transfer of the order asked for and not recorded yet (a lost
    /// answer, a crash during the call), so that a refund reverses its part.
    pub(super) async fn finish_transfer(
        &self,
        tenant: TenantId,
        order_id: &str,
    ) -> Result<(), PaymentError> {
        let mut tx = TenantTx::begin(&self.pool, tenant).await?;
        let in_flight = shares::transfer_in_flight(&mut tx, order_id).await?;
        tx.commit().await?;
        if in_flight.is_some() {
            self.transfer(tenant, order_id).await?;
        }
        Ok(())
    }

    /// Owners: the vendor's connected account (created once) and a fresh
    /// onboarding link.
    pub async fn connect_payouts(&self, tenant: TenantId) -> Result<Onboarding, PaymentError> {
        let mut tx = TenantTx::begin(&self.pool, tenant).await?;
        let existing = accounts::get(&mut tx).await?;
        tx.commit().await?;
        let account = match existing {
            Some(account) => account,
            None => {
                let created = self.provider.create_account(&tenant.to_string()).await?;
                let mut tx = TenantTx::begin(&self.pool, tenant).await?;
                let account = Account {
                    account_id: created.id,
                    payouts_enabled: created.payouts_enabled,
                    charges_enabled: created.charges_enabled,
                    requirements: Vec::new(),
                };
                let kept = accounts::insert(&mut tx, tenant, &account).await?;
                tx.commit().await?;
                kept
            }
        };
        let base = self.links.public_url.trim_end_matches('/');
        let url = self
            .provider
            .account_link(
                &account.account_id,
                &format!("{base}/vendor/payouts?onboarding=retry"),
                &format!("{base}/vendor/payouts?onboarding=done"),
            )
            .await?;
        if account.payouts_enabled {
            self.release_held(tenant).await?;
        }
        Ok(Onboarding { url, account })
    }

    /// Applies what Stripe says a connected account may do now; payouts just
    /// enabled release the vendor's shipped, untransferred orders.
    pub async fn account_updated(
        &self,
        account: &Account,
        at: Option<i64>,
    ) -> Result<bool, PaymentError> {
        let tenant = {
            let mut tx = PlatformTx::begin(&self.platform).await?;
            let tenant = accounts::tenant_of(&mut tx, &account.account_id).await?;
            tx.commit().await?;
            tenant
        };
        let Some(tenant) = tenant else {
            return Ok(false);
        };
        let mut tx = TenantTx::begin(&self.pool, tenant).await?;
        accounts::update(&mut tx, account, at).await?;
        tx.commit().await?;
        if account.payouts_enabled {
            self.release_held(tenant).await?;
        }
        Ok(true)
    }

    /// Transfers every shipped order of `tenant` still waiting for payouts.
    async fn release_held(&self, tenant: TenantId) -> Result<(), PaymentError> {
        let waiting = {
            let mut tx = TenantTx::begin(&self.pool, tenant).await?;
            let found = shares::shipped_untransferred(&mut tx).await?;
            tx.commit().await?;
            found
        };
        for order_id in waiting {
            self.transfer(tenant, &order_id).await?;
        }
        Ok(())
    }

    /// The vendor's account, balances and one page of its ledger.
    pub async fn payouts(
        &self,
        tenant: TenantId,
        filter: &EntryFilter,
        limit: i64,
    ) -> Result<Payouts, PaymentError> {
        let mut tx = TenantTx::begin(&self.pool, tenant).await?;
        let account = accounts::get(&mut tx).await?;
        let balances = ledger::balances(&mut tx).await?;
        let entries = ledger::page(&mut tx, filter, limit).await?;
        tx.commit().await?;
        Ok(Payouts {
            account,
            balances,
            entries,
        })
    }

    /// Platform admins: every vendor's balance.
    pub async fn vendor_balances(
        &self,
        limit: i64,
    ) -> Result<Vec<(TenantId, Balance)>, PaymentError> {
        let mut tx = PlatformTx::begin(&self.platform).await?;
        let found = ledger::all_balances(&mut tx, limit).await?;
        tx.commit().await?;
        Ok(found)
    }

    /// Platform admins: commission and subscription revenue in `[from, to)`.
    pub async fn revenue(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Revenue, PaymentError> {
        let mut tx = PlatformTx::begin(&self.platform).await?;
        let commission = ledger::commission_between(&mut tx, from, to).await?;
        tx.commit().await?;
        let subscriptions = self
            .billing
            .subscription_revenue(from, to)
            .await
            .map_err(|e| PaymentError::Internal(souk_tenants::InternalError::new(e)))?;
        Ok(Revenue {
            commission,
            subscriptions,
        })
    }
}
