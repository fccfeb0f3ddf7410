//! The matrix keypad's pins on the board's GPIO (`rppal`).
//!
//! Rows are outputs, idle high; the scanned row is driven low. Columns are inputs with the
//! internal pull-up: a pressed key pulls its column low. No diodes are assumed.

use super::matrix::{MatrixConfig, PinBank};
use super::KeypadError;
use rppal::gpio::{Gpio, InputPin, OutputPin};
use std::time::Duration;

/// The keypad's rows and columns on GPIO.
pub struct GpioPinBank {
    rows: Vec<OutputPin>,
    cols: Vec<InputPin>,
}

impl GpioPinBank {
    /// Claims the pins.
    pub fn open(config: &MatrixConfig) -> Result<Self, KeypadError> {
        config.check()?;
        let pin_err = |pin: u8| move |e: rppal::gpio::Error| KeypadError::Pin { pin, reason: e.to_string() };
        let gpio = Gpio::new().map_err(pin_err(config.rows.first().copied().unwrap_or(0)))?;
        let rows = config
            .rows
            .iter()
            .map(|&p| gpio.get(p).map(|pin| pin.into_output_high()).map_err(pin_err(p)))
            .collect::<Result<_, _>>()?;
        let cols = config
            .cols
            .iter()
            .map(|&p| gpio.get(p).map(|pin| pin.into_input_pullup()).map_err(pin_err(p)))
            .collect::<Result<_, _>>()?;
        Ok(Self { rows, cols })
    }
}

impl PinBank for GpioPinBank {
    fn dimensions(&self) -> (usize, usize) {
        (self.rows.len(), self.cols.len())
    }

    fn select_row(&mut self, row: Option<usize>) -> Result<(), KeypadError> {
        for (i, pin) in self.rows.iter_mut().enumerate() {
            if Some(i) == row {
                pin.set_low();
            } else {
                pin.set_high();
            }
        }
        if row.is_some() {
            // Let the line settle through the pull-up before the columns are read.
            std::thread::sleep(Duration::from_micros(10));
        }
        Ok(())
    }

    fn column_active(&mut self, col: usize) -> Result<bool, KeypadError> {
        Ok(self.cols.get(col).is_some_and(InputPin::is_low))
    }
}
