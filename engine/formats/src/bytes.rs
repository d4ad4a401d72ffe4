//! Bounds-checked little-endian reading for the binary formats: every read past the end
//! is an `Err` naming the file, never a panic.

use crate::{Error, Result};

pub struct ByteReader<'a> {
    data: &'a [u8],
    pos: usize,
    file: &'a str,
    format: &'static str,
}

impl<'a> ByteReader<'a> {
    pub fn new(data: &'a [u8], file: &'a str, format: &'static str) -> Self {
        Self {
            data,
            pos: 0,
            file,
            format,
        }
    }

    pub fn position(&self) -> usize {
        self.pos
    }

    pub fn remaining(&self) -> usize {
        self.data.len() - self.pos
    }

    /// The error this reader's file gives for `message`.
    pub fn error(&self, message: impl Into<String>) -> Error {
        Error::InvalidFile {
            file: self.file.to_string(),
            format: self.format,
            message: message.into(),
        }
    }

    pub fn seek(&mut self, pos: usize) -> Result<()> {
        if pos > self.data.len() {
            return Err(self.truncated(pos - self.pos.min(pos)));
        }
        self.pos = pos;
        Ok(())
    }

    pub fn take(&mut self, n: usize) -> Result<&'a [u8]> {
        let end = self
            .pos
            .checked_add(n)
            .filter(|&end| end <= self.data.len())
            .ok_or_else(|| self.truncated(n))?;
        let slice = &self.data[self.pos..end];
        self.pos = end;
        Ok(slice)
    }

    pub fn skip(&mut self, n: usize) -> Result<()> {
        self.take(n).map(|_| ())
    }

    pub fn u8(&mut self) -> Result<u8> {
        Ok(self.take(1)?[0])
    }

    pub fn u16(&mut self) -> Result<u16> {
        Ok(u16::from_le_bytes(self.array()?))
    }

    pub fn i16(&mut self) -> Result<i16> {
        Ok(i16::from_le_bytes(self.array()?))
    }

    pub fn u32(&mut self) -> Result<u32> {
        Ok(u32::from_le_bytes(self.array()?))
    }

    pub fn i32(&mut self) -> Result<i32> {
        Ok(i32::from_le_bytes(self.array()?))
    }

    fn array<const N: usize>(&mut self) -> Result<[u8; N]> {
        let mut out = [0u8; N];
        out.copy_from_slice(self.take(N)?);
        Ok(out)
    }

    fn truncated(&self, wanted: usize) -> Error {
        self.error(format!(
            "the file ends early: {wanted} more bytes were expected at byte {} of {}",
            self.pos,
            self.data.len()
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_little_endian_and_refuses_to_run_past_the_end() {
        let data = [1, 0, 0xff, 0xff, 7];
        let mut r = ByteReader::new(&data, "f", "Test");
        assert_eq!(r.u16().unwrap(), 1);
        assert_eq!(r.i16().unwrap(), -1);
        let err = r.u32().unwrap_err().to_string();
        assert!(
            err.contains("ends early") && err.contains("byte 4 of 5"),
            "{err}"
        );
        assert_eq!(r.u8().unwrap(), 7);
        assert!(r.seek(6).is_err());
    }
}
