//! Hybrid logical clock.
//!
//! Every synced row carries the HLC of its last write. Comparing two HLCs orders writes
//! across devices even when wall clocks disagree a little: the physical part follows the
//! wall clock, the counter breaks ties within one millisecond, and the node id (the device
//! id) breaks ties between devices. The text form sorts in the same order as the value,
//! so SQL can compare HLC strings directly.

use std::cmp::Ordering;
use std::fmt;
use std::str::FromStr;
use std::sync::Mutex;

use serde::{Deserialize, Serialize};

/// Remote clocks further ahead of ours than this are refused: a device with a badly set
/// clock would otherwise win every conflict for as long as its clock stays ahead.
pub const MAX_CLOCK_DRIFT_MS: u64 = 5 * 60 * 1000;

/// The largest counter a clock issues or accepts. A local tick that would pass it carries
/// into the next millisecond instead, so the clock never saturates (two writes with one
/// HLC) and never issues a counter other devices would refuse.
pub const MAX_COUNTER: u32 = 1 << 24;

#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Hlc {
    /// Milliseconds since the Unix epoch.
    pub millis: u64,
    pub counter: u32,
    /// Device id: lower-case hex, at most 32 characters, no '-'.
    pub node: String,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HlcError {
    #[error("malformed hybrid logical clock {0:?}")]
    Malformed(String),
    #[error(
        "the other device's clock is {drift_ms} ms ahead of this one (limit {limit_ms} ms); \
         check the date and time settings"
    )]
    ClockDrift { drift_ms: u64, limit_ms: u64 },
    #[error("hybrid logical clock counter {counter} is over {limit}")]
    CounterTooLarge { counter: u32, limit: u32 },
}

impl Hlc {
    pub fn new(millis: u64, counter: u32, node: impl Into<String>) -> Self {
        Hlc {
            millis,
            counter,
            node: node.into(),
        }
    }

    /// The smallest HLC for a node; useful as "never written".
    pub fn zero(node: impl Into<String>) -> Self {
        Hlc::new(0, 0, node)
    }
}

impl Ord for Hlc {
    fn cmp(&self, other: &Self) -> Ordering {
        (self.millis, self.counter, &self.node).cmp(&(other.millis, other.counter, &other.node))
    }
}

impl PartialOrd for Hlc {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl fmt::Display for Hlc {
    /// Fixed-width fields so that string order equals value order.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:015}-{:08x}-{}", self.millis, self.counter, self.node)
    }
}

impl FromStr for Hlc {
    type Err = HlcError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = || HlcError::Malformed(s.to_owned());
        let mut parts = s.splitn(3, '-');
        let millis = parts.next().ok_or_else(bad)?;
        let counter = parts.next().ok_or_else(bad)?;
        let node = parts.next().ok_or_else(bad)?;
        if millis.len() != 15 || counter.len() != 8 || node.is_empty() || node.len() > 32 {
            return Err(bad());
        }
        if !node
            .bytes()
            .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
        {
            return Err(bad());
        }
        Ok(Hlc {
            millis: millis.parse().map_err(|_| bad())?,
            counter: u32::from_str_radix(counter, 16).map_err(|_| bad())?,
            node: node.to_owned(),
        })
    }
}

impl TryFrom<String> for Hlc {
    type Error = HlcError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        s.parse()
    }
}

impl From<Hlc> for String {
    fn from(h: Hlc) -> String {
        h.to_string()
    }
}

/// The clock of one device. `tick` stamps a local write; `observe` folds in a remote HLC
/// so that our next local write orders after everything we have seen.
#[derive(Debug)]
pub struct HlcClock {
    /// The node id can change while the clock runs (`set_node`): a database that finds it
    /// was copied, or logs in as a new device, takes a new one, since two databases must
    /// never stamp with one node id.
    node: Mutex<String>,
    last: Mutex<(u64, u32)>,
    wall: fn() -> u64,
}

fn system_millis() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

impl HlcClock {
    pub fn new(node: impl Into<String>) -> Self {
        Self::with_wall_clock(node, system_millis)
    }

    pub fn with_wall_clock(node: impl Into<String>, wall: fn() -> u64) -> Self {
        HlcClock {
            node: Mutex::new(node.into()),
            last: Mutex::new((0, 0)),
            wall,
        }
    }

