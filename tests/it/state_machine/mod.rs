//! A randomized run over the public API: direct holds with short TTLs (reserve,
//! confirm, release, commit), checkouts over one or two vendors, payment,
//! shipping, cancellation and refunds, stock adjustments and waits past the
//! TTLs. A model keeps what the API acknowledged; at checkpoints and after the
//! run the stock books are checked against it (see `books`), and every answer
//! must be typed: no 5xx, no `INTERNAL`, no error without a code.
//!
//! `SOUK_STATE_MACHINE_SEED=<n>` replays a run (the seed is printed);
//! `SOUK_STATE_MACHINE_STEPS=<n>` sets its length.

mod actions;
mod books;
mod orders;
mod world;

use std::time::Instant;

use world::World;

const DEFAULT_SEED: u64 = 13;
const DEFAULT_STEPS: usize = 240;
const CHECKPOINT_EVERY: usize = 60;

/// A small deterministic generator (splitmix64): the same seed, the same run.
pub(crate) struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in `0..n` (`n > 0`).
    pub(crate) fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    /// A number in `low..=high`.
    pub(crate) fn between(&mut self, low: i64, high: i64) -> i64 {
        low + (self.next() % (high - low + 1) as u64) as i64
    }

    pub(crate) fn chance(&mut self, percent: usize) -> bool {
        self.below(100) < percent
    }
}

fn env_or<T: std::str::FromStr>(name: &str, default: T) -> T {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

#[tokio::test]
async fn random_holds_orders_and_adjustments_keep_the_stock_books() {
    let seed = env_or("SOUK_STATE_MACHINE_SEED", DEFAULT_SEED);
    let steps = env_or("SOUK_STATE_MACHINE_STEPS", DEFAULT_STEPS);
    println!("state machine: seed {seed}, {steps} steps (SOUK_STATE_MACHINE_SEED replays it)");
    let started = Instant::now();
    let mut world = World::build(Rng(seed)).await;
    for step in 1..=steps {
        world.step = step;
        actions::random_step(&mut world).await;
        if step % CHECKPOINT_EVERY == 0 {
            books::check(&mut world).await;
        }
    }
    books::settle_and_check(&mut world).await;
    println!(
        "state machine: {} calls in {:.1} s; answers {:?}; books {:?}",
        world.calls,
        started.elapsed().as_secs_f64(),
        world.outcomes,
        world.book_summary(),
    );
    assert!(
        world.violations.is_empty(),
        "seed {seed}: {} violations:\n{}",
        world.violations.len(),
        world.violations.join("\n")
    );
}
