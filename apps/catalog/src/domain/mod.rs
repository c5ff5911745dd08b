//! The catalog's types, rules and errors. No I/O here.

mod errors;
mod model;
mod values;

pub use errors::{CatalogError, InternalError};
pub use model::{
    Category, NewVariant, Product, ProductDraft, ProductStatus, RawDraft, RawVariant, Variant,
};
pub use values::{InvalidValue, Money, ObjectKey, MAX_VARIANTS};
