//! # Attendance rules: from raw records to days, bands and deductions
//!
//! Pure functions over plain data. Nothing here reads a database, a clock or the network: the
//! caller gathers the records, the calendar, the admins' leave entries and the devices' sync
//! watermarks, and the functions say what each day means.
//!
//! ## Layout
//! - [`schedule`]: working hours, weekly schedules per section, holidays and per-day exceptions.
//! - [`settings`]: tolerances, the overtime threshold, band limits and deduction percentages.
//! - [`day`]: one employee's day: first IN / last OUT, lateness, early leave, overtime, status.
//! - [`watermark`]: when a day is known (every device of the site has synced past it).
//! - [`recap`]: the monthly recap per employee and the recap per date.
//!
//! ## Units and limits
//! - Times are local to the record: a record carries its UTC instant and the device's UTC
//!   offset, and the day it belongs to is the calendar date at that offset.
//! - Minutes are whole minutes, rounded down (a record at 08:00:59 is 0 minutes late).
//! - Percentages are basis points (hundredths of a percent, `125` = 1.25 %) so sums are exact.
//! - A working day never crosses midnight: such schedules are refused by [`schedule::WorkHours::new`],
//!   and a record after midnight belongs to the next date.
//!
//! It must not: decide who may see what (the dashboard does), or store anything.

pub mod day;
pub mod recap;
pub mod schedule;
pub mod settings;
pub mod watermark;

pub use day::{Decision, DayInput, DayResult, DayStatus, Direction, Excused, Mode, Punch, evaluate_day};
pub use recap::{DateRow, MonthRecap, recap_date_row, recap_month};
pub use schedule::{DayException, DayPlan, Holidays, ScheduleError, SectionCalendar, WeeklySchedule, WorkHours};
pub use settings::{Band, RuleSettings, SettingsError};
pub use watermark::{DeviceWatermark, known_through};
