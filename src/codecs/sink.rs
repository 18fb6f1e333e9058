//! Where streaming coders (zlib, gzip, bz2, lzma) write their output.
//!
//! These formats do not record the decoded size, so output is produced step by step into whatever space
//! the sink offers. A sink either grows a `Vec` (for `encode`/`decode`) or fills a caller's slice (for
//! `*_into`); once the slice is full the rest is written to a small scratch buffer that is only counted,
//! so a too-small destination is reported with the exact size it needs. A decoding sink also enforces
//! the decoded-size limit: it never offers more than one byte beyond the limit, and a coder that fills
//! that byte has exceeded it.

use super::error::{Error, Result};
use super::{check_decoded_size, decode_limit};

/// Bytes offered to the coder by the first growth step of a growing sink.
const MIN_GROWTH: usize = 4 * 1024;

/// The most a size hint reserves up front: hints come from untrusted headers or from guesses, and
/// growing past this by doubling costs only a few copies.
const MAX_INITIAL_RESERVE: usize = 256 << 20;

/// Size of the scratch buffer that counts output beyond a full destination slice.
const SCRATCH_SIZE: usize = 64 * 1024;

#[derive(Debug)]
enum Target<'a> {
    /// Grows as needed; `buf.len()` is the space handed out so far (zero-filled), `produced` is used.
    Grow(Vec<u8>),
    /// The caller's slice, then a scratch buffer whose contents are discarded (only counted).
    Fixed { dst: &'a mut [u8], scratch: Vec<u8> },
}

/// Output of one encode or decode call. See the module documentation.
#[derive(Debug)]
pub(crate) struct OutputSink<'a> {
    codec_id: &'static str,
    target: Target<'a>,
    produced: usize,
    /// Decoders: the most bytes the output may have. Encoders: `None` (the input bounds the output).
    limit: Option<usize>,
}

impl<'a> OutputSink<'a> {
    /// A growing sink for a decoder, limited to [`decode_limit`]. `size_hint` is a guess of
    /// the output size (the first allocation; clamped to the limit).
    pub(crate) fn growing_decoded(codec_id: &'static str, size_hint: usize) -> Self {
        Self::growing_with_limit(codec_id, size_hint, Some(decode_limit()))
    }

    /// A sink that decodes into `dst`, limited to [`decode_limit`].
    pub(crate) fn fixed_decoded(codec_id: &'static str, dst: &'a mut [u8]) -> Self {
        Self::fixed_with_limit(codec_id, dst, Some(decode_limit()))
    }

    /// A growing sink for an encoder whose output is at most `capacity` bytes (its encode bound).
    pub(crate) fn growing_encoded(codec_id: &'static str, capacity: usize) -> Self {
        Self::growing_with_limit(codec_id, capacity, None)
    }

    /// A sink that encodes into `dst`.
    pub(crate) fn fixed_encoded(codec_id: &'static str, dst: &'a mut [u8]) -> Self {
        Self::fixed_with_limit(codec_id, dst, None)
    }

    pub(crate) fn growing_with_limit(codec_id: &'static str, size_hint: usize, limit: Option<usize>) -> Self {
        let initial = match limit {
            Some(limit) => size_hint.min(limit.saturating_add(1)),
            None => size_hint,
        };
        let mut buf = Vec::new();
        // Only a hint: if the allocator says no, growth reports it when the space is really needed.
        let _ = buf.try_reserve_exact(initial.min(MAX_INITIAL_RESERVE));
        OutputSink { codec_id, target: Target::Grow(buf), produced: 0, limit }
    }

    pub(crate) fn fixed_with_limit(codec_id: &'static str, dst: &'a mut [u8], limit: Option<usize>) -> Self {
        OutputSink { codec_id, target: Target::Fixed { dst, scratch: Vec::new() }, produced: 0, limit }
    }

    /// Bytes produced so far (including those only counted past a full destination).
    pub(crate) fn produced(&self) -> usize {
        self.produced
    }

