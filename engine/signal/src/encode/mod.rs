//! Image encodings of a time series, each matching pyts 0.14.
//!
//! Every encoder reads one series as `&[f32]` and writes its image row-major into a
//! caller-provided `&mut [f32]`, so that a caller can fill one large tensor in place.
//! Results agree with pyts within 1e-5; see each module for where, and why, the
//! arithmetic is done in f64.

/// Defines a function twice, for the baseline target and with AVX2 enabled, and
/// picks at run time, so that its plain element-wise loops run 8 floats wide where
/// the CPU allows. Both builds perform the same IEEE operations on every element
/// (Rust never fuses a multiply and an add), so their results are identical.
#[doc(hidden)]
#[macro_export]
macro_rules! wide_simd {
    ($(#[$attr:meta])* $vis:vis fn $name:ident($($arg:ident: $ty:ty),* $(,)?) $body:block) => {
        $(#[$attr])*
        $vis fn $name($($arg: $ty),*) {
            #[inline(always)]
            fn portable($($arg: $ty),*) $body

            #[cfg(all(target_arch = "x86_64", not(target_feature = "avx2")))]
            {
                #[target_feature(enable = "avx2")]
                unsafe fn avx2($($arg: $ty),*) {
                    portable($($arg),*)
                }
                if std::arch::is_x86_feature_detected!("avx2") {
                    // SAFETY: the CPU supports AVX2, as just checked.
                    return unsafe { avx2($($arg),*) };
                }
            }
            portable($($arg),*)
        }
    };
}
pub(crate) use crate::wide_simd;

pub mod bins;
pub mod gaf;
pub mod image;
pub mod layout;
pub mod mtf;
pub mod paa;
pub mod patches;
pub mod resize;
pub mod rp;
