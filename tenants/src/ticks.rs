//! The clock of a background job: a tick every interval until the job is told
//! to stop.

use std::time::Duration;

use tokio::time::{Interval, MissedTickBehavior};
use tokio_util::sync::CancellationToken;

/// Ticks every `every`, the first at once; a tick that comes late (the job ran
/// long) delays the next rather than bunching them.
#[derive(Debug)]
pub struct Ticks {
    interval: Interval,
    stop: CancellationToken,
}

impl Ticks {
    pub fn new(every: Duration, stop: CancellationToken) -> Self {
        let mut interval = tokio::time::interval(every);
        interval.set_missed_tick_behavior(MissedTickBehavior::Delay);
        Self { interval, stop }
    }

    /// Waits for the next tick: `true` when it came, `false` once `stop` is
    /// cancelled.
    pub async fn next(&mut self) -> bool {
        tokio::select! {
            () = self.stop.cancelled() => false,
            _ = self.interval.tick() => true,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn ticks_until_stopped() {
        let stop = CancellationToken::new();
        let mut ticks = Ticks::new(Duration::from_secs(60), stop.clone());
        let started = tokio::time::Instant::now();
        assert!(ticks.next().await, "the first tick comes at once");
        assert!(ticks.next().await);
        assert_eq!(started.elapsed(), Duration::from_secs(60));
        stop.cancel();
        assert!(!ticks.next().await);
    }
}