    /// Space for the coder's next step: never empty, at most `max` bytes (less when the current allocation,
    /// the destination or the limit ends sooner). Fails only when memory for more output is refused.
    pub(crate) fn space(&mut self, max: usize) -> Result<&mut [u8]> {
        let produced = self.produced;
        // One byte beyond the limit, so that a coder that still has output reveals it.
        let allowed = match self.limit {
            Some(limit) => limit.saturating_add(1).saturating_sub(produced).max(1),
            None => usize::MAX,
        };
        let want = max.min(allowed).max(1);
        match &mut self.target {
            Target::Grow(buf) => {
                if buf.len() <= produced {
                    // Geometric growth (within the reserved capacity there is no copy, only zeroing).
                    let grown = buf.len().saturating_mul(2).max(MIN_GROWTH);
                    let new_len = grown.min(produced.saturating_add(allowed)).max(produced.saturating_add(1));
                    buf.try_reserve(new_len - buf.len()).map_err(|_| {
                        Error::limit(format!("{}: out of memory for {new_len} bytes of output", self.codec_id))
                    })?;
                    buf.resize(new_len, 0);
                }
                let end = buf.len().min(produced.saturating_add(want));
                // commit() never counts more than was offered, so `produced <= end`; min() keeps it panic-free.
                Ok(&mut buf[produced.min(end)..end])
            }
            Target::Fixed { dst, scratch } => {
                if produced < dst.len() {
                    let end = dst.len().min(produced.saturating_add(want));
                    Ok(&mut dst[produced..end])
                } else {
                    if scratch.is_empty() {
                        scratch.resize(SCRATCH_SIZE, 0);
                    }
                    let len = scratch.len().min(want);
                    Ok(&mut scratch[..len])
                }
            }
        }
    }

    /// Records that the coder wrote `count` bytes to the front of the last [`OutputSink::space`].
    pub(crate) fn commit(&mut self, count: usize) -> Result<()> {
        self.produced = self.produced.saturating_add(count);
        if let Some(limit) = self.limit {
            check_decoded_size(self.codec_id, self.produced as u64)?;
            if self.produced > limit {
                return Err(Error::limit(format!(
                    "{}: decoded size exceeds the limit of {limit} bytes",
                    self.codec_id
                )));
            }
        }
        Ok(())
    }

    /// Writes all of `bytes` (headers and trailers that the codec writes itself).
    pub(crate) fn write_all(&mut self, mut bytes: &[u8]) -> Result<()> {
        while !bytes.is_empty() {
            let space = self.space(bytes.len())?;
            let n = space.len().min(bytes.len());
            space[..n].copy_from_slice(&bytes[..n]);
            self.commit(n)?;
            bytes = &bytes[n..];
        }
        Ok(())
    }

    /// Forgets everything produced after the first `len` bytes (output of a trailing stream that turned
    /// out to be garbage and is ignored, as Python does).
    pub(crate) fn rewind(&mut self, len: usize) {
        self.produced = self.produced.min(len);
    }

    /// A growing sink's output.
    pub(crate) fn into_vec(self) -> Vec<u8> {
        match self.target {
            Target::Grow(mut buf) => {
                buf.truncate(self.produced);
                // Growth can leave up to half the allocation unused; give large slack back.
                if buf.capacity() - buf.len() > buf.len() / 4 + MIN_GROWTH {
                    buf.shrink_to_fit();
                }
                buf
            }
            Target::Fixed { dst, .. } => {
                let end = self.produced.min(dst.len());
                dst[..end].to_vec()
            }
        }
    }

    /// A fixed sink's result: the length written, or [`super::ErrorKind::BufferTooSmall`] with the size
    /// the destination needs when the output did not fit.
    pub(crate) fn finish_fixed(self) -> Result<usize> {
        match self.target {
            Target::Fixed { dst, .. } => {
                if self.produced > dst.len() {
                    Err(Error::buffer_too_small(self.produced, dst.len()))
                } else {
                    Ok(self.produced)
                }
            }
            Target::Grow(_) => Ok(self.produced),
        }
    }
}

