//! What a seeded marketplace holds, worked out from a seed alone: vendor names,
//! the category tree, and each product's title, description, price, variants and
//! stock. The same seed and indices always give the same marketplace, and any
//! vendor's or product's plan can be computed on its own (in any order, in
//! parallel).

/// How large a marketplace to seed, and the seed its contents come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Size {
    pub vendors: usize,
    pub products: usize,
    pub seed: u64,
}

/// The seed `souk seed marketplace` uses unless told otherwise.
pub const DEFAULT_SEED: u64 = 16;

pub use super::words::{Department, DEPARTMENTS};
use super::words::{CARE, COLOURS, ORIGINS, STYLES, VENDOR_KINDS, VENDOR_WORDS};

/// A vendor to seed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VendorPlan {
    pub name: String,
    /// Fixed by the vendor's index alone, so a re-run finds the vendors it made.
    pub slug: String,
}

/// A product to seed, in the subcategory `DEPARTMENTS[department].aisles[aisle]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProductPlan {
    pub title: String,
    pub description: String,
    pub department: usize,
    pub aisle: usize,
    pub price: i64,
    pub variants: Vec<VariantPlan>,
}

/// A variant to seed: its SKU, size, and the stock it starts with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VariantPlan {
    pub sku: String,
    pub size: &'static str,
    pub on_hand: i64,
}

/// A deterministic stream of numbers (SplitMix64): portable, with no state
/// shared between the products being planned.
struct Dice(u64);

impl Dice {
    fn new(seed: u64, vendor: usize, product: usize) -> Self {
        let mut dice = Dice(seed);
        dice.0 = dice.next() ^ vendor as u64;
        dice.0 = dice.next() ^ product as u64;
        dice
    }

    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// A number in `0..n` (`n > 0`).
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    fn pick<T: Copy>(&mut self, items: &[T]) -> T {
        items[self.below(items.len())]
    }

    /// True with probability `percent` / 100.
    fn chance(&mut self, percent: usize) -> bool {
        self.below(100) < percent
    }
}

/// The vendor with this index.
pub fn vendor(seed: u64, index: usize) -> VendorPlan {
    let mut dice = Dice::new(seed, index, usize::MAX);
    let first = dice.below(VENDOR_WORDS.len());
    // Two different words: the second is one of the others.
    let second = (first + 1 + dice.below(VENDOR_WORDS.len() - 1)) % VENDOR_WORDS.len();
    let name = format!(
        "{} {} {}",
        VENDOR_WORDS[first],
        VENDOR_WORDS[second],
        dice.pick(VENDOR_KINDS)
    );
    VendorPlan {
        name,
        slug: format!("market-{index:05}"),
    }
}

/// The product with this index of the vendor with this index. About one product
/// in eight is sold out, and some variants of the others too.
pub fn product(seed: u64, vendor: usize, index: usize) -> ProductPlan {
    let mut dice = Dice::new(seed, vendor, index);
    let department = dice.below(DEPARTMENTS.len());
    let dept = &DEPARTMENTS[department];
    let aisle = dice.below(dept.aisles.len());
    let (style, colour) = (dice.pick(STYLES), dice.pick(COLOURS));
    let (material, item) = (dice.pick(dept.materials), dice.pick(dept.aisles[aisle].1));
    let title = capitalised(&format!("{style} {colour} {material} {item}"));
    let (trim, origin, care) = (dice.pick(COLOURS), dice.pick(ORIGINS), dice.pick(CARE));
    let description =
        format!("A {item} in {colour} {material}, trimmed in {trim}. {origin} {care}");
    // Skewed towards the cheap end, and ending in .99 or .00.
    let (low, high) = dept.prices;
    let spread = (high - low) as f64 * (dice.below(1000) as f64 / 1000.0).powi(2);
    let whole = (low + spread as i64) / 100;
    let price = if dice.chance(70) {
        whole * 100 + 99
    } else {
        whole * 100
    };
    let sold_out = dice.chance(12);
    let count = 1 + dice.below(3);
    let variants = dept.sizes[..count]
        .iter()
        .enumerate()
        .map(|(k, size)| VariantPlan {
            sku: format!("MKT{vendor:05}-{index:04}-{k}"),
            size,
            on_hand: if sold_out || dice.chance(15) {
                0
            } else {
                1 + dice.below(60) as i64
            },
        })
        .collect();
    ProductPlan {
        title,
        description,
        department,
        aisle,
        price,
        variants,
    }
}

fn capitalised(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_seed_plans_the_same_marketplace() {
        for v in 0..5 {
            assert_eq!(vendor(7, v), vendor(7, v));
            for p in 0..20 {
                assert_eq!(product(7, v, p), product(7, v, p));
            }
        }
        let differs = (0..20).any(|p| product(7, 0, p) != product(8, 0, p));
        assert!(differs, "another seed plans other products");
    }

    #[test]
    fn products_vary_and_some_are_sold_out() {
        let plans: Vec<_> = (0..10)
            .flat_map(|v| (0..100).map(move |p| product(16, v, p)))
            .collect();
        let titles: std::collections::HashSet<_> = plans.iter().map(|p| &p.title).collect();
        assert!(titles.len() > 900, "{} distinct titles", titles.len());
        let sold_out = plans
            .iter()
            .filter(|p| p.variants.iter().all(|v| v.on_hand == 0))
            .count();
        assert!((60..250).contains(&sold_out), "{sold_out} sold out");
        assert!(plans.iter().all(|p| (1..=3).contains(&p.variants.len())));
        assert!(plans.iter().all(|p| p.price >= 800 && p.price <= 40_000));
        assert!(plans.iter().any(|p| p.title.contains("linen")));
    }
}
