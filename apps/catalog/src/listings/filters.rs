//! The read model's queries: a storefront page and its facet counts, built from
//! one set of filters so both always agree on what matches.

use mongodb::bson::oid::ObjectId;
use sqlx::postgres::PgRow;
use sqlx::{Postgres, QueryBuilder, Row};
use uuid::Uuid;

use super::{tenant_of, Facets, PriceBand};
use crate::service::Listing;
use crate::store::products::{After, Order};

/// How many vendors the facet counts name.
pub const TOP_VENDORS: i64 = 20;

/// The edges of the facet counts' price bands, in minor units.
const BAND_EDGES: [i64; 6] = [0, 1_000, 2_500, 5_000, 10_000, 25_000];

/// The most words of search text that are matched.
const MAX_TERMS: usize = 8;

/// Search text this short is not compared by trigram similarity.
const MIN_SIMILAR_CHARS: usize = 4;

/// The full-text query for `text`: every word, lower-cased, as a prefix
/// (`tee:* & blac:*`), or `None` when the text holds no word. Only letters and
/// digits reach the query: operators, quotes and patterns in the text are
/// separators, never syntax.
pub fn search_terms(text: &str) -> Option<String> {
    let terms: Vec<String> = text
        .split(|c: char| !c.is_alphanumeric())
        .filter(|word| !word.is_empty())
        .take(MAX_TERMS)
        .map(|word| format!("{}:*", word.to_lowercase()))
        .collect();
    (!terms.is_empty()).then(|| terms.join(" & "))
}

/// What the search text matches, bound into a query.
struct Search<'a> {
    terms: Option<String>,
    text: &'a str,
}

impl Search<'_> {
    fn similar(&self) -> bool {
        self.text.chars().count() >= MIN_SIMILAR_CHARS
    }

    /// `(rank)`: term weight (titles count more) plus title similarity.
    fn push_rank(&self, q: &mut QueryBuilder<'_, Postgres>) {
        q.push("(");
        match &self.terms {
            Some(terms) => {
                q.push("ts_rank(l.terms, to_tsquery('english', ");
                q.push_bind(terms.clone());
                q.push("))");
            }
            None => {
                q.push("0");
            }
        }
        if self.similar() {
            q.push(" + word_similarity(");
            q.push_bind(self.text.to_string());
            q.push(", l.title)");
        }
        q.push(")::float4");
    }

    fn push_match(&self, q: &mut QueryBuilder<'_, Postgres>) {
        q.push(" AND (");
        match &self.terms {
            Some(terms) => {
                q.push("l.terms @@ to_tsquery('english', ");
                q.push_bind(terms.clone());
                q.push(")");
            }
            None => {
                q.push("false");
            }
        }
        if self.similar() {
            q.push(" OR ");
            q.push_bind(self.text.to_string());
            q.push(" <% l.title");
        }
        q.push(")");
    }
}

/// The search of `listing`: `Some(None)` without search text, `None` when the
/// text can match nothing.
fn search(listing: &Listing) -> Option<Option<Search<'_>>> {
    let Some(text) = listing.search.as_deref() else {
        return Some(None);
    };
    let search = Search {
        terms: search_terms(text),
        text,
    };
    (search.terms.is_some() || search.similar()).then_some(Some(search))
}

/// `FROM … WHERE …`: listed products of active vendors that pass every filter.
fn push_from_where(q: &mut QueryBuilder<'_, Postgres>, listing: &Listing, search: Option<&Search>) {
    q.push(
        " FROM storefront.shelf l
          JOIN tenancy.tenants t ON t.id = l.tenant_id AND t.status = 'active'
          WHERE true",
    );
    if listing.in_stock {
        q.push(" AND l.in_stock");
    }
    if let Some(category) = listing.category {
        q.push(" AND l.category_id = ");
        q.push_bind(category.0.to_hex());
    }
    if let Some(vendor) = listing.vendor {
        q.push(" AND l.tenant_id = ");
        q.push_bind(vendor.as_uuid());
    }
    if let Some(min) = listing.min_price {
        q.push(" AND l.price >= ");
        q.push_bind(min);
    }
    if let Some(max) = listing.max_price {
        q.push(" AND l.price <= ");
        q.push_bind(max);
    }
    if let Some(search) = search {
        search.push_match(q);
    }
}

/// ` AND (m.{key}, m.product_id) {op} ($value, $id)`.
fn push_key<'a, T>(
    q: &mut QueryBuilder<'a, Postgres>,
    key: &str,
    op: &str,
    value: T,
    cast: &str,
    id: &ObjectId,
) where
    T: 'a + sqlx::Encode<'a, Postgres> + sqlx::Type<Postgres> + Send,
{
    q.push(format!(" AND (m.{key}, m.product_id) {op} ("));
    q.push_bind(value);
    q.push(format!("{cast}, "));
    q.push_bind(id.to_hex());
    q.push(")");
}

/// The keyset condition for the page after `after`.
fn push_after(q: &mut QueryBuilder<'_, Postgres>, order: Order, after: &After) {
    match (order, after) {
        (Order::Newest | Order::Relevance, After::Newest(at, id)) => {
            push_key(q, "created_at", "<", *at, "", id);
        }
        (Order::PriceLowHigh, After::Price(amount, id)) => {
            push_key(q, "price", ">", *amount, "", id)
        }
        (Order::PriceHighLow, After::Price(amount, id)) => {
            push_key(q, "price", "<", *amount, "", id)
        }
        (Order::Relevance, After::Rank(rank, id)) => {
            push_key(q, "rank", "<", *rank, "::float4", id)
        }
        (Order::Popular, After::Sold(units, id)) => push_key(q, "popularity", "<", *units, "", id),
        // A cursor of another order is refused before it gets here.
        _ => {}
    }
}

