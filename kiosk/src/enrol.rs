//! # Enrolment at the kiosk (administrator)
//!
//! An administrator captures several images of one employee. [`enrol`] embeds each and applies
//! the rulebook's enrolment rule ([`hadir_rules::check_enrolment`], the dashboard's too): the
//! images are of one person, of the face the employee is already enrolled with (if any), and
//! not of someone else in the roster (any template of another employee, from the server's
//! roster or enrolled here, in the valid band would let one person record for two). Then it
//! stores the templates (encrypted) for the employee and queues them for the server
//! (`template_outbox`); the sync worker sends them (`POST /api/v1/templates`) and the screen
//! says whether the server has them yet.
//!
//! It must not decide attendance; it never overwrites another employee's templates.

use crate::face::{FaceCheck, FaceResult};
use crate::flow::{EnrolOutcome, EnrolRefusal};
use hadir_rules::{EnrolRefusal as Refusal, check_enrolment};
use crate::store::{EmployeeRow, Store, StoreError};
use image::RgbImage;

/// Images needed.
pub const MIN_IMAGES: usize = 3;

/// Why an enrolment was refused.
#[derive(Debug, thiserror::Error)]
pub enum EnrolError {
    /// Too few usable images.
    #[error("only {usable} of {given} images show one usable face; {MIN_IMAGES} are needed (retake in good light, one person, looking straight)")]
    TooFewImages {
        /// Images with a usable face.
        usable: usize,
        /// Images given.
        given: usize,
    },
    /// The images are not of one person.
    #[error("images {first} and {second} match only {percent:.1} %: they do not look like one person")]
    NotOnePerson {
        /// Image index.
        first: usize,
        /// Image index.
        second: usize,
        /// Their match.
        percent: f32,
    },
    /// The images do not match the face the employee is already enrolled with.
    #[error("image {image} matches the face already enrolled for this employee only {percent:.1} %: not enrolled (is it the right employee number?)")]
    NotTheEnrolledFace {
        /// Image index.
        image: usize,
        /// Its worst match with the enrolled templates.
        percent: f32,
    },
    /// Already enrolled as someone else.
    #[error("this face already matches employee {other} at {percent:.1} %: not enrolled (check the employee number; a supervisor must resolve a true look-alike)")]
    Duplicate {
        /// The other employee.
        other: String,
        /// The match.
        percent: f32,
    },
    /// The employee is not in the roster.
    #[error("employee {0} is not in this device's roster; sync the roster first")]
    UnknownEmployee(String),
    /// The face pipeline failed.
    #[error(transparent)]
    Face(#[from] crate::face::FaceError),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl EnrolError {
    /// The refusal the screen shows, and its detail (the other employee for a duplicate).
    pub fn refusal(&self) -> (EnrolRefusal, String) {
        match self {
            EnrolError::TooFewImages { .. } => (EnrolRefusal::TooFewImages, String::new()),
            EnrolError::NotOnePerson { .. } => (EnrolRefusal::NotOnePerson, String::new()),
            // The screen has one message for "these faces are not one person".
            EnrolError::NotTheEnrolledFace { .. } => (EnrolRefusal::NotOnePerson, self.to_string()),
            EnrolError::Duplicate { other, .. } => (EnrolRefusal::Duplicate, other.clone()),
            EnrolError::UnknownEmployee(_) => (EnrolRefusal::UnknownEmployee, String::new()),
            EnrolError::Face(e) => (EnrolRefusal::Fault, e.to_string()),
            EnrolError::Store(e) => (EnrolRefusal::Fault, e.to_string()),
        }
    }
}

/// The stored result.
#[derive(Debug, Clone, PartialEq)]
pub struct Enrolled {
    /// The employee.
    pub employee_id: String,
    /// Templates stored.
    pub templates: usize,
    /// The best match with any other employee (for the audit), percent.
    pub nearest_other: Option<(String, f32)>,
    /// The employee's name (for the screen).
    pub name: String,
}

/// Enrols `employee_id` from `images`, replacing their templates of this model.
pub fn enrol(store: &mut Store, face: &mut dyn FaceCheck, employee_id: &str, images: &[RgbImage]) -> Result<Enrolled, EnrolError> {
    let employee: EmployeeRow =
        store.employee(employee_id)?.ok_or_else(|| EnrolError::UnknownEmployee(employee_id.to_owned()))?;
    let mut embeddings = Vec::new();
    for img in images {
        if let FaceResult::Face { embedding, liveness, .. } = face.check(img, &[])? {
            if liveness >= 50.0 {
                embeddings.push(embedding);
            }
        }
    }
    if embeddings.len() < MIN_IMAGES {
        return Err(EnrolError::TooFewImages { usable: embeddings.len(), given: images.len() });
    }
    let model = face.model_version();
    let own: Vec<Vec<f32>> = store.templates(employee_id)?.into_iter().filter(|(m, _)| *m == model).map(|(_, t)| t).collect();
    let mut others: std::collections::BTreeMap<String, Vec<Vec<f32>>> = std::collections::BTreeMap::new();
    for (other, m, t) in store.all_templates()? {
        if other != employee_id && m == model {
            others.entry(other).or_default().push(t);
        }
    }
    let checked = check_enrolment(&embeddings, &own, others.iter().map(|(id, set)| (id.as_str(), set.as_slice())), |a, b| {
        face.similarity(a, b)
    })
    .map_err(|r| match r {
        Refusal::NotOnePerson { first, second, percent } => EnrolError::NotOnePerson { first, second, percent },
        Refusal::NotTheEnrolledFace { capture, percent } => EnrolError::NotTheEnrolledFace { image: capture, percent },
        Refusal::Duplicate { employee_id, percent } => EnrolError::Duplicate { other: employee_id, percent },
    })?;
    // Keep templates of other models (the server may still use them), replace this model's.
    let mut templates: Vec<(String, Vec<f32>)> =
        store.templates(employee_id)?.into_iter().filter(|(m, _)| *m != model).collect();
    let count = embeddings.len();
    templates.extend(embeddings.into_iter().map(|e| (model.clone(), e)));
    store.upsert_employee(&employee, &templates)?;
    Ok(Enrolled { employee_id: employee_id.to_owned(), templates: count, nearest_other: checked.nearest_other, name: employee.name })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::face::ScriptedFace;
    use crate::identity::Identity;

    fn face_with(embedding: Vec<f32>) -> FaceResult {
        FaceResult::Face { score: 0.0, liveness: 90.0, aligned: RgbImage::new(2, 2), embedding }
    }

    fn store(dir: &tempfile::TempDir) -> Store {
        let mut s = Store::open(&dir.path().join("k.db"), &Identity::from_seed([3; 32])).unwrap();
        for id in ["E1", "E2"] {
            let e = EmployeeRow { id: id.into(), name: id.into(), section_id: None, pin_hash: None };
            s.upsert_employee(&e, &[]).unwrap();
        }
        s
    }

    #[test]
    fn enrols_one_person_then_refuses_them_as_someone_else() {
        let dir = tempfile::tempdir().unwrap();
        let mut s = store(&dir);
        let imgs = vec![RgbImage::new(2, 2); 3];
        let a = vec![1.0, 0.0, 0.0];
        let mut f = ScriptedFace::new(vec![face_with(a.clone()), face_with(vec![0.99, 0.1, 0.0]), face_with(a.clone())]);
        let done = enrol(&mut s, &mut f, "E1", &imgs).unwrap();
        assert_eq!(done.templates, 3);
        assert_eq!(s.templates("E1").unwrap().len(), 3);

        // The same face for E2 is a duplicate.
        let mut f = ScriptedFace::new(vec![face_with(a.clone())]);
        let err = enrol(&mut s, &mut f, "E2", &imgs).unwrap_err();
        assert!(matches!(err, EnrolError::Duplicate { ref other, .. } if other == "E1"), "{err}");
        assert!(s.templates("E2").unwrap().is_empty());

        // Re-enrolling E1 is not a duplicate of itself.
        let mut f = ScriptedFace::new(vec![face_with(a)]);
        assert!(enrol(&mut s, &mut f, "E1", &imgs).is_ok());

        // Another face under E1's number is refused, and E1's templates stay.
        let mut f = ScriptedFace::new(vec![face_with(vec![0.0, 0.0, 1.0])]);
        let err = enrol(&mut s, &mut f, "E1", &imgs).unwrap_err();
        assert!(matches!(err, EnrolError::NotTheEnrolledFace { image: 0, .. }), "{err}");
        assert_eq!(s.templates("E1").unwrap().len(), 3);
    }

    #[test]
    fn refuses_mixed_people_and_too_few_faces() {
        let dir = tempfile::tempdir().unwrap();
        let mut s = store(&dir);
        let imgs = vec![RgbImage::new(2, 2); 3];
        let mut f = ScriptedFace::new(vec![face_with(vec![1.0, 0.0]), face_with(vec![0.0, 1.0]), face_with(vec![1.0, 0.0])]);
        assert!(matches!(enrol(&mut s, &mut f, "E1", &imgs), Err(EnrolError::NotOnePerson { first: 0, second: 1, .. })));
        let mut f = ScriptedFace::new(vec![face_with(vec![1.0]), FaceResult::Guide(crate::flow::Guidance::NoFace)]);
        assert!(matches!(enrol(&mut s, &mut f, "E1", &imgs), Err(EnrolError::TooFewImages { usable: 1, given: 3 })));
        let mut f = ScriptedFace::new(vec![face_with(vec![1.0])]);
        assert!(matches!(enrol(&mut s, &mut f, "NOPE", &imgs), Err(EnrolError::UnknownEmployee(_))));
    }
}

/// An enrolment at the kiosk: the administrator types the employee number and `#`, the
/// employee looks at the camera while [`Session::NEEDED`] images are taken (spaced so they
/// differ a little), then [`enrol`] checks and stores them. Inactivity ends the session.
#[derive(Debug, Clone)]
pub struct Session {
    view: crate::flow::EnrolView,
    images: Vec<RgbImage>,
    last_activity: crate::flow::Mono,
    last_capture: Option<crate::flow::Mono>,
    finished_at: Option<crate::flow::Mono>,
}

/// A key during enrolment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SessionKey {
    /// A digit of the employee number.
    Digit(char),
    /// Delete the last digit.
    Backspace,
    /// Employee number complete: start the camera.
    Confirm,
    /// Leave enrolment.
    Cancel,
}

