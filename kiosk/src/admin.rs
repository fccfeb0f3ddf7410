//! # The administrator's menu as transitions
//!
//! Once the administrator's PIN opened it (see [`crate::flow`]), the menu offers enrolment,
//! the device's information and a sync now; an enrolment asks for the employee number and
//! then takes frames. [`step`] is the whole behaviour: a session (or none) and an event in,
//! the next session and what the runtime must do out — plain data, tested with a table like
//! the flow's.
//!
//! It must not touch the store, the camera or the screen: the runtime applies the
//! [`AdminEffect`]s, runs the enrolment itself when its frames are in (see [`crate::enrol`]),
//! and tells the session when the server has the templates.

use crate::enrol::{Session, SessionKey};
use crate::flow::Mono;
use hadir_hal::keypad::Key;

/// Inactivity that ends the menu, ms.
pub const MENU_TIMEOUT_MS: u64 = 60_000;

/// An open administrator's session.
#[derive(Debug)]
pub enum Admin {
    /// The menu, with its last activity (inactivity ends it).
    Menu(Mono),
    /// An enrolment.
    Enrol(Session),
}

/// A choice of the menu (a touch, or keys 1–3 and `*`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AdminChoice {
    /// Enrol an employee's face.
    Enrol,
    /// Show the device's information (id, version, queue, last sync).
    DeviceInfo,
    /// Sync with the server now.
    SyncNow,
    /// Leave the menu.
    Exit,
}

/// What happens to an open session.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AdminEvent {
    /// A touch on the menu.
    Choice(AdminChoice),
    /// A key of the keypad.
    Key(Key),
    /// The touchscreen's cancel.
    Cancel,
    /// Time passes.
    Tick,
}

/// What the runtime must do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AdminEffect {
    /// Show the menu (with the device's information).
    ShowMenu,
    /// Show the enrolment's current view.
    ShowEnrol,
    /// Say that a sync was started.
    ShowSyncStarted,
    /// Wake the sync worker.
    RequestSync,
    /// The session is over: back to the idle screen.
    ShowIdle,
}

/// The menu's key: 1 enrol, 2 information, 3 sync now, `*` or Escape leaves.
pub fn menu_choice(key: Key) -> Option<AdminChoice> {
    Some(match key {
        Key::Digit(1) => AdminChoice::Enrol,
        Key::Digit(2) => AdminChoice::DeviceInfo,
        Key::Digit(3) => AdminChoice::SyncNow,
        Key::Star | Key::Escape => AdminChoice::Exit,
        _ => return None,
    })
}

/// An enrolment's key: digits of the employee number, `#`/Enter starts, `*`/Escape leaves.
pub fn enrol_key(key: Key) -> Option<SessionKey> {
    Some(match key {
        Key::Digit(d) => SessionKey::Digit(char::from_digit(u32::from(d), 10)?),
        Key::Backspace => SessionKey::Backspace,
        Key::Hash | Key::Enter => SessionKey::Confirm,
        Key::Star | Key::Escape => SessionKey::Cancel,
        Key::Letter(_) => return None,
    })
}

/// One transition: the session after `event` at `now`, and the effects, in order.
pub fn step(admin: Admin, event: AdminEvent, now: Mono) -> (Option<Admin>, Vec<AdminEffect>) {
    use AdminEffect::*;
    match (admin, event) {
        (Admin::Menu(_), AdminEvent::Choice(choice)) => choose(choice, now),
        (Admin::Menu(since), AdminEvent::Key(key)) => match menu_choice(key) {
            Some(choice) => choose(choice, now),
            None => (Some(Admin::Menu(since)), Vec::new()),
        },
        (Admin::Menu(_), AdminEvent::Cancel) => choose(AdminChoice::Exit, now),
        (Admin::Menu(since), AdminEvent::Tick) if now.since(since) >= MENU_TIMEOUT_MS => (None, vec![ShowIdle]),
        (menu @ Admin::Menu(_), AdminEvent::Tick) => (Some(menu), Vec::new()),
        (Admin::Enrol(mut s), AdminEvent::Key(key)) => match enrol_key(key) {
            Some(k) if s.key(k, now) => (Some(Admin::Enrol(s)), vec![ShowEnrol]),
            // Done or cancelled: back to the menu.
            Some(_) => (Some(Admin::Menu(now)), vec![ShowMenu]),
            None => (Some(Admin::Enrol(s)), Vec::new()),
        },
        (Admin::Enrol(s), AdminEvent::Cancel) => step(Admin::Enrol(s), AdminEvent::Key(Key::Escape), now),
        (Admin::Enrol(s), AdminEvent::Tick) if s.over(now) => (Some(Admin::Menu(now)), vec![ShowMenu]),
        (enrol @ Admin::Enrol(_), AdminEvent::Tick | AdminEvent::Choice(_)) => (Some(enrol), Vec::new()),
    }
}

fn choose(choice: AdminChoice, now: Mono) -> (Option<Admin>, Vec<AdminEffect>) {
    use AdminEffect::*;
    match choice {
        AdminChoice::Enrol => (Some(Admin::Enrol(Session::new(now))), vec![ShowEnrol]),
        AdminChoice::DeviceInfo => (Some(Admin::Menu(now)), vec![ShowMenu]),
        AdminChoice::SyncNow => (Some(Admin::Menu(now)), vec![RequestSync, ShowSyncStarted]),
        AdminChoice::Exit => (None, vec![ShowIdle]),
    }
}

