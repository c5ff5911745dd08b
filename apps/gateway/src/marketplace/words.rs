//! The words a generated marketplace is made of: the category tree with what
//! each subcategory sells, colours, styles, and the phrases of descriptions and
//! vendor names.

/// A top-level category: its name, the materials its products are made of, and
/// its subcategories with the things sold in each. Prices are in minor units.
#[derive(Debug)]
pub struct Department {
    pub name: &'static str,
    pub materials: &'static [&'static str],
    pub sizes: &'static [&'static str],
    pub prices: (i64, i64),
    pub aisles: &'static [(&'static str, &'static [&'static str])],
}

/// The category tree: 5 departments of 3 subcategories each (20 categories).
/// Products go in the subcategories.
pub const DEPARTMENTS: &[Department] = &[
    Department {
        name: "Apparel",
        materials: &[
            "cotton",
            "linen",
            "merino wool",
            "denim",
            "silk",
            "cashmere",
            "hemp",
        ],
        sizes: &["S", "M", "L"],
        prices: (1_500, 18_000),
        aisles: &[
            ("Shirts", &["shirt", "tee", "blouse", "tunic", "polo"]),
            (
                "Knitwear",
                &["sweater", "cardigan", "scarf", "beanie", "vest"],
            ),
            (
                "Outerwear",
                &["jacket", "coat", "parka", "overshirt", "raincoat"],
            ),
        ],
    },
    Department {
        name: "Home",
        materials: &[
            "linen", "cotton", "wool", "jute", "rattan", "brass", "glass",
        ],
        sizes: &["small", "medium", "large"],
        prices: (1_200, 30_000),
        aisles: &[
            (
                "Bedding",
                &["duvet cover", "pillowcase", "throw", "quilt", "blanket"],
            ),
            (
                "Lighting",
                &[
                    "lamp",
                    "lantern",
                    "pendant light",
                    "candle holder",
                    "sconce",
                ],
            ),
            (
                "Rugs",
                &["rug", "runner", "doormat", "floor cushion", "bath mat"],
            ),
        ],
    },
    Department {
        name: "Kitchen",
        materials: &[
            "cast iron",
            "copper",
            "stoneware",
            "ceramic",
            "oak",
            "bamboo",
            "steel",
        ],
        sizes: &["single", "set of 2", "set of 4"],
        prices: (800, 25_000),
        aisles: &[
            (
                "Cookware",
                &["skillet", "saucepan", "dutch oven", "wok", "roasting tin"],
            ),
            (
                "Tableware",
                &["plate", "bowl", "mug", "serving platter", "teapot"],
            ),
            (
                "Utensils",
                &[
                    "spatula",
                    "cutting board",
                    "ladle",
                    "salad servers",
                    "whisk",
                ],
            ),
        ],
    },
    Department {
        name: "Outdoors",
        materials: &[
            "canvas",
            "nylon",
            "waxed cotton",
            "aluminium",
            "terracotta",
            "steel",
            "recycled polyester",
        ],
        sizes: &["small", "medium", "large"],
        prices: (1_000, 40_000),
        aisles: &[
            (
                "Camping",
                &["tent", "sleeping bag", "hammock", "camp chair", "lantern"],
            ),
            (
                "Garden",
                &["planter", "watering can", "trowel", "bird feeder", "apron"],
            ),
            (
                "Travel",
                &[
                    "backpack",
                    "duffel bag",
                    "water bottle",
                    "wash bag",
                    "packing cube",
                ],
            ),
        ],
    },
    Department {
        name: "Accessories",
        materials: &[
            "leather",
            "suede",
            "silver",
            "brass",
            "canvas",
            "cork",
            "wool felt",
        ],
        sizes: &["one size", "small", "large"],
        prices: (900, 20_000),
        aisles: &[
            (
                "Bags",
                &["tote bag", "satchel", "wallet", "belt bag", "card holder"],
            ),
            (
                "Jewellery",
                &["ring", "necklace", "bracelet", "earrings", "brooch"],
            ),
            (
                "Footwear",
                &["sneakers", "boots", "sandals", "slippers", "loafers"],
            ),
        ],
    },
];

pub(super) const COLOURS: &[&str] = &[
    "black",
    "white",
    "ivory",
    "charcoal",
    "slate grey",
    "navy",
    "indigo",
    "teal",
    "sage green",
    "olive",
    "forest green",
    "mustard",
    "ochre",
    "terracotta",
    "rust",
    "burgundy",
    "blush pink",
    "lavender",
    "sand",
    "chocolate brown",
];

pub(super) const STYLES: &[&str] = &[
    "classic",
    "everyday",
    "handmade",
    "organic",
    "vintage",
    "minimalist",
    "oversized",
    "lightweight",
    "heavyweight",
    "hand-woven",
    "recycled",
    "rustic",
    "modern",
    "artisan",
    "relaxed",
];

pub(super) const ORIGINS: &[&str] = &[
    "Made in small batches in Fez.",
    "Woven on traditional looms in Anatolia.",
    "Finished by hand in our Lisbon workshop.",
    "Sourced from family workshops in Oaxaca.",
    "Crafted in Kyoto by third-generation makers.",
    "Made to order in Marrakesh.",
];

pub(super) const CARE: &[&str] = &[
    "Softens with every wash.",
    "Ships in plastic-free packaging.",
    "Built to last for years of daily use.",
    "Each piece varies slightly: no two are alike.",
    "Wipe clean with a damp cloth.",
    "A thoughtful gift that gets better with age.",
];

pub(super) const VENDOR_WORDS: &[&str] = &[
    "Amber", "Cedar", "Saffron", "Juniper", "Olive", "Harbour", "Willow", "Copper", "Indigo",
    "Meadow", "Falcon", "Lantern", "Pebble", "Thistle", "Marigold", "Orchard",
];

pub(super) const VENDOR_KINDS: &[&str] = &[
    "Goods",
    "Trading Co.",
    "Workshop",
    "Atelier",
    "Supply",
    "House",
    "Studio",
    "Market",
];
