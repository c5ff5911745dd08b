//! The terms both limiters decide in: a rate (one request every interval, up to a
//! burst at once) and the decision on one request.

use std::time::Duration;

/// One request every `interval`, up to `burst` at once from a full bucket.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Rate {
    interval: Duration,
    burst: u32,
}

impl Rate {
    /// `per_second` requests a second (at least 1), `burst` at once (at least 1).
    pub fn per_second(per_second: u32, burst: u32) -> Self {
        Self::every(Duration::from_secs(1) / per_second.max(1), burst)
    }

    /// `per_minute` requests a minute, all of them at once from a full bucket.
    pub fn per_minute(per_minute: u32) -> Self {
        let n = per_minute.max(1);
        Self::every(Duration::from_secs(60) / n, n)
    }

    fn every(interval: Duration, burst: u32) -> Self {
        Self {
            interval: interval.max(Duration::from_micros(1)),
            burst: burst.max(1),
        }
    }

    pub fn interval(&self) -> Duration {
        self.interval
    }

    pub fn burst(&self) -> u32 {
        self.burst
    }

    /// What one of `replicas` processes may admit so that all of them together
    /// stay within this rate: the interval `replicas` times as long, the burst
    /// divided (at least 1).
    pub fn share(self, replicas: u32) -> Self {
        let replicas = replicas.max(1);
        Self::every(self.interval * replicas, self.burst / replicas)
    }

    /// How long an empty bucket takes to fill: `tau + T` (`interval × burst`).
    fn capacity(&self) -> Duration {
        self.interval * self.burst
    }

    /// A verdict for a request admitted with `remaining` left: the bucket is full
    /// again once the used part has refilled.
    pub(crate) fn allowed(&self, remaining: u32) -> Decision {
        let remaining = remaining.min(self.burst);
        Decision {
            allowed: true,
            limit: self.burst,
            remaining,
            retry_after: Duration::ZERO,
            reset_after: self.interval * (self.burst - remaining),
        }
    }

    /// A verdict for a refused request that may be retried after `retry_after`:
    /// one more interval per remaining place in the burst fills the bucket.
    pub(crate) fn refused(&self, retry_after: Duration) -> Decision {
        Decision {
            allowed: false,
            limit: self.burst,
            remaining: 0,
            retry_after,
            reset_after: (retry_after + self.capacity()).saturating_sub(self.interval),
        }
    }
}

/// The verdict on one request, and what its client may still do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Decision {
    pub allowed: bool,
    /// The burst the request was judged under.
    pub limit: u32,
    /// Requests that would be admitted now, after this one.
    pub remaining: u32,
    /// When refused: how long until a request would be admitted.
    pub retry_after: Duration,
    /// How long until the bucket is full again.
    pub reset_after: Duration,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_share_divides_rate_and_burst_but_never_below_one() {
        let rate = Rate::per_second(10, 20);
        assert_eq!(rate.share(2), Rate::per_second(5, 10));
        assert_eq!(rate.share(1), rate);
        let share = Rate::per_second(10, 3).share(4);
        assert_eq!(share.burst(), 1);
        assert_eq!(share.interval(), Duration::from_millis(400));
        assert_eq!(Rate::per_minute(0), Rate::per_minute(1));
    }

    #[test]
    fn a_refused_request_reports_when_the_bucket_is_full_again() {
        let rate = Rate::per_second(1, 3);
        let refused = rate.refused(Duration::from_millis(400));
        assert_eq!(refused.reset_after, Duration::from_millis(2400));
        assert_eq!(rate.allowed(1).reset_after, Duration::from_secs(2));
    }
}