impl Session {
    /// Images taken per enrolment.
    pub const NEEDED: usize = 5;
    /// Minimum time between two images, ms.
    pub const SPACING_MS: u64 = 300;
    /// Inactivity that ends the session, ms.
    pub const TIMEOUT_MS: u64 = 60_000;
    /// How long the outcome stays on screen, ms.
    pub const RESULT_MS: u64 = 5_000;

    /// A new session at `now`.
    pub fn new(now: crate::flow::Mono) -> Session {
        Session {
            view: crate::flow::EnrolView::default(),
            images: Vec::new(),
            last_activity: now,
            last_capture: None,
            finished_at: None,
        }
    }

    /// What the screen shows.
    pub fn view(&self) -> &crate::flow::EnrolView {
        &self.view
    }

    /// Whether camera frames are wanted.
    pub fn capturing(&self) -> bool {
        self.view.needed > 0 && self.view.done.is_none() && self.images.len() < self.view.needed
    }

    /// Handles a key; returns `false` when the session is over.
    pub fn key(&mut self, key: SessionKey, now: crate::flow::Mono) -> bool {
        self.last_activity = now;
        if self.view.done.is_some() {
            return false;
        }
        match key {
            SessionKey::Cancel => return false,
            SessionKey::Digit(c) if self.view.needed == 0 && self.view.employee.len() < 32 => self.view.employee.push(c),
            SessionKey::Backspace if self.view.needed == 0 => {
                self.view.employee.pop();
            }
            SessionKey::Confirm if self.view.needed == 0 && !self.view.employee.is_empty() => self.view.needed = Self::NEEDED,
            _ => {}
        }
        true
    }

