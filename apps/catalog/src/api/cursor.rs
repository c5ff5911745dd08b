//! Listing cursors: the order a page follows and the last item's sort key, as
//! opaque text.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use chrono::DateTime;
use mongodb::bson::oid::ObjectId;
use souk_edge::ApiError;

use crate::store::products::{After, Order};

/// Where a listing page ends.
#[derive(Debug, Clone, PartialEq)]
pub struct Cursor(pub Order, pub After);

pub fn encode(cursor: &Cursor) -> String {
    let text = match cursor {
        Cursor(_, After::Newest(at, id)) => format!("n|{}|{id}", at.timestamp_millis()),
        Cursor(Order::PriceHighLow, After::Price(amount, id)) => format!("d|{amount}|{id}"),
        Cursor(_, After::Price(amount, id)) => format!("a|{amount}|{id}"),
        Cursor(_, After::Rank(rank, id)) => format!("s|{}|{id}", rank.to_bits()),
        Cursor(_, After::Sold(units, id)) => format!("p|{units}|{id}"),
    };
    URL_SAFE_NO_PAD.encode(text)
}

fn bad() -> ApiError {
    ApiError::invalid_argument("after", "not a cursor returned by this list")
}

pub fn decode(raw: Option<String>) -> Result<Option<Cursor>, ApiError> {
    let Some(raw) = raw else { return Ok(None) };
    let text = String::from_utf8(URL_SAFE_NO_PAD.decode(raw.as_bytes()).map_err(|_| bad())?)
        .map_err(|_| bad())?;
    let mut parts = text.split('|');
    let (Some(kind), Some(key), Some(id), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(bad());
    };
    let id = ObjectId::parse_str(id).map_err(|_| bad())?;
    let key: i64 = key.parse().map_err(|_| bad())?;
    Ok(Some(match kind {
        "n" => Cursor(
            Order::Newest,
            DateTime::from_timestamp_millis(key)
                .filter(|at| souk_edge::input::storable_time(*at))
                .map(|at| After::Newest(at, id))
                .ok_or_else(bad)?,
        ),
        "a" => Cursor(Order::PriceLowHigh, After::Price(key, id)),
        "d" => Cursor(Order::PriceHighLow, After::Price(key, id)),
        "p" => Cursor(Order::Popular, After::Sold(key, id)),
        "s" => {
            let rank = f32::from_bits(u32::try_from(key).map_err(|_| bad())?);
            if !rank.is_finite() {
                return Err(bad());
            }
            Cursor(Order::Relevance, After::Rank(rank, id))
        }
        _ => return Err(bad()),
    }))
}

/// The position `after` names, if it belongs to a listing ordered by `order`.
pub fn for_order(order: Order, after: Option<Cursor>) -> Result<Option<After>, ApiError> {
    match after {
        None => Ok(None),
        Some(Cursor(of, after)) if of == order => Ok(Some(after)),
        Some(_) => Err(ApiError::invalid_argument(
            "after",
            "the cursor belongs to another sort order",
        )),
    }
}

#[cfg(test)]
mod tests {
    use chrono::Utc;

    use super::*;

    #[test]
    fn cursors_round_trip_and_forgeries_are_refused() {
        let id = ObjectId::new();
        let at = DateTime::from_timestamp_millis(Utc::now().timestamp_millis()).expect("now");
        for cursor in [
            Cursor(Order::Newest, After::Newest(at, id)),
            Cursor(Order::PriceLowHigh, After::Price(-5, id)),
            Cursor(Order::PriceHighLow, After::Price(i64::MAX, id)),
            Cursor(Order::Relevance, After::Rank(0.607_927_1, id)),
            Cursor(Order::Popular, After::Sold(12, id)),
        ] {
            let back = decode(Some(encode(&cursor))).expect("decodes");
            assert_eq!(back, Some(cursor));
        }
        let nan = URL_SAFE_NO_PAD.encode(format!("s|{}|{id}", f32::NAN.to_bits()));
        for forged in [nan, "x".into(), URL_SAFE_NO_PAD.encode("s|-1|zz")] {
            assert!(decode(Some(forged)).is_err());
        }
    }
}
