//! How much one drop (or one command's inputs) may read: each file up to [`MAX_FILE_BYTES`],
//! all of them together up to [`MAX_DROP_BYTES`]. Asked before a file is read, so a drop of
//! many large files costs nothing beyond the budget.

use super::{MAX_DROP_BYTES, MAX_FILE_BYTES};

/// Bytes admitted so far in one drop.
#[derive(Debug, Default)]
pub struct DropBudget {
    used: u64,
}

/// Why a file is not read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// The file alone is over [`MAX_FILE_BYTES`].
    FileTooLarge,
    /// The files admitted before it already hold `used` bytes, and it would take the drop over
    /// [`MAX_DROP_BYTES`].
    DropFull { used: u64 },
}

impl DropBudget {
    /// Admits a file of `size` bytes (counted from then on), or says why it is not read.
    pub fn admit(&mut self, size: u64) -> Result<(), Refusal> {
        if size > MAX_FILE_BYTES {
            return Err(Refusal::FileTooLarge);
        }
        if self.used.saturating_add(size) > MAX_DROP_BYTES {
            return Err(Refusal::DropFull { used: self.used });
        }
        self.used += size;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn files_are_admitted_until_the_drop_is_full_and_a_small_one_still_fits() {
        let mut budget = DropBudget::default();
        let big = MAX_FILE_BYTES - 1;
        assert_eq!(budget.admit(MAX_FILE_BYTES + 1), Err(Refusal::FileTooLarge));
        assert_eq!(budget.admit(big), Ok(()));
        assert_eq!(budget.admit(big), Ok(()));
        assert_eq!(budget.admit(big), Err(Refusal::DropFull { used: 2 * big }));
        // The refused file was not counted: what is left still admits a small file.
        assert_eq!(budget.admit(2), Ok(()));
        assert_eq!(
            budget.admit(1),
            Err(Refusal::DropFull { used: 2 * big + 2 })
        );
    }
}
