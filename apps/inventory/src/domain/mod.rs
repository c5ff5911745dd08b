//! Inventory's types, rules and errors. No I/O here.

mod errors;
mod locations;
mod model;
mod values;

pub use errors::{
    AdjustError, CreateError, InternalError, ReservationClosed, ReserveError, SettleError,
    Shortage, UpdateError,
};
pub use locations::{
    Address, Allocation, LocationChange, LocationCode, LocationError, LocationId, LocationName,
    NewLocation, StockLevel, StockLocation, Strategy, Transfer, MAX_LOCATIONS,
};
pub use model::{
    Adjustment, LedgerEntry, LedgerKind, NewStockItem, Reservation, ReservationLine,
    ReservationRequest, ReservationStatus, StockItem,
};
pub(crate) use souk_tenants::Scope;
pub use values::{
    InvalidValue, OrderId, Quantity, Reason, Reference, Sku, StockDelta, Threshold, Ttl,
    MAX_QUANTITY, MAX_RESERVATION_LINES,
};
