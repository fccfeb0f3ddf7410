//! The report cache: each employee's judged month, and the office the reports read, kept
//! while nothing they were computed from has changed.
//!
//! Without it every dashboard page judged every day of every employee in view again: 50
//! supervisors opening their month at once queued behind each other for seconds. With it a
//! page reads the sites' watermarks and renders; a month is judged again only for the
//! employees whose punches arrived since ([`crate::storage::changes`]), or for everyone after
//! a change that may alter any day (a decision, a schedule, a holiday, a setting).
//!
//! An entry is used only when it agrees with the moment of the request: the store's change
//! counters ([`Stamp`]), the zone of the employee's site, the employee's site's last known date (which moves
//! with every sync and is read fresh for each request), and its age (at most [`MAX_AGE`],
//! which bounds how long a change made by another process — the command-line tools, a second
//! server on the same PostgreSQL — stays unseen). Misses are computed one request at a time, so that the
//! supervisors of one section opening the recap together judge it once.
//!
//! It owns no data: everything in it can be thrown away and computed again from the store. It
//! must not decide who sees what (the pages pass the scope).

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use hadir_rules::{DayResult, MonthRecap, SiteZones};
use time::{Date, Month, UtcOffset};

use super::month::{Context, Office, Scope, month_recaps};
use super::table::EmployeeInfo;
use crate::storage::changes::Stamp;
use crate::storage::{StorageError, Store};

/// The oldest entry used: changes made outside this process show within this time.
pub const MAX_AGE: Duration = Duration::from_secs(30);

/// Employee-months kept at most (a judged month is about 5 KB); beyond it the least recently
/// used quarter is dropped.
pub const CAPACITY: usize = 30_000;

/// One employee's judged month.
type Judged = Arc<(Vec<DayResult>, MonthRecap)>;

struct Entry {
    stamp: Stamp,
    offset: UtcOffset,
    known: Option<Date>,
    at: Instant,
    used: u64,
    judged: Judged,
}

#[derive(Default)]
struct Months {
    entries: HashMap<(String, i32, Month), Entry>,
    uses: u64,
}

/// The cache; one per server, shared by its pages.
#[derive(Default)]
pub struct ReportCache {
    office: Mutex<Option<(Instant, Arc<Office>)>>,
    /// Held while the office is read, so that requests arriving together read it once.
    reading_office: tokio::sync::Mutex<()>,
    months: Mutex<Months>,
    /// Held while misses are judged, so that concurrent misses of one month are judged once.
    judging: tokio::sync::Mutex<()>,
    hits: AtomicU64,
    misses: AtomicU64,
}

/// How often the cache answered: employee-months found current, and judged again.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct CacheStats {
    /// Employee-months served from the cache.
    pub hits: u64,
    /// Employee-months judged.
    pub misses: u64,
}

impl std::fmt::Debug for ReportCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let n = self.months.lock().unwrap_or_else(PoisonError::into_inner).entries.len();
        f.debug_struct("ReportCache").field("months", &n).finish_non_exhaustive()
    }
}

impl ReportCache {
    /// The counts since the cache was made.
    pub fn stats(&self) -> CacheStats {
        CacheStats { hits: self.hits.load(Ordering::Relaxed), misses: self.misses.load(Ordering::Relaxed) }
    }

    /// The office, read again when the store changed or the copy is older than [`MAX_AGE`].
    pub async fn office(&self, store: &Store) -> Result<Arc<Office>, StorageError> {
        if let Some(o) = self.current_office(store) {
            return Ok(o);
        }
        let _one_at_a_time = self.reading_office.lock().await;
        if let Some(o) = self.current_office(store) {
            return Ok(o);
        }
        let fresh = Arc::new(Office::load(store).await?);
        *self.office.lock().unwrap_or_else(PoisonError::into_inner) = Some((Instant::now(), Arc::clone(&fresh)));
        Ok(fresh)
    }

    fn current_office(&self, store: &Store) -> Option<Arc<Office>> {
        let current = store.changes().all();
        let kept = self.office.lock().unwrap_or_else(PoisonError::into_inner);
        kept.as_ref().filter(|(at, o)| o.changes == current && at.elapsed() < MAX_AGE).map(|(_, o)| Arc::clone(o))
    }

    /// The context of `scope`: the cached office, the sites' zones and known dates read now.
    pub async fn context(&self, store: &Store, scope: &Scope, zones: SiteZones) -> Result<Context, StorageError> {
        let office = self.office(store).await?;
        let known = store.known_through_by_site(&zones).await?;
        Ok(office.scoped(scope, Arc::new(zones), known))
    }