    /// Whether a frame offered at `now` would be taken (capturing, and spaced from the last).
    pub fn due(&self, now: crate::flow::Mono) -> bool {
        self.capturing() && self.last_capture.is_none_or(|t| now.since(t) >= Self::SPACING_MS)
    }

    /// Shows what the person should change (a frame the quality gate refused).
    pub fn guide(&mut self, guidance: crate::flow::Guidance, now: crate::flow::Mono) {
        self.view.guidance = Some(guidance);
        self.last_activity = now;
    }

    /// Offers a camera frame; takes it when due. Returns whether it was taken.
    pub fn frame(&mut self, img: &RgbImage, now: crate::flow::Mono) -> bool {
        if !self.due(now) {
            return false;
        }
        self.view.guidance = Some(crate::flow::Guidance::Good);
        self.images.push(img.clone());
        self.view.captured = self.images.len();
        self.last_capture = Some(now);
        self.last_activity = now;
        true
    }

    /// When all images are in: the employee and the images, once.
    pub fn take_ready(&mut self) -> Option<(String, Vec<RgbImage>)> {
        if self.view.needed > 0 && self.images.len() >= self.view.needed && self.view.done.is_none() {
            Some((self.view.employee.clone(), std::mem::take(&mut self.images)))
        } else {
            None
        }
    }

