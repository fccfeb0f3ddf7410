//! The hardware watchdog: fed while the kiosk is healthy, so that a hung kiosk reboots.
//!
//! The kiosk decides what healthy means; this module gives the mechanism. [`Watchdog`] is the
//! device (feed, disarm); [`FileWatchdog`] is Linux's `/dev/watchdog` (any write feeds it;
//! writing `V` before closing is the "magic close" that disarms it on drivers that allow it, so
//! a clean shutdown does not reboot). [`WatchdogKeeper`] feeds at an interval only while told
//! the kiosk is healthy. [`SimWatchdog`] records what happened.
//!
//! # Troubleshooting
//! - *Permission denied*: `/dev/watchdog` is root-only by default; give the kiosk's user access
//!   with a udev rule, or run the keeper as root.
//! - *The board reboots after the kiosk exits*: the kiosk did not call `disarm`, or the driver
//!   has `nowayout` set (then that is intended).

use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

/// Watchdog errors, naming the device.
#[derive(Debug, thiserror::Error)]
pub enum WatchdogError {
    /// The device could not be opened.
    #[error("cannot open watchdog {path}: {source} (root-only by default; see the module docs)")]
    Open {
        /// The device path.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// Writing to the device failed.
    #[error("watchdog {path}: {source}")]
    Write {
        /// The device path.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
}

/// A watchdog timer.
pub trait Watchdog: Send {
    /// Restarts the timer.
    fn feed(&mut self) -> Result<(), WatchdogError>;
    /// Stops the timer for a clean shutdown (magic close); no feeding is needed afterwards.
    fn disarm(&mut self) -> Result<(), WatchdogError>;
}

impl<W: Watchdog + ?Sized> Watchdog for Box<W> {
    fn feed(&mut self) -> Result<(), WatchdogError> {
        (**self).feed()
    }
    fn disarm(&mut self) -> Result<(), WatchdogError> {
        (**self).disarm()
    }
}

/// Linux's watchdog device.
pub struct FileWatchdog {
    path: PathBuf,
    file: Option<File>,
}

impl FileWatchdog {
    /// Opens the device; from now on it must be fed (opening arms it).
    pub fn open(path: &Path) -> Result<Self, WatchdogError> {
        let file = std::fs::OpenOptions::new()
            .write(true)
            .open(path)
            .map_err(|source| WatchdogError::Open { path: path.to_path_buf(), source })?;
        Ok(Self { path: path.to_path_buf(), file: Some(file) })
    }

    fn write(&mut self, bytes: &[u8]) -> Result<(), WatchdogError> {
        if let Some(file) = self.file.as_mut() {
            file.write_all(bytes)
                .and_then(|()| file.flush())
                .map_err(|source| WatchdogError::Write { path: self.path.clone(), source })?;
        }
        Ok(())
    }
}

impl Watchdog for FileWatchdog {
    fn feed(&mut self) -> Result<(), WatchdogError> {
        self.write(b"\0")
    }

    fn disarm(&mut self) -> Result<(), WatchdogError> {
        self.write(b"V")?;
        // Closing right after the `V` is what disarms it.
        self.file = None;
        Ok(())
    }
}

/// What a [`SimWatchdog`] was told.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WatchdogAction {
    /// Fed.
    Feed,
    /// Disarmed.
    Disarm,
}

/// A watchdog that records; clones share the record.
#[derive(Debug, Clone, Default)]
pub struct SimWatchdog {
    log: Arc<Mutex<Vec<WatchdogAction>>>,
}

impl SimWatchdog {
    /// A new, empty record.
    pub fn new() -> Self {
        Self::default()
    }

    /// Everything done so far.
    pub fn actions(&self) -> Vec<WatchdogAction> {
        self.log.lock().unwrap_or_else(PoisonError::into_inner).clone()
    }
}

impl Watchdog for SimWatchdog {
    fn feed(&mut self) -> Result<(), WatchdogError> {
        self.log.lock().unwrap_or_else(PoisonError::into_inner).push(WatchdogAction::Feed);
        Ok(())
    }

    fn disarm(&mut self) -> Result<(), WatchdogError> {
        self.log.lock().unwrap_or_else(PoisonError::into_inner).push(WatchdogAction::Disarm);
        Ok(())
    }
}

/// Feeds a watchdog at an interval while the kiosk reports itself healthy.
pub struct WatchdogKeeper<W: Watchdog> {
    watchdog: W,
    interval: Duration,
    last_fed: Option<Instant>,
}

impl<W: Watchdog> WatchdogKeeper<W> {
    /// Feeds at most every `interval` (choose well under the hardware timeout).
    pub fn new(watchdog: W, interval: Duration) -> Self {
        Self { watchdog, interval, last_fed: None }
    }

    /// Called regularly by the kiosk's main loop: feeds if `healthy` and the interval has
    /// passed. Returns whether it fed. When unhealthy it stops feeding and the board reboots
    /// after the hardware timeout.
    pub fn tick(&mut self, healthy: bool, now: Instant) -> Result<bool, WatchdogError> {
        let due = self.last_fed.is_none_or(|t| now.duration_since(t) >= self.interval);
        if healthy && due {
            self.watchdog.feed()?;
            self.last_fed = Some(now);
            return Ok(true);
        }
        Ok(false)
    }

    /// Disarms for a clean shutdown.
    pub fn shutdown(mut self) -> Result<(), WatchdogError> {
        self.watchdog.disarm()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeper_feeds_only_while_healthy_and_at_the_interval() {
        let sim = SimWatchdog::new();
        let mut keeper = WatchdogKeeper::new(sim.clone(), Duration::from_secs(5));
        let t0 = Instant::now();
        let s = |n| t0 + Duration::from_secs(n);
        let ticks = [(0, true, true), (1, true, false), (5, true, true), (10, false, false), (20, false, false), (21, true, true)];
        for (t, healthy, fed) in ticks {
            assert_eq!(keeper.tick(healthy, s(t)).unwrap(), fed, "at {t} s");
        }
        keeper.shutdown().unwrap();
        use WatchdogAction::*;
        assert_eq!(sim.actions(), [Feed, Feed, Feed, Disarm]);
    }

    #[test]
    fn file_watchdog_writes_feeds_and_magic_close() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("watchdog");
        std::fs::write(&path, b"").unwrap();
        let mut wd = FileWatchdog::open(&path).unwrap();
        wd.feed().unwrap();
        wd.feed().unwrap();
        wd.disarm().unwrap();
        wd.feed().unwrap(); // after disarm: nothing is written
        assert_eq!(std::fs::read(&path).unwrap(), b"\0\0V");
        let missing = FileWatchdog::open(&dir.path().join("nope"));
        assert!(matches!(missing, Err(WatchdogError::Open { .. })));
    }
}
