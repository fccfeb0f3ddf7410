//! The headless test screen shared by the integration tests: Slint's testing backend with
//! mocked time and the software renderer, the UI's own fonts, and helpers that look at the
//! screen the way a person does — by visible label, by touch, by pixel.

#![allow(dead_code)] // each test binary uses a different subset

use hadir_ui::{Ui, fonts};
use i_slint_backend_testing::{ElementHandle, TestingBackend, TestingBackendOptions};
use image::{Rgb, RgbImage};
use slint::platform::PointerEventButton;

/// Sets up fonts and the testing backend. Call first thing in `main` (before any thread).
pub fn init() {
    // SAFETY: first statement of the test binary's `main` (harness = false), no other thread
    // exists yet that could read the environment.
    #[allow(unsafe_code)]
    unsafe {
        std::env::set_var(fonts::FONTCONFIG_ENV, fonts::fontconfig_file());
    }
    slint::platform::set_platform(Box::new(TestingBackend::new(TestingBackendOptions {
        mock_time: true,
        threading: true,
        renderer_name: Some("software".into()),
    })))
    .expect("the testing backend is the first Slint platform of this process");
}

/// Sets the window size in physical pixels (scale factor 1).
pub fn resize(ui: &Ui, width: u32, height: u32) {
    ui.window().set_size(slint::PhysicalSize::new(width, height));
}

/// Renders the window as a person would see it.
pub fn snapshot(ui: &Ui) -> RgbImage {
    let shot = ui.window().take_snapshot().expect("software renderer snapshot");
    let rgb: Vec<u8> = shot.as_slice().iter().flat_map(|p| [p.r, p.g, p.b]).collect();
    RgbImage::from_raw(shot.width(), shot.height(), rgb).expect("snapshot size")
}

/// Every element currently on screen whose accessible label is `label`.
pub fn find(ui: &Ui, label: &str) -> Vec<ElementHandle> {
    ElementHandle::find_by_accessible_label(ui.component(), label).collect()
}

/// Asserts that `label` is on screen, inside the window and not empty; returns the element.
pub fn visible(ui: &Ui, label: &str, context: &str) -> ElementHandle {
    let found = find(ui, label);
    let Some(element) = found.into_iter().next() else {
        panic!("{context}: no element labelled {label:?} on screen");
    };
    let size = ui.window().size().to_logical(ui.window().scale_factor());
    let pos = element.absolute_position();
    let dim = element.size();
    assert!(dim.width > 0.0 && dim.height > 0.0, "{context}: {label:?} has no area ({dim:?})");
    let fits = pos.x >= -1.0
        && pos.y >= -1.0
        && pos.x + dim.width <= size.width + 1.0
        && pos.y + dim.height <= size.height + 1.0;
    assert!(fits, "{context}: {label:?} at {pos:?} size {dim:?} is outside the {size:?} window");
    element
}

/// Asserts that nothing labelled `label` is on screen.
pub fn absent(ui: &Ui, label: &str, context: &str) {
    assert!(find(ui, label).is_empty(), "{context}: {label:?} should not be on screen");
}

/// Taps the element labelled `label` (it must be visible).
pub fn tap(ui: &Ui, label: &str) {
    let element = visible(ui, label, "tap");
    element.mock_single_click(PointerEventButton::Left);
}

/// Types one key on a physical keyboard (press and release).
pub fn key(ui: &Ui, text: impl Into<slint::SharedString>) {
    let text = text.into();
    ui.window().dispatch_event(slint::platform::WindowEvent::KeyPressed { text: text.clone() });
    ui.window().dispatch_event(slint::platform::WindowEvent::KeyReleased { text });
}

/// Whether pixel colour `got` is within `tolerance` of `want` in every channel.
pub fn near(got: Rgb<u8>, want: [u8; 3], tolerance: u8) -> bool {
    got.0.iter().zip(want).all(|(g, w)| g.abs_diff(w) <= tolerance)
}

/// The theme's band colours (ui/theme.slint).
pub const GREEN: [u8; 3] = [0x1f, 0x9d, 0x55];
/// Amber, "menunggu konfirmasi".
pub const AMBER: [u8; 3] = [0xf0, 0xa2, 0x02];
/// Red, rejected.
pub const RED: [u8; 3] = [0xd7, 0x26, 0x3d];

/// Runs queued event-loop work (camera frames, remote calls) and returns.
pub fn run_pending() {
    slint::quit_event_loop().expect("queue quit");
    slint::run_event_loop().expect("event loop");
}
