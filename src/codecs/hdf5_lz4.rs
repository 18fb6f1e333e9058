//! HDF5's LZ4 filter (registered filter id 32004) chunk format, which is not numcodecs' `lz4` framing.
//!
//! The HDF Group's `H5Zlz4.c` (also shipped by hdf5plugin) writes a chunk as
//!
//! ```text
//! u64 big-endian  decoded size of the whole chunk
//! u32 big-endian  block size (the last block may be shorter)
//! per block:  u32 big-endian compressed length, then that many bytes: an LZ4 block, or the block's
//!             bytes stored as they are when the compressed length equals the block's decoded length
//! ```
//!
//! The block size comes from the filter's `cd_values[0]`; 0 (or no value) means 1 GiB, and a block size
//! larger than the chunk means one block. This is no numcodecs codec, so it is not in the registry: the
//! HDF5 plugin reaches it through `numcodecs_hdf5_lz4_encode_alloc` / `_decode_alloc`.

use lz4::block::{self, CompressionMode};

use super::lz4::decompress_block;
use super::{check_decoded_size, Error, Result};

/// The block size `H5Zlz4.c` uses when `cd_values[0]` is 0 or absent.
const DEFAULT_BLOCK_SIZE: usize = 1 << 30;

/// Bytes in front of the first block: the u64 decoded size and the u32 block size.
const HEADER_LEN: usize = 12;

/// The largest block LZ4 compresses (`LZ4_MAX_INPUT_SIZE`).
const MAX_BLOCK_SIZE: usize = 0x7E00_0000;

/// The most bytes one byte of an LZ4 block decodes to (see `lz4::MAX_EXPANSION`); raw blocks are 1:1.
const MAX_EXPANSION: usize = 255;

/// The block size a chunk of `src_len` bytes is cut into for the configured `block_size` (0: default).
fn effective_block_size(src_len: usize, block_size: usize) -> usize {
    let block_size = if block_size == 0 { DEFAULT_BLOCK_SIZE } else { block_size };
    block_size.min(src_len)
}

/// Encodes `src` as `H5Zlz4.c` does: LZ4 blocks of `block_size` bytes (0: 1 GiB), each stored raw when
/// LZ4 does not make it smaller.
pub fn encode(src: &[u8], block_size: usize) -> Result<Vec<u8>> {
    let block_size = effective_block_size(src.len(), block_size);
    if block_size > MAX_BLOCK_SIZE {
        return Err(Error::invalid_argument(format!(
            "hdf5 lz4: block size {block_size} is over LZ4's limit of {MAX_BLOCK_SIZE} bytes"
        )));
    }
    let block_bound = block::compress_bound(block_size).map_err(|e| Error::limit(format!("hdf5 lz4: {e}")))?;
    let mut out = Vec::with_capacity(HEADER_LEN + src.len() / 2);
    out.extend_from_slice(&(src.len() as u64).to_be_bytes());
    // block_size <= MAX_BLOCK_SIZE < 2^32.
    out.extend_from_slice(&(block_size as u32).to_be_bytes());
    let mut scratch = vec![0u8; block_bound];
    // chunks() needs a non-zero size; an empty chunk has no blocks.
    for piece in src.chunks(block_size.max(1)) {
        let written = block::compress_to_buffer(piece, Some(CompressionMode::DEFAULT), false, &mut scratch)
            .map_err(|e| Error::internal(format!("hdf5 lz4: compression failed: {e}")))?;
        // A compressed length equal to the block's length means "stored" to the decoder, so LZ4 output
        // that does not save a byte is replaced by the block itself, as H5Zlz4.c does.
        let stored: &[u8] = if written >= piece.len() { piece } else { &scratch[..written] };
        out.extend_from_slice(&(stored.len() as u32).to_be_bytes());
        out.extend_from_slice(stored);
    }
    Ok(out)
}

/// Reads the header: the decoded size (checked against the decode limit and what `src` can hold) and
/// the block size.
fn parse_header(src: &[u8]) -> Result<(usize, usize, &[u8])> {
    let (size, rest) = src.split_first_chunk::<8>().ok_or_else(|| Error::corrupt("hdf5 lz4: chunk shorter than its 12-byte header"))?;
    let (block, body) = rest.split_first_chunk::<4>().ok_or_else(|| Error::corrupt("hdf5 lz4: chunk shorter than its 12-byte header"))?;
    let size = check_decoded_size("hdf5 lz4", u64::from_be_bytes(*size))?;
    if size > body.len().saturating_mul(MAX_EXPANSION) {
        return Err(Error::corrupt(format!("hdf5 lz4: header records {size} bytes but {} bytes of blocks cannot hold that many", body.len())));
    }
    let block_size = (u32::from_be_bytes(*block) as usize).min(size);
    if block_size == 0 && size > 0 {
        return Err(Error::corrupt("hdf5 lz4: block size 0 for a non-empty chunk"));
    }
    Ok((size, block_size, body))
}

/// The decoded size recorded in the chunk header.
pub fn decoded_size(src: &[u8]) -> Result<usize> {
    Ok(parse_header(src)?.0)
}