    /// Updates the outcome on screen (the server took the template meanwhile).
    pub fn set_sent(&mut self) {
        if let Some(EnrolOutcome::Enrolled { sent, .. }) = self.view.done.as_mut() {
            *sent = true;
        }
    }

    /// Records the outcome (shown for [`Session::RESULT_MS`]).
    pub fn finish(&mut self, outcome: EnrolOutcome, now: crate::flow::Mono) {
        self.view.done = Some(outcome);
        self.finished_at = Some(now);
    }

    /// Whether the session is over at `now` (inactivity, or the outcome was shown long enough).
    pub fn over(&self, now: crate::flow::Mono) -> bool {
        match self.finished_at {
            Some(t) => now.since(t) >= Self::RESULT_MS,
            None => now.since(self.last_activity) >= Self::TIMEOUT_MS,
        }
    }
}

#[cfg(test)]
mod session_tests {
    use super::*;
    use crate::flow::Mono;

    #[test]
    fn type_number_capture_spaced_images_finish() {
        let mut s = Session::new(Mono(0));
        for c in "1985".chars() {
            assert!(s.key(SessionKey::Digit(c), Mono(10)));
        }
        s.key(SessionKey::Backspace, Mono(20));
        assert!(!s.capturing());
        assert!(!s.key(SessionKey::Confirm, Mono(30)) || s.capturing());
        assert_eq!(s.view().employee, "198");
        let img = RgbImage::new(2, 2);
        let taken: Vec<bool> = [100, 200, 400, 500, 700, 1000, 1300, 1600].iter().map(|t| s.frame(&img, Mono(*t))).collect();
        assert_eq!(taken, vec![true, false, true, false, true, true, true, false]);
        let (id, images) = s.take_ready().unwrap();
        assert_eq!((id.as_str(), images.len()), ("198", Session::NEEDED));
        assert!(s.take_ready().is_none());
        s.finish(EnrolOutcome::Enrolled { name: id, sent: false }, Mono(2000));
        s.set_sent();
        assert!(matches!(s.view().done, Some(EnrolOutcome::Enrolled { sent: true, .. })));
        assert!(!s.over(Mono(6999)));
        assert!(s.over(Mono(7000)));
    }

    #[test]
    fn cancel_and_inactivity_end_it() {
        let mut s = Session::new(Mono(0));
        assert!(!s.key(SessionKey::Cancel, Mono(1)));
        let s = Session::new(Mono(0));
        assert!(!s.over(Mono(59_999)));
        assert!(s.over(Mono(60_000)));
        let mut s = Session::new(Mono(0));
        s.key(SessionKey::Confirm, Mono(1));
        assert!(!s.capturing(), "no employee number yet");
    }
}
