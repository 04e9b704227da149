//! What lets the garage overview's refresh patch the lines that changed instead of
//! rebuilding all of them: the last overview built, and every change since, numbered in
//! commit order.
//!
//! A change is noted *before* the cache bumps its generations (see cache.rs), so a build
//! for the new key always sees it here. A build starts from the newest base and applies
//! every change after it, under one lock, so two builds running at once are each complete
//! on their own; a build's result becomes the new base only if it is newer than the one
//! there. Changes noted while a build reads stay in the log and are applied by the next
//! build (a line recomputed twice costs nothing; a line missed would be stale).

use std::collections::HashSet;
use std::sync::{Arc, Mutex, MutexGuard};

use chrono::{Duration, NaiveDateTime};

use super::overview::GarageOverview;

/// Past this many changed vehicles a rebuild is as cheap as a patch.
const MAX_PATCHED_VEHICLES: usize = 64;
/// A log this long is folded into one "rebuild" entry (nobody read the overview).
const MAX_LOG: usize = 1024;
/// A patch keeps the base's "now" (so every line is figured at the same instant, as a
/// rebuild's are); past this age the base is rebuilt at the current time. The cache's
/// TTL bounds the same drift for every other report.
const MAX_BASE_AGE_SECS: i64 = 60;

/// What the next overview build does.
#[derive(Debug, PartialEq)]
pub(crate) enum Plan {
    /// Recompute these vehicles' lines of `base` (none of them was itself edited, added,
    /// archived or deleted since: those rebuild).
    Patch {
        base: Arc<GarageOverview>,
        vehicles: HashSet<Arc<str>>,
        upto: u64,
    },
    Rebuild {
        upto: u64,
    },
}

impl Plan {
    /// The last change the build covers (give it to [`OverviewLog::built`]).
    pub(crate) fn upto(&self) -> u64 {
        match self {
            Plan::Patch { upto, .. } | Plan::Rebuild { upto } => *upto,
        }
    }
}

#[derive(Default)]
pub(crate) struct OverviewLog {
    inner: Mutex<Inner>,
}

#[derive(Default)]
struct Inner {
    /// The newest overview built, and the last change it covers.
    base: Option<(u64, Arc<GarageOverview>)>,
    /// The number of the last change noted.
    last: u64,
    /// Changes after the base, in order: the vehicle whose records changed, or `None` for
    /// a change a patch cannot follow (a vehicle itself, a sync, everything).
    changes: Vec<(u64, Option<Arc<str>>)>,
}

impl OverviewLog {
    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Records of `vehicle` changed (`Some`), or something a patch cannot follow (`None`).
    pub(crate) fn note(&self, vehicle: Option<&str>) {
        let mut inner = self.lock();
        inner.last += 1;
        let n = inner.last;
        if inner.changes.len() >= MAX_LOG {
            inner.changes.clear();
            inner.changes.push((n, None));
            return;
        }
        inner.changes.push((n, vehicle.map(Arc::from)));
    }

    /// How the build that starts now (at `now`) gets there.
    pub(crate) fn plan(&self, now: NaiveDateTime) -> Plan {
        let inner = self.lock();
        let upto = inner.last;
        let Some((base_upto, base)) = &inner.base else {
            return Plan::Rebuild { upto };
        };
        let age = now - base.as_of;
        if age < Duration::zero() || age > Duration::seconds(MAX_BASE_AGE_SECS) {
            return Plan::Rebuild { upto };
        }
        let mut vehicles = HashSet::new();
        for (n, change) in &inner.changes {
            if n <= base_upto {
                continue;
            }
            match change {
                Some(v) if vehicles.len() < MAX_PATCHED_VEHICLES => {
                    vehicles.insert(v.clone());
                }
                _ => return Plan::Rebuild { upto },
            }
        }
        // Nothing changed since the base, yet it is rebuilt: it aged out of the cache (or
        // the cache was cleared); a rebuild brings "now" forward.
        if vehicles.is_empty() {
            return Plan::Rebuild { upto };
        }
        Plan::Patch {
            base: base.clone(),
            vehicles,
            upto,
        }
    }

    /// A build covering every change up to `upto` finished with `overview`.
    pub(crate) fn built(&self, upto: u64, overview: Arc<GarageOverview>) {
        let mut inner = self.lock();
        if inner.base.as_ref().is_some_and(|(b, _)| *b >= upto) {
            return;
        }
        inner.changes.retain(|(n, _)| *n > upto);
        inner.base = Some((upto, overview));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn overview(as_of: NaiveDateTime) -> Arc<GarageOverview> {
        Arc::new(GarageOverview {
            as_of,
            vehicles: Vec::new(),
            due_reminders: 0,
            past_due_reminders: 0,
        })
    }

    fn t0() -> NaiveDateTime {
        chrono::NaiveDate::from_ymd_opt(2026, 6, 1)
            .unwrap()
            .and_hms_opt(12, 0, 0)
            .unwrap()
    }

    fn patched(plan: &Plan) -> Vec<&str> {
        match plan {
            Plan::Patch { vehicles, .. } => {
                let mut v: Vec<&str> = vehicles.iter().map(|v| &**v).collect();
                v.sort();
                v
            }
            Plan::Rebuild { .. } => panic!("rebuild: {plan:?}"),
        }
    }

    #[test]
    fn changes_after_the_base_are_patched_and_the_rest_rebuild() {
        let log = OverviewLog::default();
        assert_eq!(log.plan(t0()), Plan::Rebuild { upto: 0 }, "no base yet");
        log.built(0, overview(t0()));
        assert_eq!(
            log.plan(t0()),
            Plan::Rebuild { upto: 0 },
            "nothing to patch"
        );
        log.note(Some("a"));
        log.note(Some("b"));
        log.note(Some("a"));
        let plan = log.plan(t0() + Duration::seconds(5));
        assert_eq!((patched(&plan), plan.upto()), (vec!["a", "b"], 3));
        // A change noted while that build ran stays for the next one.
        log.note(Some("c"));
        log.built(3, overview(t0()));
        assert_eq!(patched(&log.plan(t0())), ["c"]);
        // An older build finishing late does not replace the newer base.
        log.built(1, overview(t0()));
        assert_eq!(patched(&log.plan(t0())), ["c"]);
        // Something a patch cannot follow, an old base, or a clock set back: rebuild.
        log.note(None);
        assert_eq!(log.plan(t0()), Plan::Rebuild { upto: 5 });
        log.built(5, overview(t0()));
        log.note(Some("d"));
        assert!(matches!(
            log.plan(t0() + Duration::seconds(61)),
            Plan::Rebuild { .. }
        ));
        assert!(matches!(
            log.plan(t0() - Duration::seconds(1)),
            Plan::Rebuild { .. }
        ));
        assert_eq!(patched(&log.plan(t0() + Duration::seconds(60))), ["d"]);
    }

    #[test]
    fn many_changes_rebuild_and_the_log_stays_bounded() {
        let log = OverviewLog::default();
        log.built(0, overview(t0()));
        for i in 0..MAX_PATCHED_VEHICLES + 1 {
            log.note(Some(&format!("v{i}")));
        }
        assert!(matches!(log.plan(t0()), Plan::Rebuild { .. }));
        for _ in 0..3 * MAX_LOG {
            log.note(Some("v"));
        }
        assert!(log.lock().changes.len() <= MAX_LOG);
        assert!(matches!(log.plan(t0()), Plan::Rebuild { .. }), "folded");
    }
}
