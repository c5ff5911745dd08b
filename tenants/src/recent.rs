//! A small cache of recent answers about authority (is this session live, what is
//! this member's role, is this vendor active), kept for seconds at most and
//! invalidated on change.
//!
//! A read that started before an invalidation never stores its (possibly stale)
//! answer after it: every invalidation advances an epoch, and an answer is stored
//! only if the epoch is the one its read started in. So within one process a
//! change is seen by the very next request; other processes see it within the
//! time to live.

use std::collections::HashMap;
use std::future::Future;
use std::hash::Hash;
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

/// How long answers about authority are reused unless invalidated sooner.
pub const AUTHORITY_TTL: Duration = Duration::from_secs(2);

/// Recent answers by key.
#[derive(Debug)]
pub struct Recent<K, V> {
    ttl: Duration,
    capacity: usize,
    state: Mutex<State<K, V>>,
}

#[derive(Debug)]
struct State<K, V> {
    epoch: u64,
    entries: HashMap<K, (Instant, V)>,
}

impl<K: Eq + Hash + Clone, V: Clone> Recent<K, V> {
    /// Keeps at most `capacity` answers, each for `ttl`.
    pub fn new(ttl: Duration, capacity: usize) -> Self {
        Self {
            ttl,
            capacity: capacity.max(1),
            state: Mutex::new(State {
                epoch: 0,
                entries: HashMap::new(),
            }),
        }
    }

    fn state(&self) -> MutexGuard<'_, State<K, V>> {
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// The answer for `key`: a recent one, or `load`'s (stored unless `key` was
    /// invalidated meanwhile).
    pub async fn get_or_load<E, F>(&self, key: K, load: F) -> Result<V, E>
    where
        F: Future<Output = Result<V, E>>,
    {
        let epoch = {
            let state = self.state();
            if let Some((at, value)) = state.entries.get(&key) {
                if at.elapsed() < self.ttl {
                    return Ok(value.clone());
                }
            }
            state.epoch
        };
        // An answer's age counts from when its read began.
        let read_at = Instant::now();
        let value = load.await?;
        let mut state = self.state();
        if state.epoch == epoch {
            if state.entries.len() >= self.capacity {
                let ttl = self.ttl;
                state.entries.retain(|_, (at, _)| at.elapsed() < ttl);
                if state.entries.len() >= self.capacity {
                    state.entries.clear();
                }
            }
            state.entries.insert(key, (read_at, value.clone()));
        }
        Ok(value)
    }

    /// Forgets `key`, and keeps reads already under way from storing it again.
    pub fn invalidate(&self, key: &K) {
        let mut state = self.state();
        state.entries.remove(key);
        state.epoch += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn load(n: u32) -> Result<u32, ()> {
        Ok(n)
    }

    #[tokio::test]
    async fn answers_are_reused_until_invalidated_or_stale() {
        let cache = Recent::new(Duration::from_millis(50), 10);
        assert_eq!(cache.get_or_load("a", load(1)).await, Ok(1));
        assert_eq!(cache.get_or_load("a", load(2)).await, Ok(1), "reused");
        cache.invalidate(&"a");
        assert_eq!(cache.get_or_load("a", load(3)).await, Ok(3), "invalidated");
        tokio::time::sleep(Duration::from_millis(60)).await;
        assert_eq!(cache.get_or_load("a", load(4)).await, Ok(4), "stale");
    }

    #[tokio::test]
    async fn a_slow_read_is_as_old_as_its_start() {
        let cache = Recent::new(Duration::from_millis(50), 10);
        let slow = cache.get_or_load("a", async {
            tokio::time::sleep(Duration::from_millis(60)).await;
            Ok::<_, ()>(1)
        });
        assert_eq!(slow.await, Ok(1));
        assert_eq!(
            cache.get_or_load("a", load(2)).await,
            Ok(2),
            "already stale"
        );
    }

    #[tokio::test]
    async fn a_read_overtaken_by_an_invalidation_is_not_stored() {
        let cache = Recent::new(Duration::from_secs(60), 10);
        let slow = cache.get_or_load("a", async {
            cache.invalidate(&"a");
            Ok::<_, ()>(1)
        });
        assert_eq!(slow.await, Ok(1));
        assert_eq!(cache.get_or_load("a", load(2)).await, Ok(2));
    }

    #[tokio::test]
    async fn the_cache_stays_within_its_capacity() {
        let cache = Recent::new(Duration::from_secs(60), 3);
        for n in 0..10 {
            assert_eq!(cache.get_or_load(n, load(n)).await, Ok(n));
        }
        assert!(cache.state().entries.len() <= 3);
    }
}
