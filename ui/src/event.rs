//! What the person did on the touchscreen, as plain data for the kiosk's flow.
//!
//! The physical keypad is mapped by the kiosk onto the same events, so the flow has one input.

use crate::language::Language;

/// An administrator's choice in the admin menu.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AdminAction {
    /// Enrol an employee's face.
    Enrol,
    /// Show device information.
    DeviceInfo,
    /// Synchronise with the server now.
    SyncNow,
    /// Network settings.
    Network,
    /// Leave the admin menu.
    Exit,
}

/// One user action.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum UiEvent {
    /// MASUK was pressed.
    ChooseIn,
    /// PULANG was pressed.
    ChooseOut,
    /// A PIN digit, 0–9.
    Digit(u8),
    /// Delete the last PIN digit.
    Backspace,
    /// Confirm the PIN (OK).
    Submit,
    /// Cancel / back / done: return towards idle.
    Cancel,
    /// Try again after a rejected match or an error (or check the place again).
    Retry,
    /// Go on to the face step despite the place notice.
    Proceed,
    /// The admin menu was requested (the kiosk asks for the admin PIN).
    AdminMenu,
    /// A choice in the admin menu.
    Admin(AdminAction),
    /// The person switched the language; the UI has already switched.
    Language(Language),
}