/// Test inputs shared by the streaming codecs' tests.
#[cfg(test)]
pub(crate) mod test_data {
    /// Deterministic pseudo-random bytes (xorshift), incompressible for deflate.
    pub(crate) fn noise(len: usize, seed: u64) -> Vec<u8> {
        let mut state = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
        (0..len)
            .map(|_| {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                (state >> 24) as u8
            })
            .collect()
    }

    /// Compressible bytes: words from a small vocabulary with some noise.
    pub(crate) fn text(len: usize) -> Vec<u8> {
        let words: [&[u8]; 6] = [b"zarr ", b"chunk ", b"codec ", b"array ", b"numcodecs ", b"\x00\x01\x02 "];
        let noise = noise(len / 7 + 1, 7);
        let mut out = Vec::with_capacity(len + 16);
        let mut i = 0;
        while out.len() < len {
            let pick = noise[i % noise.len()] as usize;
            out.extend_from_slice(words[pick % words.len()]);
            if pick % 5 == 0 {
                out.push(pick as u8);
            }
            i += 1;
        }
        out.truncate(len);
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codecs::ErrorKind;

    /// Writes `data` through the sink the way a coder does, `step` bytes at most per call.
    fn pump(sink: &mut OutputSink<'_>, data: &[u8], step: usize) -> Result<()> {
        let mut pos = 0;
        while pos < data.len() {
            let space = sink.space(step)?;
            let n = space.len().min(data.len() - pos);
            space[..n].copy_from_slice(&data[pos..pos + n]);
            sink.commit(n)?;
            pos += n;
        }
        Ok(())
    }

    #[test]
    fn growing_sink_collects_everything() {
        let data: Vec<u8> = (0..300_000u32).map(|i| (i % 251) as u8).collect();
        let mut sink = OutputSink::growing_with_limit("test", 10, Some(1 << 20));
        pump(&mut sink, &data, 70_000).unwrap();
        assert_eq!(sink.into_vec(), data);
    }

    #[test]
    fn space_honours_max() {
        let mut sink = OutputSink::growing_with_limit("test", 0, None);
        assert_eq!(sink.space(5).unwrap().len(), 5);
        let mut dst = [0u8; 100];
        let mut sink = OutputSink::fixed_with_limit("test", &mut dst, None);
        assert_eq!(sink.space(7).unwrap().len(), 7);
        sink.commit(98).unwrap();
        assert_eq!(sink.space(7).unwrap().len(), 2);
    }

    #[test]
    fn growing_sink_stops_one_byte_past_the_limit() {
        let mut sink = OutputSink::growing_with_limit("test", 0, Some(1000));
        pump(&mut sink, &[1u8; 1000], 4096).unwrap();
        assert_eq!(sink.space(4096).unwrap().len(), 1, "only one byte beyond the limit is offered");
        let err = pump(&mut sink, &[1u8; 1], 4096).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::LimitExceeded);
    }

    #[test]
    fn fixed_sink_counts_what_does_not_fit() {
        let data = vec![9u8; 200_000];
        let mut dst = vec![0u8; 1000];
        let mut sink = OutputSink::fixed_with_limit("test", &mut dst, None);
        pump(&mut sink, &data, usize::MAX).unwrap();
        let err = sink.finish_fixed().unwrap_err();
        assert_eq!(err.kind(), ErrorKind::BufferTooSmall);
        assert_eq!(err.needed(), Some(200_000));
        assert!(dst.iter().all(|&b| b == 9));
    }

    #[test]
    fn fixed_sink_exact_fit_and_rewind() {
        let mut dst = vec![0u8; 10];
        let mut sink = OutputSink::fixed_with_limit("test", &mut dst, Some(100));
        pump(&mut sink, b"0123456789abc", 4).unwrap();
        sink.rewind(10);
        assert_eq!(sink.finish_fixed().unwrap(), 10);
        assert_eq!(&dst, b"0123456789");
    }
}
