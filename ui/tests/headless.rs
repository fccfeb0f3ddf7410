//! The crate's own headless platform (used by the screenshot tool, the benchmark and the
//! kiosk's headless demo): renders at the asked size, runs the event loop for remote calls
//! and camera frames, and saves the screen on every redraw.

use hadir_ui::{ClockTime, Screen, Ui, fonts, gallery, headless};

fn main() {
    // SAFETY: first statement of `main` (harness = false); no other thread exists yet.
    #[allow(unsafe_code)]
    unsafe {
        std::env::set_var(fonts::FONTCONFIG_ENV, fonts::fontconfig_file());
    }
    let display = headless::install(800, 480).expect("install the headless platform");
    let ui = Ui::new().expect("create the UI");
    ui.set_screen(&gallery::idle()).expect("idle");

    // Rendering on demand at both sizes; the MASUK button's green is where the layout puts it.
    let idle = display.render();
    assert_eq!(idle.dimensions(), (800, 480));
    let green = image::Rgb([0x1f, 0x9d, 0x55]);
    assert_eq!(*idle.get_pixel(40, 322), green, "MASUK button at the lower left");
    display.resize(1280, 800);
    let big = display.render();
    assert_eq!(big.dimensions(), (1280, 800));
    assert_eq!(*big.get_pixel(64, 520), green, "the layout scales with the screen");
    display.resize(800, 480);

    // The event loop: a remote screen change and a camera frame from other threads, each
    // redraw saved as PNG, then quit.
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("headless");
    std::fs::create_dir_all(&dir).expect("create the output folder");
    let png = dir.join("screen.png");
    let _ = std::fs::remove_file(&png);
    display.save_on_redraw(png.clone());
    let before = display.stats().redraws;
    let remote = ui.remote();
    let feed = ui.preview_feed();
    let flow = std::thread::spawn(move || {
        remote.set_screen(Screen::Locked { until: ClockTime::new(10, 30) }).expect("remote");
        feed.push(&gallery::face_picture(64, 48)).expect("frame");
        remote.quit().expect("quit");
        feed
    });
    ui.run().expect("event loop");
    let feed = flow.join().expect("flow thread");
    assert_eq!(display.last_save_error(), None);
    assert!(display.stats().redraws > before, "the loop redrew after the change");
    assert_eq!(feed.stats().shown, 1, "the frame was handed to the UI thread");
    let saved = image::open(&png).expect("the saved screen is a PNG").to_rgb8();
    assert_eq!(saved.dimensions(), (800, 480));
    assert!(saved != idle, "the saved screen shows the locked screen, not idle");
    // The locked screen's title is red (#d7263d) somewhere in the upper half.
    let red = image::Rgb([0xd7, 0x26, 0x3d]);
    assert!(saved.enumerate_pixels().any(|(_, y, p)| y < 240 && *p == red), "PIN locked title drawn");
    println!("headless: ok, last screen saved to {}", png.display());
}
