//! The checkout saga: orders first, then stock, then the orders are marked
//! reserved; a shortage anywhere releases every hold of the checkout.

use souk_inventory::domain::{ReserveError, Shortage};

use super::{reservation, saga_scope, MongoOrders};
use crate::domain::{CheckoutError, InternalError, Order};
use crate::store::orders;

impl MongoOrders {
    /// Reserves every order's stock; on any shortage releases all of them and
    /// reports every short SKU.
    async fn reserve_all(&self, placed: &[Order]) -> Result<(), CheckoutError> {
        let attempts = futures::future::join_all(placed.iter().map(|order| async move {
            let request = reservation(order, self.ttl)?;
            Ok::<_, InternalError>(self.inventory.reserve(&saga_scope(order), request).await)
        }))
        .await;
        let mut shortages = Vec::new();
        let mut failure = None;
        for (order, attempt) in placed.iter().zip(attempts) {
            match attempt? {
                Ok(_) => {}
                Err(ReserveError::Insufficient(short)) => shortages.extend(short),
                Err(ReserveError::UnknownSku(sku)) => {
                    let requested = order
                        .lines
                        .iter()
                        .find(|l| l.sku == sku)
                        .map_or(0, |l| l.quantity.get());
                    shortages.push(Shortage {
                        sku,
                        requested,
                        available: 0,
                    });
                }
                Err(other) => failure = Some(InternalError::new(other)),
            }
        }
        if shortages.is_empty() && failure.is_none() {
            return Ok(());
        }
        for order in placed {
            self.undo(order, "stock unavailable").await?;
        }
        match failure {
            Some(err) => Err(err.into()),
            None => Err(CheckoutError::Insufficient(shortages)),
        }
    }

    /// The saga: orders first, then stock, then the orders are marked reserved.
    pub(super) async fn place(&self, placed: &[Order]) -> Result<(), CheckoutError> {
        for order in placed {
            orders::insert(&self.scoped(order.tenant), order).await?;
        }
        self.reserve_all(placed).await?;
        for order in placed {
            orders::set_reserved(&self.scoped(order.tenant), order.id.0, true).await?;
        }
        Ok(())
    }
}