    pub fn node(&self) -> String {
        self.node.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// Stamps from now on with `node`. What was issued or seen so far stays the floor.
    pub fn set_node(&self, node: impl Into<String>) {
        *self.node.lock().unwrap_or_else(|e| e.into_inner()) = node.into();
    }

    /// The wall clock this clock follows, in millis since the Unix epoch.
    pub fn wall_millis(&self) -> u64 {
        (self.wall)()
    }

    /// Stamps a local write: strictly after every HLC this clock has issued, observed or
    /// been seeded with.
    pub fn tick(&self) -> Hlc {
        let wall = (self.wall)();
        let mut last = self.last.lock().unwrap_or_else(|e| e.into_inner());
        let (millis, counter) = if wall > last.0 {
            (wall, 0)
        } else if last.1 >= MAX_COUNTER {
            // Carry: as if the wall clock had moved on by one millisecond.
            (last.0 + 1, 0)
        } else {
            (last.0, last.1 + 1)
        };
        *last = (millis, counter);
        drop(last);
        Hlc::new(millis, counter, self.node())
    }

    /// Stamps a local write that replaces `previous` (an edit or delete of a stored row):
    /// strictly after it even if it came from a clock far ahead of ours.
    pub fn tick_above(&self, previous: &Hlc) -> Hlc {
        self.seed(previous);
        self.tick()
    }

    /// Moves the clock to at least `hlc` without any drift check: for HLCs this database
    /// already holds (at open, the highest stored one), which must never be re-issued.
    pub fn seed(&self, hlc: &Hlc) {
        let mut last = self.last.lock().unwrap_or_else(|e| e.into_inner());
        let seen = (hlc.millis, hlc.counter.min(MAX_COUNTER));
        if seen > *last {
            *last = seen;
        }
    }

    /// The highest (millis, counter) issued or seen so far.
    pub fn last(&self) -> (u64, u32) {
        *self.last.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Merge a remote timestamp; refuses one too far ahead of our wall clock or with a
    /// counter over [`MAX_COUNTER`].
    pub fn observe(&self, remote: &Hlc) -> Result<(), HlcError> {
        if remote.counter > MAX_COUNTER {
            return Err(HlcError::CounterTooLarge {
                counter: remote.counter,
                limit: MAX_COUNTER,
            });
        }
        let wall = (self.wall)();
        if remote.millis > wall + MAX_CLOCK_DRIFT_MS {
            return Err(HlcError::ClockDrift {
                drift_ms: remote.millis - wall,
                limit_ms: MAX_CLOCK_DRIFT_MS,
            });
        }
        let mut last = self.last.lock().unwrap_or_else(|e| e.into_inner());
        if (remote.millis, remote.counter) > *last {
            *last = (remote.millis, remote.counter);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn ticks_are_strictly_increasing_even_when_the_wall_clock_stands_still() {
        let clock = HlcClock::with_wall_clock("ab", || 1_000);
        let a = clock.tick();
        let b = clock.tick();
        assert!(b > a);
        assert_eq!(b.counter, 1);
    }

    #[test]
    fn observing_a_later_remote_moves_our_clock_past_it() {
        let clock = HlcClock::with_wall_clock("aa", || 1_000);
        let remote = Hlc::new(2_000, 7, "bb");
        clock.observe(&remote).unwrap();
        assert!(clock.tick() > remote);
    }

    #[test]
    fn a_full_counter_carries_into_the_next_millisecond() {
        let clock = HlcClock::with_wall_clock("aa", || 1_000);
        clock.seed(&Hlc::new(1_000, MAX_COUNTER - 1, "bb"));
        let a = clock.tick();
        assert_eq!((a.millis, a.counter), (1_000, MAX_COUNTER));
        let b = clock.tick();
        assert_eq!((b.millis, b.counter), (1_001, 0));
        assert!(b > a);
        let c = clock.tick();
        assert!(c > b);
    }

    #[test]
    fn seeding_from_a_stored_hlc_ahead_of_the_wall_clock_keeps_ticks_above_it() {
        // A peer's clock ran 4 minutes ahead; after a restart ours starts from the database.
        let clock = HlcClock::with_wall_clock("aa", || 1_000);
        let stored = Hlc::new(1_000 + 240_000, 3, "bb");
        clock.seed(&stored);
        assert!(clock.tick() > stored);
        // Seeding is never refused, however far ahead, and never moves the clock back.
        clock.seed(&Hlc::new(5, 0, "cc"));
        assert!(clock.tick().millis >= 241_000);
    }

    #[test]
    fn tick_above_orders_after_the_replaced_version() {
        let clock = HlcClock::with_wall_clock("aa", || 1_000);
        let previous = Hlc::new(9_000_000, 7, "ff");
        assert!(clock.tick_above(&previous) > previous);
    }

    #[test]
    fn a_new_node_keeps_the_floor() {
        let clock = HlcClock::with_wall_clock("aa", || 1_000);
        let a = clock.tick();
        clock.set_node("bb");
        let b = clock.tick();
        assert_eq!(b.node, "bb");
        assert!((b.millis, b.counter) > (a.millis, a.counter));
    }

    #[test]
    fn refuses_remote_counters_over_the_bound() {
        let clock = HlcClock::with_wall_clock("aa", || 1_000);
        assert!(matches!(
            clock.observe(&Hlc::new(1_000, MAX_COUNTER + 1, "bb")),
            Err(HlcError::CounterTooLarge { .. })
        ));
        assert!(clock.observe(&Hlc::new(1_000, MAX_COUNTER, "bb")).is_ok());
    }

    #[test]
    fn refuses_remote_clock_too_far_ahead() {
        let clock = HlcClock::with_wall_clock("aa", || 1_000);
        let remote = Hlc::new(1_000 + MAX_CLOCK_DRIFT_MS + 1, 0, "bb");
        assert!(matches!(
            clock.observe(&remote),
            Err(HlcError::ClockDrift { .. })
        ));
    }

    #[test]
    fn rejects_malformed_text() {
        for s in [
            "",
            "1-2-3",
            "000000000000001-0000000g-ab",
            "000000000000001-00000000-AB",
        ] {
            assert!(s.parse::<Hlc>().is_err(), "{s}");
        }
    }

    proptest! {
        #[test]
        fn text_order_equals_value_order(
            a in (0u64..10u64.pow(14), any::<u32>(), "[0-9a-f]{1,32}"),
            b in (0u64..10u64.pow(14), any::<u32>(), "[0-9a-f]{1,32}"),
        ) {
            let ha = Hlc::new(a.0, a.1, a.2);
            let hb = Hlc::new(b.0, b.1, b.2);
            prop_assert_eq!(ha.cmp(&hb), ha.to_string().cmp(&hb.to_string()));
            prop_assert_eq!(ha.to_string().parse::<Hlc>().unwrap(), ha);
        }
    }
}
