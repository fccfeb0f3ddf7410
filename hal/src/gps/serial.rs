//! The real GPS: an NMEA receiver on a serial port (`serialport` crate).
//!
//! The port is opened at the configured baud rate with a short read timeout, so that
//! [`Gps::fix`] never blocks the kiosk for long. When a read fails (USB receiver unplugged)
//! the error names the device and the next call tries to open it again.

use super::{FixTracker, Gps, GpsError, NmeaDecoder, NmeaStats, Fix};
use crate::clock::Clock;
use serde::Deserialize;
use std::io::{ErrorKind, Read};
use std::sync::Arc;
use std::time::Duration;

/// Where the receiver is and how old a fix may be.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SerialConfig {
    /// Serial device, e.g. `/dev/ttyAMA0` or `/dev/ttyUSB0`.
    pub device: String,
    /// Baud rate (most receivers: 9600; older ones 4800).
    pub baud: u32,
    /// A fix older than this many seconds is not a fix.
    pub max_age_secs: u64,
}

impl Default for SerialConfig {
    fn default() -> Self {
        Self { device: "/dev/ttyAMA0".into(), baud: 9600, max_age_secs: 5 }
    }
}

/// A receiver on a serial port.
pub struct SerialGps {
    config: SerialConfig,
    port: Option<Box<dyn serialport::SerialPort>>,
    decoder: NmeaDecoder,
    tracker: FixTracker,
    clock: Arc<dyn Clock>,
}

impl SerialGps {
    /// Opens the port (fails with the device named if it cannot).
    pub fn open(config: SerialConfig, clock: Arc<dyn Clock>) -> Result<Self, GpsError> {
        let tracker = FixTracker::new(Duration::from_secs(config.max_age_secs));
        let mut gps = Self { config, port: None, decoder: NmeaDecoder::new(), tracker, clock };
        gps.port = Some(gps.open_port()?);
        Ok(gps)
    }

    fn open_port(&self) -> Result<Box<dyn serialport::SerialPort>, GpsError> {
        serialport::new(&self.config.device, self.config.baud)
            .timeout(Duration::from_millis(20))
            .open()
            .map_err(|e| GpsError::Open {
                device: self.config.device.clone(),
                baud: self.config.baud,
                reason: e.to_string(),
            })
    }
}

impl Gps for SerialGps {
    fn fix(&mut self) -> Result<Option<Fix>, GpsError> {
        if self.port.is_none() {
            self.port = Some(self.open_port()?);
        }
        let mut buf = [0u8; 1024];
        let mut out = Vec::new();
        // Drain what is buffered, bounded so a chattering port cannot hold the caller.
        for _ in 0..16 {
            let Some(port) = self.port.as_mut() else { break };
            match port.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => self.decoder.push_bytes(&buf[..n], self.clock.now(), &mut out),
                Err(e) if e.kind() == ErrorKind::TimedOut || e.kind() == ErrorKind::WouldBlock => break,
                Err(source) => {
                    self.port = None;
                    return Err(GpsError::Read { device: self.config.device.clone(), source });
                }
            }
        }
        for fix in out {
            self.tracker.update(fix);
        }
        Ok(self.tracker.current(self.clock.now()))
    }

    fn stats(&self) -> NmeaStats {
        self.decoder.stats()
    }
}