#[cfg(test)]
mod tests {
    use super::AdminEffect::*;
    use super::*;

    /// The state's name, for the table.
    fn name(a: &Option<Admin>) -> &'static str {
        match a {
            None => "closed",
            Some(Admin::Menu(_)) => "menu",
            Some(Admin::Enrol(s)) if s.capturing() => "capturing",
            Some(Admin::Enrol(_)) => "enrol",
        }
    }

    fn at(ms: u64) -> Mono {
        Mono(ms)
    }

    /// An enrolment that has its employee number and takes frames.
    fn capturing(now: Mono) -> Admin {
        let mut s = Session::new(now);
        for c in ['4', '2'] {
            s.key(SessionKey::Digit(c), now);
        }
        s.key(SessionKey::Confirm, now);
        Admin::Enrol(s)
    }

    #[test]
    fn transitions() {
        use AdminEvent::{Cancel, Choice, Tick};
        use hadir_hal::keypad::Key as K;
        let key = AdminEvent::Key;
        let menu = || Admin::Menu(at(1_000));
        let enrol = || Admin::Enrol(Session::new(at(1_000)));
        type Case = (&'static str, fn() -> Admin, AdminEvent, u64, &'static str, Vec<AdminEffect>);
        let cases: Vec<Case> = vec![
            ("touch enrol", menu, Choice(AdminChoice::Enrol), 2_000, "enrol", vec![ShowEnrol]),
            ("key 1 enrols", menu, key(K::Digit(1)), 2_000, "enrol", vec![ShowEnrol]),
            ("key 2 shows the information", menu, key(K::Digit(2)), 2_000, "menu", vec![ShowMenu]),
            ("key 3 syncs now", menu, key(K::Digit(3)), 2_000, "menu", vec![RequestSync, ShowSyncStarted]),
            ("touch sync now", menu, Choice(AdminChoice::SyncNow), 2_000, "menu", vec![RequestSync, ShowSyncStarted]),
            ("star leaves", menu, key(K::Star), 2_000, "closed", vec![ShowIdle]),
            ("cancel leaves", menu, Cancel, 2_000, "closed", vec![ShowIdle]),
            ("touch exit leaves", menu, Choice(AdminChoice::Exit), 2_000, "closed", vec![ShowIdle]),
            ("other keys do nothing", menu, key(K::Digit(7)), 2_000, "menu", vec![]),
            ("a letter does nothing", menu, key(K::Letter('A')), 2_000, "menu", vec![]),
            ("the menu stays before its timeout", menu, Tick, 1_000 + MENU_TIMEOUT_MS - 1, "menu", vec![]),
            ("the menu closes at its timeout", menu, Tick, 1_000 + MENU_TIMEOUT_MS, "closed", vec![ShowIdle]),
            ("digits build the employee number", enrol, key(K::Digit(4)), 2_000, "enrol", vec![ShowEnrol]),
            ("# with no number stays", enrol, key(K::Hash), 2_000, "enrol", vec![ShowEnrol]),
            ("star leaves the enrolment for the menu", enrol, key(K::Star), 2_000, "menu", vec![ShowMenu]),
            ("cancel leaves the enrolment for the menu", enrol, Cancel, 2_000, "menu", vec![ShowMenu]),
            ("a letter is ignored in enrolment", enrol, key(K::Letter('B')), 2_000, "enrol", vec![]),
            ("menu touches are ignored in enrolment", enrol, Choice(AdminChoice::Exit), 2_000, "enrol", vec![]),
            ("an idle enrolment ends", enrol, Tick, 1_000 + Session::TIMEOUT_MS, "menu", vec![ShowMenu]),
            ("an enrolment before its timeout stays", enrol, Tick, 1_000 + Session::TIMEOUT_MS - 1, "enrol", vec![]),
            ("# with a number starts the camera", || capturing(at(1_000)), Tick, 2_000, "capturing", vec![]),
        ];
        for (label, start, event, now, want, effects) in cases {
            let (next, got) = step(start(), event, at(now));
            assert_eq!((name(&next), got), (want, effects), "{label}");
        }
    }

    #[test]
    fn a_finished_enrolment_shows_its_outcome_then_the_menu() {
        let Admin::Enrol(mut s) = capturing(at(0)) else { unreachable!() };
        s.finish(crate::flow::EnrolOutcome::Enrolled { name: "Made".into(), sent: false }, at(10_000));
        let (next, fx) = step(Admin::Enrol(s), AdminEvent::Tick, at(10_000 + Session::RESULT_MS - 1));
        assert_eq!((name(&next), fx), ("enrol", vec![]), "the outcome stays on screen");
        let (next, fx) = step(next.unwrap(), AdminEvent::Tick, at(10_000 + Session::RESULT_MS));
        assert_eq!((name(&next), fx), ("menu", vec![AdminEffect::ShowMenu]));
        // Any key after the outcome also returns to the menu.
        let Admin::Enrol(mut s) = capturing(at(0)) else { unreachable!() };
        s.finish(crate::flow::EnrolOutcome::Enrolled { name: "Made".into(), sent: false }, at(10_000));
        let (next, fx) = step(Admin::Enrol(s), AdminEvent::Key(Key::Digit(5)), at(10_100));
        assert_eq!((name(&next), fx), ("menu", vec![AdminEffect::ShowMenu]));
    }
}