fn order_by(order: Order, searching: bool) -> &'static str {
    match order {
        Order::Relevance if searching => " ORDER BY m.rank DESC, m.product_id DESC",
        Order::Newest | Order::Relevance => " ORDER BY m.created_at DESC, m.product_id DESC",
        Order::PriceLowHigh => " ORDER BY m.price, m.product_id",
        Order::PriceHighLow => " ORDER BY m.price DESC, m.product_id DESC",
        Order::Popular => " ORDER BY m.popularity DESC, m.product_id DESC",
    }
}

/// The query of one page, or `None` when nothing can match.
pub fn page(listing: &Listing) -> Option<QueryBuilder<'_, Postgres>> {
    let search = search(listing)?;
    // A runtime query: its filters, search terms, cursor and order are chosen per request.
    // The page is chosen on keys only; the products (large documents) are read
    // for its rows alone, not for every match a search ranks.
    let mut q = QueryBuilder::new(
        "SELECT s.product, m.rank, m.popularity FROM (SELECT m.* FROM (
             SELECT l.product_id, l.created_at, l.price, l.popularity, ",
    );
    match &search {
        Some(search) => search.push_rank(&mut q),
        None => {
            q.push("0::float4");
        }
    }
    q.push(" AS rank");
    push_from_where(&mut q, listing, search.as_ref());
    q.push(") m WHERE true");
    let order = if search.is_some() || listing.order != Order::Relevance {
        listing.order
    } else {
        Order::Newest
    };
    if let Some(after) = &listing.after {
        push_after(&mut q, order, after);
    }
    let order_by = order_by(order, search.is_some());
    q.push(order_by);
    q.push(" LIMIT ");
    q.push_bind(listing.limit);
    q.push(") m JOIN storefront.shelf s ON s.product_id = m.product_id");
    q.push(order_by);
    Some(q)
}

/// The facet query: one scan, grouped by category, vendor and price band
/// (`band` i: from the i-th edge up to the next).
pub fn facets(listing: &Listing) -> Option<QueryBuilder<'_, Postgres>> {
    let search = search(listing)?;
    let edges: Vec<String> = BAND_EDGES.iter().map(i64::to_string).collect();
    // A runtime query: its filters and search terms are chosen per request.
    let mut q = QueryBuilder::new(format!(
        "SELECT GROUPING(f.category_id) AS no_category, GROUPING(f.tenant_id) AS no_vendor,
                GROUPING(f.band) AS no_band, f.category_id, f.tenant_id, f.band, count(*) AS n
         FROM (SELECT l.category_id, l.tenant_id,
                      width_bucket(l.price, ARRAY[{}]::bigint[]) AS band",
        edges.join(", ")
    ));
    push_from_where(&mut q, listing, search.as_ref());
    q.push(") f GROUP BY GROUPING SETS ((f.category_id), (f.tenant_id), (f.band), ())");
    Some(q)
}

pub fn empty_bands() -> Vec<PriceBand> {
    BAND_EDGES
        .iter()
        .enumerate()
        .map(|(i, min)| PriceBand {
            min: *min,
            max: BAND_EDGES.get(i + 1).copied(),
            count: 0,
        })
        .collect()
}

/// The facet rows as [`Facets`].
pub fn read_facets(rows: &[PgRow]) -> Result<Facets, sqlx::Error> {
    let mut facets = Facets {
        price_bands: empty_bands(),
        ..Facets::default()
    };
    for row in rows {
        let (no_category, no_vendor, no_band): (i32, i32, i32) = (
            row.try_get("no_category")?,
            row.try_get("no_vendor")?,
            row.try_get("no_band")?,
        );
        let n: i64 = row.try_get("n")?;
        match (no_category, no_vendor, no_band) {
            (0, _, _) => {
                let id: Option<String> = row.try_get("category_id")?;
                facets
                    .categories
                    .push((id.and_then(|id| ObjectId::parse_str(id).ok()), n));
            }
            (_, 0, _) => {
                let id: Uuid = row.try_get("tenant_id")?;
                facets.vendors.push((tenant_of(id), n));
            }
            (_, _, 0) => {
                let band: i32 = row.try_get("band")?;
                if let Some(slot) = usize::try_from(band - 1)
                    .ok()
                    .and_then(|i| facets.price_bands.get_mut(i))
                {
                    slot.count = n;
                }
            }
            _ => facets.total = n,
        }
    }
    facets.categories.sort_by_key(|c| std::cmp::Reverse(c.1));
    facets
        .vendors
        .sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    facets
        .vendors
        .truncate(usize::try_from(TOP_VENDORS).unwrap_or(20));
    Ok(facets)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn search_text_becomes_prefix_terms_and_never_syntax() {
        assert_eq!(search_terms("Tee"), Some("tee:*".into()));
        assert_eq!(search_terms("black  TEE"), Some("black:* & tee:*".into()));
        assert_eq!(
            search_terms("a&b|!c:*'d"),
            Some("a:* & b:* & c:* & d:*".into())
        );
        assert_eq!(search_terms(".*"), None);
        assert_eq!(
            search_terms("{\"$ne\": null}"),
            Some("ne:* & null:*".into())
        );
        assert_eq!(
            search_terms("crème brûlée"),
            Some("crème:* & brûlée:*".into())
        );
        let long = "w ".repeat(50);
        assert_eq!(search_terms(&long).map(|t| t.matches('&').count()), Some(7));
    }
}
