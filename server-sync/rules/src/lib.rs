//! # The rulebook: from records to days, bands and deductions
//!
//! One pure crate for the attendance rules that the kiosk's result screen and the server's
//! recaps, reports and late board all call, so that a kiosk's "terlambat 12 menit" is the
//! figure of the monthly recap that decides an employee's allowance.
//!
//! Pure functions over plain data. Nothing here reads a database, a clock or the network: the
//! caller gathers the records, the calendar, the leave entries and the devices' sync
//! watermarks, and the functions say what each day means.
//!
//! ## Layout
//! - [`zone`]: the site's time zone (IANA name, WITA by default): which local day and time.
//! - [`schedule`]: working hours, weekly schedules per section, holidays and per-day exceptions.
//! - [`settings`]: tolerances, the overtime threshold, band limits and deduction percentages.
//! - [`day`]: one employee's day: first IN / last OUT, lateness ([`day::arrival`]), early
//!   leave, overtime, status, deduction.
//! - [`watermark`]: when a day is known (every device of the site has synced past it).
//! - [`recap`]: the monthly recap per employee and the recap per date.
//! - [`site`]: one site's rules as a whole and their wire form in the roster.
//! - [`enrolment`]: when new face captures may become an employee's templates (kiosk and
//!   dashboard alike).
//! - [`clock`]: whether a record's time can be believed, from the clock evidence it carries.
//! - [`place`]: whether a field record was made inside the employee's area, with a usable fix.
//! - [`plausibility`]: positions no receiver or person could produce (impossible travel, a jump
//!   with no time between, a position repeated to the last digit, zero HDOP).
//!
//! ## Units and limits
//! - Records are UTC instants; the day a record belongs to and its time of day are read in the
//!   site's zone ([`zone::SiteZone::local`]).
//! - Minutes are whole minutes, rounded down (a record at 08:00:59 is 0 minutes late).
//! - Percentages are basis points (hundredths of a percent, `125` = 1.25 %) so sums are exact.
//! - A shift may cross midnight (a night guard's 22:00–06:00, [`schedule::WorkHours::new`]):
//!   it belongs to the day it starts, and a record after midnight inside it belongs to that day.
//!
//! It must not: decide who may see what (the dashboard does), or store anything.

pub mod clock;
pub mod day;
pub mod enrolment;
pub mod place;
pub mod plausibility;
pub mod recap;
pub mod schedule;
pub mod settings;
pub mod site;
pub mod watermark;
pub mod zone;

pub use clock::{ClockRules, TimeDoubt, TimeTrust, judge_time};
pub use enrolment::{EnrolCheck, EnrolRefusal, check_enrolment};
pub use place::{Area, FieldArea, FixLimits, PlaceCheck, PlaceDoubt, SiteArea, check_place, expected_area};
pub use day::{Arrival, Decision, DayInput, DayResult, DayStatus, Direction, Excused, Mode, Punch, arrival, evaluate_day};
pub use recap::{DateRow, MonthRecap, recap_date_row, recap_month};
pub use schedule::{DayException, DayPlan, Holidays, ScheduleError, SectionCalendar, WeeklySchedule, WorkHours};
pub use settings::{Band, RuleSettings, SettingsError};
pub use site::{SiteRules, WireError};
pub use watermark::{DeviceWatermark, known_through, silent};
pub use zone::{DEFAULT_ZONE, SiteZone, SiteZones, ZoneError};