    /// [`month_recaps`] through the cache: the same rows, in the context's order.
    pub async fn month(
        &self,
        store: &Store,
        ctx: &Context,
        year: i32,
        month: Month,
    ) -> Result<Vec<(EmployeeInfo, Vec<DayResult>, MonthRecap)>, StorageError> {
        Ok(self.judged(store, ctx, year, month).await?.map(|(e, j)| (e, j.0.clone(), j.1.clone())).collect())
    }

    /// Every employee's day on `date`, taken from their cached month (so the day agrees with
    /// the month's recap, night shifts included).
    pub async fn day(&self, store: &Store, ctx: &Context, date: Date) -> Result<Vec<(EmployeeInfo, DayResult)>, StorageError> {
        let i = usize::from(date.day()) - 1;
        Ok(self.judged(store, ctx, date.year(), date.month()).await?.filter_map(|(e, j)| Some((e, j.0.get(i)?.clone()))).collect())
    }

    /// Each employee's judged month, shared with the cache, in the context's order.
    async fn judged<'c>(
        &self,
        store: &Store,
        ctx: &'c Context,
        year: i32,
        month: Month,
    ) -> Result<impl Iterator<Item = (EmployeeInfo, Judged)> + 'c, StorageError> {
        let mut judged = self.lookup(store, ctx, year, month);
        let mut judged_here = 0;
        if judged.iter().any(Option::is_none) {
            let _one_at_a_time = self.judging.lock().await;
            // Another request may have judged them while this one waited.
            judged = self.lookup(store, ctx, year, month);
            let missing: Vec<usize> = (0..judged.len()).filter(|i| judged[*i].is_none()).collect();
            if !missing.is_empty() {
                judged_here = missing.len();
                let sub = Context { employees: missing.iter().map(|i| ctx.employees[*i].clone()).collect(), ..ctx.clone() };
                // Stamped before the read: a punch stored meanwhile makes these stale at once.
                let stamps = self.stamps(store, &sub);
                let rows = month_recaps(store, &sub, year, month).await?;
                let now = Instant::now();
                let mut m = self.months.lock().unwrap_or_else(PoisonError::into_inner);
                for ((i, (_, days, recap)), stamp) in missing.iter().zip(rows).zip(stamps) {
                    let e = &ctx.employees[*i];
                    let value: Judged = Arc::new((days, recap));
                    m.uses += 1;
                    let used = m.uses;
                    m.entries.insert((e.id.clone(), year, month), Entry { stamp, offset: ctx.offset_of(e), known: ctx.known_for(e), at: now, used, judged: Arc::clone(&value) });
                    judged[*i] = Some(value);
                }
                evict(&mut m);
            }
        }
        self.misses.fetch_add(judged_here as u64, Ordering::Relaxed);
        self.hits.fetch_add((judged.len() - judged_here) as u64, Ordering::Relaxed);
        Ok(ctx.employees.iter().zip(judged).filter_map(|(e, j)| Some((ctx.info(e), j?))))
    }

    /// The employees' stamps as the context sees the store.
    fn stamps(&self, store: &Store, ctx: &Context) -> Vec<Stamp> {
        store.changes().stamps(ctx.employees.iter().map(|e| e.id.as_str())).into_iter().map(|s| Stamp { all: ctx.changes, ..s }).collect()
    }

    /// Each employee's entry if it is still current.
    fn lookup(&self, store: &Store, ctx: &Context, year: i32, month: Month) -> Vec<Option<Judged>> {
        let stamps = self.stamps(store, ctx);
        let current_all = store.changes().all();
        let mut m = self.months.lock().unwrap_or_else(PoisonError::into_inner);
        let mut out = Vec::with_capacity(ctx.employees.len());
        for (e, stamp) in ctx.employees.iter().zip(stamps) {
            m.uses += 1;
            let used = m.uses;
            let hit = m.entries.get_mut(&(e.id.clone(), year, month)).filter(|x| {
                x.stamp == stamp
                    && stamp.all == current_all
                    && x.offset == ctx.offset_of(e)
                    && x.known == ctx.known_for(e)
                    && x.at.elapsed() < MAX_AGE
            });
            out.push(hit.map(|x| {
                x.used = used;
                Arc::clone(&x.judged)
            }));
        }
        out
    }
}

/// Drops the least recently used quarter when the cache is over [`CAPACITY`].
fn evict(m: &mut Months) {
    if m.entries.len() <= CAPACITY {
        return;
    }
    let mut uses: Vec<u64> = m.entries.values().map(|e| e.used).collect();
    uses.sort_unstable();
    let cut = uses[uses.len() / 4];
    m.entries.retain(|_, e| e.used > cut);
}
