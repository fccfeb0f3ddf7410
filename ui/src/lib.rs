//! # hadir-ui: the kiosk's touchscreen
//!
//! Slint screens and the small view-model API through which the kiosk drives them.
//!
//! It owns what the person sees; it never decides attendance.