/// Decodes a chunk written by `H5Zlz4.c`, hdf5plugin or [`encode`]. Bytes after the last block are
/// ignored, as `H5Zlz4.c` ignores them.
pub fn decode(src: &[u8]) -> Result<Vec<u8>> {
    let (size, block_size, mut body) = parse_header(src)?;
    let mut out = vec![0u8; size];
    for (index, target) in out.chunks_mut(block_size.max(1)).enumerate() {
        let (length, rest) = body
            .split_first_chunk::<4>()
            .ok_or_else(|| Error::corrupt(format!("hdf5 lz4: chunk ends before block {index}")))?;
        let length = u32::from_be_bytes(*length) as usize;
        let stored = rest
            .get(..length)
            .ok_or_else(|| Error::corrupt(format!("hdf5 lz4: block {index} records {length} bytes but only {} remain", rest.len())))?;
        if length == target.len() {
            target.copy_from_slice(stored);
        } else {
            decompress_block(stored, target).map_err(|e| e.context(&format!("hdf5 lz4: block {index}")))?;
        }
        body = &rest[length..];
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codecs::ErrorKind;

    fn sample(len: usize) -> Vec<u8> {
        (0..len).map(|i| ((i / 7) as u8) ^ ((i % 5) as u8)).collect()
    }

    fn noise(len: usize) -> Vec<u8> {
        let mut state = 0x2545_f491_u32;
        (0..len)
            .map(|_| {
                state ^= state << 13;
                state ^= state >> 17;
                state ^= state << 5;
                state as u8
            })
            .collect()
    }

    #[test]
    fn header_records_total_and_block_size() {
        let data = sample(10_000);
        let encoded = encode(&data, 4096).unwrap();
        assert_eq!(&encoded[..8], &10_000u64.to_be_bytes());
        assert_eq!(&encoded[8..12], &4096u32.to_be_bytes());
        // 3 blocks (4096, 4096, 1808), each with its 4-byte length.
        let first = u32::from_be_bytes(encoded[12..16].try_into().unwrap()) as usize;
        assert!(first < 4096);
        assert_eq!(decoded_size(&encoded).unwrap(), 10_000);
        assert_eq!(decode(&encoded).unwrap(), data);
        // Block size 0 means 1 GiB, capped at the chunk: one block of the whole chunk.
        let encoded = encode(&data, 0).unwrap();
        assert_eq!(&encoded[8..12], &10_000u32.to_be_bytes());
        assert_eq!(decode(&encoded).unwrap(), data);
    }

    #[test]
    fn incompressible_blocks_are_stored_raw() {
        let data = noise(5000);
        let encoded = encode(&data, 1000).unwrap();
        assert_eq!(encoded.len(), 12 + 5 * (4 + 1000));
        assert_eq!(&encoded[12..16], &1000u32.to_be_bytes());
        assert_eq!(&encoded[16..1016], &data[..1000]);
        assert_eq!(decode(&encoded).unwrap(), data);
    }

    #[test]
    fn round_trips_many_sizes() {
        for len in [0, 1, 2, 17, 4095, 4096, 4097, 100_000] {
            for block_size in [0, 1, 7, 4096, 1 << 20] {
                let mut data = sample(len);
                data.extend(noise(len / 3));
                let encoded = encode(&data, block_size).unwrap();
                assert_eq!(decode(&encoded).unwrap(), data, "{len} bytes, block size {block_size}");
            }
        }
    }

    #[test]
    fn hostile_chunks_are_errors() {
        let encoded = encode(&sample(10_000), 3000).unwrap();
        for cut in [0, 5, 11, 12, 15, 40, encoded.len() - 1] {
            assert_eq!(decode(&encoded[..cut]).unwrap_err().kind(), ErrorKind::CorruptData, "cut at {cut}");
        }
        // A block length pointing past the end, a garbled LZ4 block, block size 0.
        let mut bad = encoded.clone();
        bad[12..16].copy_from_slice(&u32::MAX.to_be_bytes());
        assert_eq!(decode(&bad).unwrap_err().kind(), ErrorKind::CorruptData);
        let mut bad = encoded.clone();
        for byte in &mut bad[16..40] {
            *byte = 0xff;
        }
        assert_eq!(decode(&bad).unwrap_err().kind(), ErrorKind::CorruptData);
        let mut bad = encoded.clone();
        bad[8..12].copy_from_slice(&0u32.to_be_bytes());
        assert_eq!(decode(&bad).unwrap_err().kind(), ErrorKind::CorruptData);
        // A huge claimed size is refused before allocating.
        let mut bad = encoded.clone();
        bad[..8].copy_from_slice(&u64::MAX.to_be_bytes());
        assert_eq!(decode(&bad).unwrap_err().kind(), ErrorKind::LimitExceeded);
        let mut bad = encoded;
        bad[..8].copy_from_slice(&(1u64 << 31).to_be_bytes());
        assert_eq!(decode(&bad).unwrap_err().kind(), ErrorKind::CorruptData);
    }

    #[test]
    fn trailing_bytes_are_ignored_like_h5zlz4() {
        let data = sample(3000);
        let mut encoded = encode(&data, 1024).unwrap();
        encoded.extend_from_slice(b"trailing");
        assert_eq!(decode(&encoded).unwrap(), data);
    }
}
