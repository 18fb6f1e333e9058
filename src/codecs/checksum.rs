//! The 32-bit checksum codecs of numcodecs 0.16.6: `crc32`, `adler32`, `crc32c` (numcodecs'
//! `checksum32.py`), `fletcher32` (`fletcher32.pyx`) and `jenkins_lookup3` (`checksum32.py` +
//! `jenkins.pyx`).
//!
//! All five write the payload unchanged plus a 4-byte little-endian checksum of it, at the start or at the
//! end, and decoding verifies the checksum and returns the payload; they differ only in the checksum
//! function and in their configuration keys:
//!
//! | id | keys (numcodecs' `get_config()`) | checksum at |
//! | --- | --- | --- |
//! | `crc32` | `location`, printed only when given | `"start"` by default |
//! | `adler32` | `location`, printed only when given | `"start"` by default |
//! | `crc32c` | `location`, printed only when given | `"end"` by default |
//! | `fletcher32` | none | end |
//! | `jenkins_lookup3` | `initval` (default `0`), `prefix` (always `null`) | end |
//!
//! numcodecs' `get_config()` prints an object's instance attributes; `Checksum32` keeps the default
//! location as a class attribute, so `{"id":"crc32"}` prints no location while `{"id":"crc32",
//! "location":"start"}` prints it. `JenkinsLookup3` stores `initval` as given (`1.5` stays `1.5`; Cython
//! truncates it toward zero when hashing, and refuses values outside `uint32_t` only then; we refuse them
//! at construction). Its `prefix` must be bytes-like (`np.frombuffer`) and would print as a NumPy array,
//! so the only value a JSON configuration can carry is `null`.
//!
//! Where numcodecs fails we do the right thing: its fletcher32 cannot encode or decode an empty chunk
//! (Cython's `&data[0]` on an empty memoryview raises `IndexError`); we write the 4-byte checksum of
//! nothing (0) and decode it back to nothing.

use serde_json::{Map, Value};

use super::{check_decoded_size, config_map, ArrayInfo, Codec, Constructor, Error, Params, Result};
use crate::simd::sums::{block_sums, Symbols, CHUNK, MAX_BLOCK};

/// Codec ids this module provides.
pub(super) const CODECS: &[(&str, Constructor)] = &[
    ("crc32", |params| Checksum32::from_params(Algorithm::Crc32, params)),
    ("adler32", |params| Checksum32::from_params(Algorithm::Adler32, params)),
    ("crc32c", |params| Checksum32::from_params(Algorithm::Crc32c, params)),
    ("fletcher32", |params| Checksum32::from_params(Algorithm::Fletcher32, params)),
    ("jenkins_lookup3", |params| Checksum32::from_params(Algorithm::JenkinsLookup3 { initval: 0 }, params)),
];

/// Bytes of the stored checksum.
const CHECKSUM_LEN: usize = 4;

/// Where the checksum goes, numcodecs' `location`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Location {
    Start,
    End,
}

/// The checksum function of each codec.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Algorithm {
    Crc32,
    Adler32,
    Crc32c,
    Fletcher32,
    JenkinsLookup3 { initval: u32 },
}

impl Algorithm {
    fn id(self) -> &'static str {
        match self {
            Algorithm::Crc32 => "crc32",
            Algorithm::Adler32 => "adler32",
            Algorithm::Crc32c => "crc32c",
            Algorithm::Fletcher32 => "fletcher32",
            Algorithm::JenkinsLookup3 { .. } => "jenkins_lookup3",
        }
    }

    /// numcodecs' class-level default location.
    fn default_location(self) -> Location {
        match self {
            Algorithm::Crc32 | Algorithm::Adler32 => Location::Start,
            Algorithm::Crc32c | Algorithm::Fletcher32 | Algorithm::JenkinsLookup3 { .. } => Location::End,
        }
    }

    /// Whether the codec takes a `location` key (the `Checksum32` subclasses do; fletcher32 and
    /// jenkins_lookup3 have their own constructors without it).
    fn has_location(self) -> bool {
        matches!(self, Algorithm::Crc32 | Algorithm::Adler32 | Algorithm::Crc32c)
    }

    #[cfg(test)]
    fn checksum(self, data: &[u8]) -> u32 {
        self.checksum_blocks(data, |_, _| ())
    }

    /// The checksum of `data`, handing each [`BLOCK_LEN`]-byte block (the last may be shorter) with its
    /// offset to `after_block` right after hashing it.
    ///
    /// The codecs copy the payload in `after_block`: the block is then still in L1, so the copy reads
    /// it from there and payload and checksum cost about one pass over memory instead of two (on a
    /// 4 MiB chunk, checksum-then-copy ran at 0.65 of memcpy, block by block at 0.95 with crc32).
    fn checksum_blocks(self, data: &[u8], mut after_block: impl FnMut(usize, &[u8])) -> u32 {
        // All blocks but the last go through update(); the last (1..=BLOCK_LEN bytes, or none) through
        // finish(), which is where lookup3 and Fletcher-32 treat their final bytes specially.
        let body_len = data.len().saturating_sub(1) / BLOCK_LEN * BLOCK_LEN;
        let (body, last) = data.split_at(body_len);
        let mut state = Running::new(self, data.len());
        for (i, block) in body.chunks_exact(BLOCK_LEN).enumerate() {
            state.update(block);
            after_block(i * BLOCK_LEN, block);
        }
        let checksum = state.finish(last);
        if !last.is_empty() {
            after_block(body_len, last);
        }
        checksum
    }
}

/// Bytes hashed between two copies of [`Algorithm::checksum_blocks`]: small enough to stay in L1, a
/// multiple of lookup3's 12-byte blocks, of Fletcher-32's 2-byte words and of the 32-byte chunks of
/// the Adler/Fletcher sums.
const BLOCK_LEN: usize = 15 * 1024;
const _: () = assert!(BLOCK_LEN % 12 == 0 && BLOCK_LEN % CHUNK == 0);

/// A checksum in progress: fed whole [`BLOCK_LEN`] blocks, then the rest.
enum Running {
    Crc32(crc32fast::Hasher),
    Crc32c(u32),
    Sums { pair: SumPair, sums: (u64, u64) },
    JenkinsLookup3 { a: u32, b: u32, c: u32 },
}

impl Running {
    /// `total_len`: lookup3 hashes the length in first.
    fn new(algorithm: Algorithm, total_len: usize) -> Running {
        match algorithm {
            Algorithm::Crc32 => Running::Crc32(crc32fast::Hasher::new()),
            Algorithm::Crc32c => Running::Crc32c(0),
            Algorithm::Adler32 => Running::Sums { pair: SumPair::Adler32, sums: SumPair::Adler32.start() },
            Algorithm::Fletcher32 => Running::Sums { pair: SumPair::Fletcher32, sums: SumPair::Fletcher32.start() },
            Algorithm::JenkinsLookup3 { initval } => {
                let start = lookup3_start(total_len, initval);
                Running::JenkinsLookup3 { a: start, b: start, c: start }
            }
        }
    }

    /// Adds a whole block of [`BLOCK_LEN`] bytes that is not the last of the data.
    fn update(&mut self, block: &[u8]) {
        match self {
            Running::Crc32(hasher) => hasher.update(block),
            Running::Crc32c(crc) => *crc = crc32c::crc32c_append(*crc, block),
            Running::Sums { pair, sums } => *sums = pair.update(*sums, block),
            Running::JenkinsLookup3 { a, b, c } => (*a, *b, *c) = lookup3_blocks(*a, *b, *c, block),
        }
    }

    /// Adds the last bytes (any length, empty only if the data is) and returns the checksum.
    fn finish(self, last: &[u8]) -> u32 {
        match self {
            Running::Crc32(mut hasher) => {
                hasher.update(last);
                hasher.finalize()
            }
            Running::Crc32c(crc) => crc32c::crc32c_append(crc, last),
            Running::Sums { pair, sums } => {
                let (s1, s2) = pair.update(sums, last);
                ((s2 as u32) << 16) | s1 as u32
            }
            Running::JenkinsLookup3 { a, b, c } => lookup3_finish(a, b, c, last),
        }
    }
}

/// One of the five checksum codecs: the payload plus a 4-byte little-endian checksum.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checksum32 {
    algorithm: Algorithm,
    location: Location,
    /// numcodecs' `get_config()`, built at construction (it echoes options as given).
    config: Map<String, Value>,
}

impl Checksum32 {
    fn from_params(algorithm: Algorithm, mut params: Params) -> Result<Box<dyn Codec>> {
        let id = algorithm.id();
        let mut location = algorithm.default_location();
        let mut config = config_map(id, []);
        let mut algorithm = algorithm;
        if algorithm.has_location() {
            // `Checksum32.__init__(location=None)`: None keeps the class default and is not printed.
            if let Some(given) = params.take("location") {
                location = match given.as_str() {
                    Some("start") => Location::Start,
                    Some("end") => Location::End,
                    _ => return Err(Error::invalid_config(format!("{id}: location must be \"start\" or \"end\", got {given}"))),
                };
                config.insert("location".into(), given);
            }
        }
        if let Algorithm::JenkinsLookup3 { .. } = algorithm {
            let given = params.take_raw("initval").unwrap_or(Value::from(0));
            let initval = uint32_like_cython(&given).ok_or_else(|| {
                Error::invalid_config(format!("{id}: initval must be an integer from 0 to 4294967295, got {given}"))
            })?;
            algorithm = Algorithm::JenkinsLookup3 { initval };
            // np.frombuffer(prefix) needs a bytes-like object, which JSON cannot hold.
            if params.take("prefix").is_some() {
                return Err(Error::invalid_config(format!("{id}: prefix must be null (numcodecs needs a bytes object, which JSON cannot hold)")));
            }
            config.insert("initval".into(), given);
            config.insert("prefix".into(), Value::Null);
        }
        params.finish()?;
        Ok(Box::new(Checksum32 { algorithm, location, config }))
    }

    /// Splits an encoded chunk into payload and stored checksum.
    fn split<'a>(&self, src: &'a [u8]) -> Result<(&'a [u8], u32)> {
        if src.len() < CHECKSUM_LEN {
            return Err(Error::corrupt(format!(
                "{}: {} bytes is too short to hold a {CHECKSUM_LEN}-byte checksum",
                self.algorithm.id(),
                src.len()
            )));
        }
        let (payload, stored) = match self.location {
            Location::Start => {
                let (stored, payload) = src.split_at(CHECKSUM_LEN);
                (payload, stored)
            }
            Location::End => src.split_at(src.len() - CHECKSUM_LEN),
        };
        Ok((payload, u32::from_le_bytes(stored.try_into().expect("4 bytes"))))
    }

    /// Copies the payload of `src` into `dst` (exactly its length) while checking its checksum; `dst`
    /// holds garbage when this fails.
    fn verify_into(&self, src: &[u8], dst: &mut [u8]) -> Result<()> {
        let (payload, stored) = self.split(src)?;
        let computed = self.algorithm.checksum_blocks(payload, |at, block| dst[at..at + block.len()].copy_from_slice(block));
        if computed != stored {
            return Err(Error::corrupt(format!(
                "{}: checksum mismatch, the data is corrupt (stored 0x{stored:08x}, computed 0x{computed:08x} over {} bytes)",
                self.algorithm.id(),
                payload.len()
            )));
        }
        Ok(())
    }
}

impl Codec for Checksum32 {
    fn codec_id(&self) -> &str {
        self.algorithm.id()
    }

    fn config(&self) -> Map<String, Value> {
        self.config.clone()
    }

    fn encode_bound(&self, src_len: usize, _info: &ArrayInfo) -> Result<usize> {
        src_len
            .checked_add(CHECKSUM_LEN)
            .filter(|&len| len <= isize::MAX as usize)
            .ok_or_else(|| Error::limit(format!("{}: {src_len} bytes plus a checksum overflow", self.algorithm.id())))
    }

    fn encode(&self, src: &[u8], info: &ArrayInfo) -> Result<Vec<u8>> {
        let mut out = vec![0u8; self.encode_bound(src.len(), info)?];
        self.encode_into(src, info, &mut out)?;
        Ok(out)
    }

    fn encode_into(&self, src: &[u8], info: &ArrayInfo, dst: &mut [u8]) -> Result<usize> {
        let len = self.encode_bound(src.len(), info)?;
        let capacity = dst.len();
        let dst = dst.get_mut(..len).ok_or_else(|| Error::buffer_too_small(len, capacity))?;
        let (checksum_room, payload_room) = match self.location {
            Location::Start => {
                let (checksum_room, payload_room) = dst.split_at_mut(CHECKSUM_LEN);
                (checksum_room, payload_room)
            }
            Location::End => {
                let (payload_room, checksum_room) = dst.split_at_mut(src.len());
                (checksum_room, payload_room)
            }
        };
        let checksum = self.algorithm.checksum_blocks(src, |at, block| payload_room[at..at + block.len()].copy_from_slice(block));
        checksum_room.copy_from_slice(&checksum.to_le_bytes());
        Ok(len)
    }

    fn decoded_size(&self, src: &[u8]) -> Result<usize> {
        let (payload, _) = self.split(src)?;
        check_decoded_size(self.algorithm.id(), payload.len() as u64)
    }

    fn decode(&self, src: &[u8]) -> Result<Vec<u8>> {
        let mut out = vec![0u8; self.decoded_size(src)?];
        self.verify_into(src, &mut out)?;
        Ok(out)
    }

    fn decode_into(&self, src: &[u8], dst: &mut [u8]) -> Result<usize> {
        let size = self.decoded_size(src)?;
        let capacity = dst.len();
        let room = dst.get_mut(..size).ok_or_else(|| Error::buffer_too_small(size, capacity))?;
        self.verify_into(src, room)?;
        Ok(size)
    }
}

/// Cython's conversion of a Python number to `uint32_t`: ints and bools, floats truncated toward zero
/// (`-0.5` -> 0, `4294967295.9` -> 4294967295), then range-checked.
fn uint32_like_cython(value: &Value) -> Option<u32> {
    match value {
        Value::Bool(b) => Some(u32::from(*b)),
        Value::Number(n) => match n.as_i64() {
            Some(i) => u32::try_from(i).ok(),
            None => n.as_f64().map(f64::trunc).filter(|t| (0.0..=u32::MAX as f64).contains(t)).map(|t| t as u32),
        },
        _ => None,
    }
}

// ---- adler32 and fletcher32 ---------------------------------------------------------------------------

/// Adler-32 and Fletcher-32: two running sums over a stream of symbols, `s1 += v; s2 += s1`, each
/// reduced modulo about 2^16, packed as `s2 << 16 | s1`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum SumPair {
    /// zlib's Adler-32 (`zlib.adler32(data)`): bytes, modulo 65521, `s1` starting at 1.
    Adler32,
    /// HDF5's Fletcher-32 (`H5_checksum_fletcher32`, numcodecs' `_fletcher32`): big-endian 16-bit words,
    /// a trailing odd byte as the high half of a last word, ones' complement sums (see [`fletcher_reduce`]).
    Fletcher32,
}

/// The Adler-32 modulus.
const ADLER_BASE: u64 = 65521;

/// Bytes per call of [`block_sums`]: the most whole chunks it takes.
const SUMS_BLOCK_LEN: usize = MAX_BLOCK / CHUNK * CHUNK;

impl SumPair {
    fn start(self) -> (u64, u64) {
        match self {
            SumPair::Adler32 => (1, 0),
            SumPair::Fletcher32 => (0, 0),
        }
    }

    fn symbols(self) -> Symbols {
        match self {
            SumPair::Adler32 => Symbols::Bytes,
            SumPair::Fletcher32 => Symbols::BigEndianWords,
        }
    }

    fn reduce(self, x: u64) -> u64 {
        match self {
            SumPair::Adler32 => x % ADLER_BASE,
            SumPair::Fletcher32 => fletcher_reduce(x),
        }
    }

    /// Adds `data` to the reduced sums `(s1, s2)` and returns them reduced; only the last call may pass
    /// an odd length (Fletcher-32's words).
    ///
    /// Whole chunks go through [`block_sums`] (SIMD), [`SUMS_BLOCK_LEN`] bytes at a time: with
    /// `count` symbols in a block, `s1 += total` and `s2 += count * s1 + m * before + weighted` (see
    /// `crate::simd::sums`); the symbols of a last partial chunk one by one.
    fn update(self, (mut s1, mut s2): (u64, u64), data: &[u8]) -> (u64, u64) {
        let symbols = self.symbols();
        let bytes_per_symbol = CHUNK as u64 / symbols.per_chunk();
        for block in data.chunks(SUMS_BLOCK_LEN) {
            let whole = block.len() / CHUNK * CHUNK;
            let sums = block_sums(&block[..whole], symbols);
            let count = whole as u64 / bytes_per_symbol;
            s2 = self.reduce(s2 + count * s1 + symbols.per_chunk() * sums.before + sums.weighted);
            s1 = self.reduce(s1 + sums.total);
            let mut add = |v: u64| {
                s1 += v;
                s2 += s1;
            };
            match symbols {
                Symbols::Bytes => block[whole..].iter().for_each(|&byte| add(u64::from(byte))),
                // A last odd byte counts as the high byte of a word whose low byte is 0.
                Symbols::BigEndianWords => block[whole..].chunks(2).for_each(|w| add(u64::from(w[0]) << 8 | u64::from(w.get(1).copied().unwrap_or(0)))),
            }
        }
        (self.reduce(s1), self.reduce(s2))
    }
}

/// The Fletcher-32 modulus (ones' complement 16-bit sums).
const FLETCHER_MOD: u64 = 65535;

/// Reduces modulo 65535 the way HDF5's end-around-carry folding does: zero stays zero, any other value
/// lands in 1..=65535 (the folds never turn a non-zero sum into 0, so 65535 stands for "0 mod 65535").
///
/// HDF5 folds the sums every 360 words; folding keeps them congruent modulo 65535 and non-zero once
/// non-zero, and the final two folds bring each into 0..=65535, so reducing after any number of words
/// gives the same bits.
fn fletcher_reduce(x: u64) -> u64 {
    if x == 0 {
        0
    } else {
        (x - 1) % FLETCHER_MOD + 1
    }
}

// ---- jenkins lookup3 ----------------------------------------------------------------------------------

/// Bob Jenkins' `hashlittle` from lookup3.c, as HDF5's `H5_checksum_lookup3` and numcodecs'
/// `jenkins_lookup3` compute it (byte-wise little-endian words, so the same on any machine) starts
/// with `a = b = c = lookup3_start(len, initval)`, mixes every 12-byte block but the last
/// ([`lookup3_blocks`]) and ends in [`lookup3_finish`].
fn lookup3_start(len: usize, initval: u32) -> u32 {
    // The length enters as a uint32_t, so lengths of 4 GiB and more wrap, as in C.
    0xdead_beef_u32.wrapping_add(len as u32).wrapping_add(initval)
}

fn lookup3_word(bytes: &[u8]) -> u32 {
    u32::from_le_bytes(bytes.try_into().expect("4 bytes"))
}

/// Mixes the 12-byte blocks of `blocks` (a multiple of 12 bytes, none of them the data's last block).
///
/// This is as fast as lookup3 goes: each mix() needs the `a`, `b`, `c` of the one before, and its 18
/// add/sub/xor-rotate steps form one dependency chain (each step reads the register the previous one
/// wrote), so 12 bytes take about 12-18 cycles whatever the instruction set; no lanes to vectorise, no
/// blocks to hash independently. Measured: 3.3 GB/s on the 4 MiB benchmark chunk hashed alone, about a
/// fifth of memcpy there, so jenkins_lookup3 cannot reach issue 3's half of memcpy.
fn lookup3_blocks(mut a: u32, mut b: u32, mut c: u32, blocks: &[u8]) -> (u32, u32, u32) {
    for block in blocks.chunks_exact(12) {
        a = a.wrapping_add(lookup3_word(&block[0..4]));
        b = b.wrapping_add(lookup3_word(&block[4..8]));
        c = c.wrapping_add(lookup3_word(&block[8..12]));
        (a, b, c) = lookup3_mix(a, b, c);
    }
    (a, b, c)
}

/// Hashes `last`, the end of the data (empty only if the data is): all but its last 1..=12 bytes
/// through mix(), those zero-padded through final().
fn lookup3_finish(a: u32, b: u32, c: u32, last: &[u8]) -> u32 {
    if last.is_empty() {
        return c;
    }
    let last_len = (last.len() - 1) % 12 + 1;
    let (body, last) = last.split_at(last.len() - last_len);
    let (a, b, c) = lookup3_blocks(a, b, c, body);
    let mut padded = [0u8; 12];
    padded[..last.len()].copy_from_slice(last);
    lookup3_final(
        a.wrapping_add(lookup3_word(&padded[0..4])),
        b.wrapping_add(lookup3_word(&padded[4..8])),
        c.wrapping_add(lookup3_word(&padded[8..12])),
    )
}

fn lookup3_mix(mut a: u32, mut b: u32, mut c: u32) -> (u32, u32, u32) {
    a = a.wrapping_sub(c);
    a ^= c.rotate_left(4);
    c = c.wrapping_add(b);
    b = b.wrapping_sub(a);
    b ^= a.rotate_left(6);
    a = a.wrapping_add(c);
    c = c.wrapping_sub(b);
    c ^= b.rotate_left(8);
    b = b.wrapping_add(a);
    a = a.wrapping_sub(c);
    a ^= c.rotate_left(16);
    c = c.wrapping_add(b);
    b = b.wrapping_sub(a);
    b ^= a.rotate_left(19);
    a = a.wrapping_add(c);
    c = c.wrapping_sub(b);
    c ^= b.rotate_left(4);
    b = b.wrapping_add(a);
    (a, b, c)
}

fn lookup3_final(mut a: u32, mut b: u32, mut c: u32) -> u32 {
    c ^= b;
    c = c.wrapping_sub(b.rotate_left(14));
    a ^= c;
    a = a.wrapping_sub(c.rotate_left(11));
    b ^= a;
    b = b.wrapping_sub(a.rotate_left(25));
    c ^= b;
    c = c.wrapping_sub(b.rotate_left(16));
    a ^= c;
    a = a.wrapping_sub(c.rotate_left(4));
    b ^= a;
    b = b.wrapping_sub(a.rotate_left(14));
    c ^= b;
    c = c.wrapping_sub(b.rotate_left(24));
    c
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codecs::{codec_from_json, ErrorKind};

    const FOUR_SCORE: &[u8] = b"Four score and seven years ago";

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

    fn codec(json: &str) -> Box<dyn Codec> {
        codec_from_json(json).unwrap_or_else(|e| panic!("{json}: {e}"))
    }

    /// zlib's definition, one byte at a time.
    fn adler32_bytewise(data: &[u8]) -> u32 {
        let (mut a, mut b) = (1u32, 0u32);
        for &x in data {
            a = (a + u32::from(x)) % ADLER_BASE as u32;
            b = (b + a) % ADLER_BASE as u32;
        }
        b << 16 | a
    }

    /// numcodecs' `_fletcher32` (HDF5's H5_checksum_fletcher32), transcribed loop for loop.
    fn fletcher32_hdf5(data: &[u8]) -> u32 {
        let (mut sum1, mut sum2) = (0u32, 0u32);
        let mut len = data.len() / 2;
        let mut p = 0;
        while len > 0 {
            let mut tlen = len.min(360);
            len -= tlen;
            loop {
                sum1 += u32::from(data[p]) << 8 | u32::from(data[p + 1]);
                p += 2;
                sum2 += sum1;
                tlen -= 1;
                if tlen < 1 {
                    break;
                }
            }
            sum1 = (sum1 & 0xffff) + (sum1 >> 16);
            sum2 = (sum2 & 0xffff) + (sum2 >> 16);
        }
        if data.len() % 2 == 1 {
            sum1 += u32::from(data[p]) << 8;
            sum2 += sum1;
            sum1 = (sum1 & 0xffff) + (sum1 >> 16);
            sum2 = (sum2 & 0xffff) + (sum2 >> 16);
        }
        sum1 = (sum1 & 0xffff) + (sum1 >> 16);
        sum2 = (sum2 & 0xffff) + (sum2 >> 16);
        sum2 << 16 | sum1
    }

    #[test]
    fn checksums_match_published_and_numcodecs_values() {
        // CRC check values from the CRC catalogue; lookup3 values from lookup3.c's driver5();
        // the rest is what numcodecs 0.16.6 writes for FOUR_SCORE.
        assert_eq!(Algorithm::Crc32.checksum(b"123456789"), 0xCBF4_3926);
        assert_eq!(Algorithm::Crc32c.checksum(b"123456789"), 0xE306_9283);
        assert_eq!(Algorithm::Adler32.checksum(b"Wikipedia"), 0x11E6_0398);
        assert_eq!(Algorithm::JenkinsLookup3 { initval: 0 }.checksum(b""), 0xdead_beef);
        assert_eq!(Algorithm::JenkinsLookup3 { initval: 0 }.checksum(FOUR_SCORE), 0x1777_0551);
        assert_eq!(Algorithm::JenkinsLookup3 { initval: 1 }.checksum(FOUR_SCORE), 0xcd62_8161);
        assert_eq!(Algorithm::Fletcher32.checksum(FOUR_SCORE), 0x4d63_ac65);
        assert_eq!(Algorithm::Crc32c.checksum(FOUR_SCORE), 0xa3e9_8c0d);
        assert_eq!(Algorithm::Adler32.checksum(FOUR_SCORE), 0xaa6d_0b08);
        assert_eq!(Algorithm::Crc32.checksum(FOUR_SCORE), 0x3cfe_93b8);
        // Words of 0xffff are 0 modulo 65535, but HDF5's folding keeps a non-zero sum non-zero.
        assert_eq!(Algorithm::Fletcher32.checksum(b"\xff\xff\xff\xff\xff\xff\x01"), 0x0100_0100);
        assert_eq!(Algorithm::Fletcher32.checksum(&[0xff; 2]), 0xffff_ffff);
        assert_eq!(Algorithm::Fletcher32.checksum(&[0; 1000]), 0);
    }

    #[test]
    fn sums_equal_the_byte_loops_at_every_length() {
        // Lengths around the lane, block and NMAX boundaries, and data that maximises the sums.
        let data = noise(200_000);
        let ones = vec![0xffu8; 200_000];
        let mut lengths: Vec<usize> = (0..300).collect();
        for edge in [SUMS_BLOCK_LEN, 2 * SUMS_BLOCK_LEN, BLOCK_LEN, 2 * BLOCK_LEN, 100_000] {
            lengths.extend(edge - 33..edge + 33);
        }
        lengths.push(200_000);
        for len in lengths {
            for source in [&data, &ones] {
                let bytes = &source[..len];
                assert_eq!(Algorithm::Adler32.checksum(bytes), adler32_bytewise(bytes), "adler32 of {len} bytes");
                assert_eq!(Algorithm::Fletcher32.checksum(bytes), fletcher32_hdf5(bytes), "fletcher32 of {len} bytes");
            }
        }
        // 0xffff words make every HDF5 partial sum land on 0xffff rather than 0.
        for len in [2, 720, 721, 722, 50_000, 50_001] {
            assert_eq!(Algorithm::Fletcher32.checksum(&ones[..len]), fletcher32_hdf5(&ones[..len]), "{len} bytes of 0xff");
        }
    }

    /// lookup3.c's `hashlittle` in one pass: every 12-byte block but the last through mix(), the last
    /// 1..=12 bytes zero-padded through final().
    fn lookup3_one_pass(data: &[u8], initval: u32) -> u32 {
        let start = 0xdead_beef_u32.wrapping_add(data.len() as u32).wrapping_add(initval);
        let (mut a, mut b, mut c) = (start, start, start);
        if data.is_empty() {
            return c;
        }
        let mut rest = data;
        let word = |bytes: &[u8], i: usize| bytes.get(i..i + 4).map_or_else(
            || bytes.iter().skip(i).take(4).enumerate().fold(0, |w, (k, &x)| w | u32::from(x) << (8 * k)),
            |w| u32::from_le_bytes(w.try_into().unwrap()),
        );
        while rest.len() > 12 {
            (a, b, c) = lookup3_mix(a.wrapping_add(word(rest, 0)), b.wrapping_add(word(rest, 4)), c.wrapping_add(word(rest, 8)));
            rest = &rest[12..];
        }
        lookup3_final(a.wrapping_add(word(rest, 0)), b.wrapping_add(word(rest, 4)), c.wrapping_add(word(rest, 8)))
    }

    #[test]
    fn block_by_block_checksums_equal_one_pass_ones() {
        // checksum_blocks() cuts the data into BLOCK_LEN blocks; lengths around their edges, and the
        // blocks it hands out must tile the data.
        let data = noise(5 * BLOCK_LEN + 100);
        let mut lengths: Vec<usize> = (0..40).collect();
        for edge in [BLOCK_LEN, 2 * BLOCK_LEN, 4 * BLOCK_LEN] {
            lengths.extend(edge - 13..edge + 13);
        }
        lengths.push(data.len());
        for len in lengths {
            let bytes = &data[..len];
            assert_eq!(Algorithm::Crc32.checksum(bytes), crc32fast::hash(bytes), "crc32 of {len} bytes");
            assert_eq!(Algorithm::Crc32c.checksum(bytes), crc32c::crc32c(bytes), "crc32c of {len} bytes");
            for initval in [0, 0x9e37_79b9] {
                let algorithm = Algorithm::JenkinsLookup3 { initval };
                assert_eq!(algorithm.checksum(bytes), lookup3_one_pass(bytes, initval), "lookup3 of {len} bytes");
            }
            for algorithm in [Algorithm::Crc32, Algorithm::Adler32, Algorithm::Crc32c, Algorithm::Fletcher32, Algorithm::JenkinsLookup3 { initval: 3 }] {
                let mut copy = vec![0u8; len];
                let mut next = 0;
                let checksum = algorithm.checksum_blocks(bytes, |at, block| {
                    assert_eq!(at, next, "{algorithm:?}: blocks in order, without gaps");
                    copy[at..at + block.len()].copy_from_slice(block);
                    next = at + block.len();
                });
                assert_eq!((checksum, &copy[..]), (algorithm.checksum(bytes), bytes), "{algorithm:?} of {len} bytes");
            }
        }
    }

    #[test]
    fn configs_print_as_numcodecs_prints_them() {
        let cases = [
            (r#"{"id":"crc32"}"#, r#"{"id":"crc32"}"#),
            (r#"{"id":"crc32","location":null}"#, r#"{"id":"crc32"}"#),
            (r#"{"id":"crc32","location":"start"}"#, r#"{"id":"crc32","location":"start"}"#),
            (r#"{"id":"adler32","location":"end"}"#, r#"{"id":"adler32","location":"end"}"#),
            (r#"{"id":"crc32c"}"#, r#"{"id":"crc32c"}"#),
            (r#"{"id":"fletcher32"}"#, r#"{"id":"fletcher32"}"#),
            (r#"{"id":"jenkins_lookup3"}"#, r#"{"id":"jenkins_lookup3","initval":0,"prefix":null}"#),
            (r#"{"id":"jenkins_lookup3","prefix":null,"initval":7}"#, r#"{"id":"jenkins_lookup3","initval":7,"prefix":null}"#),
            (r#"{"id":"jenkins_lookup3","initval":-0.5}"#, r#"{"id":"jenkins_lookup3","initval":-0.5,"prefix":null}"#),
            (r#"{"id":"jenkins_lookup3","initval":true}"#, r#"{"id":"jenkins_lookup3","initval":true,"prefix":null}"#),
            (r#"{"name":"crc32c","configuration":{"location":"start"}}"#, r#"{"id":"crc32c","location":"start"}"#),
        ];
        for (given, printed) in cases {
            assert_eq!(codec(given).config_json(), printed, "{given}");
        }
        let refused = [
            r#"{"id":"crc32","location":"middle"}"#,
            r#"{"id":"crc32","location":"START"}"#,
            r#"{"id":"adler32","location":1}"#,
            r#"{"id":"crc32c","checksum":true}"#,
            r#"{"id":"fletcher32","location":"end"}"#,
            r#"{"id":"jenkins_lookup3","location":"end"}"#,
            r#"{"id":"jenkins_lookup3","initval":-1}"#,
            r#"{"id":"jenkins_lookup3","initval":-1.5}"#,
            r#"{"id":"jenkins_lookup3","initval":4294967296}"#,
            r#"{"id":"jenkins_lookup3","initval":null}"#,
            r#"{"id":"jenkins_lookup3","initval":"1"}"#,
            r#"{"id":"jenkins_lookup3","prefix":"abc"}"#,
            r#"{"id":"jenkins_lookup3","prefix":[1,2]}"#,
        ];
        for json in refused {
            assert_eq!(codec_from_json(json).unwrap_err().kind(), ErrorKind::InvalidConfig, "{json}");
        }
    }

    #[test]
    fn initval_is_truncated_like_cython() {
        let data = noise(100);
        let hash = |json: &str| codec(json).encode(&data, &ArrayInfo::default()).unwrap();
        assert_eq!(hash(r#"{"id":"jenkins_lookup3","initval":1.9}"#), hash(r#"{"id":"jenkins_lookup3","initval":1}"#));
        assert_eq!(hash(r#"{"id":"jenkins_lookup3","initval":true}"#), hash(r#"{"id":"jenkins_lookup3","initval":1}"#));
        assert_eq!(hash(r#"{"id":"jenkins_lookup3","initval":-0.5}"#), hash(r#"{"id":"jenkins_lookup3"}"#));
        assert_eq!(hash(r#"{"id":"jenkins_lookup3","initval":4294967295.9}"#), hash(r#"{"id":"jenkins_lookup3","initval":4294967295}"#));
        assert_ne!(hash(r#"{"id":"jenkins_lookup3","initval":2}"#), hash(r#"{"id":"jenkins_lookup3","initval":1}"#));
    }

    #[test]
    fn checksum_goes_where_location_says() {
        let data = noise(1001);
        let info = ArrayInfo::default();
        for (json, at_start) in [
            (r#"{"id":"crc32"}"#, true),
            (r#"{"id":"crc32","location":"end"}"#, false),
            (r#"{"id":"adler32"}"#, true),
            (r#"{"id":"adler32","location":"end"}"#, false),
            (r#"{"id":"crc32c"}"#, false),
            (r#"{"id":"crc32c","location":"start"}"#, true),
            (r#"{"id":"fletcher32"}"#, false),
            (r#"{"id":"jenkins_lookup3"}"#, false),
        ] {
            let codec = codec(json);
            let encoded = codec.encode(&data, &info).unwrap();
            assert_eq!(encoded.len(), data.len() + 4);
            let payload = if at_start { &encoded[4..] } else { &encoded[..data.len()] };
            assert_eq!(payload, &data[..], "{json}");
            assert_eq!(codec.decoded_size(&encoded).unwrap(), data.len());
            assert_eq!(codec.decode(&encoded).unwrap(), data);
        }
    }

    #[test]
    fn damaged_chunks_are_refused_with_a_message() {
        let info = ArrayInfo::default();
        for id in ["crc32", "adler32", "crc32c", "fletcher32", "jenkins_lookup3"] {
            for location in ["start", "end"] {
                let json = if matches!(id, "fletcher32" | "jenkins_lookup3") {
                    if location == "start" {
                        continue;
                    }
                    format!(r#"{{"id":"{id}"}}"#)
                } else {
                    format!(r#"{{"id":"{id}","location":"{location}"}}"#)
                };
                let codec = codec(&json);
                let data = noise(777);
                let encoded = codec.encode(&data, &info).unwrap();
                // Every single-bit flip, in the payload or in the stored checksum, is caught.
                for bit in (0..encoded.len() * 8).step_by(5) {
                    let mut damaged = encoded.clone();
                    damaged[bit / 8] ^= 1 << (bit % 8);
                    let err = codec.decode(&damaged).unwrap_err();
                    assert_eq!(err.kind(), ErrorKind::CorruptData, "{json} bit {bit}");
                    assert!(err.message().contains("checksum mismatch"), "{json}: {}", err.message());
                    let mut dst = vec![0u8; data.len()];
                    assert_eq!(codec.decode_into(&damaged, &mut dst).unwrap_err().kind(), ErrorKind::CorruptData);
                }
                // Too short to hold a checksum (numcodecs raises ValueError, or fails to index for
                // fletcher32/jenkins_lookup3).
                for short in 0..4 {
                    let err = codec.decode(&encoded[..short]).unwrap_err();
                    assert_eq!(err.kind(), ErrorKind::CorruptData, "{json}: {short} bytes");
                    assert_eq!(codec.decoded_size(&encoded[..short]).unwrap_err().kind(), ErrorKind::CorruptData);
                }
            }
        }
    }

    #[test]
    fn empty_chunks_round_trip_fletcher32_included() {
        // numcodecs 0.16.6's fletcher32 raises IndexError both encoding b"" and decoding its 4-byte
        // checksum (Cython's &data[0] on an empty memoryview). The checksum of nothing is 0 (both sums
        // start at 0); we write it and decode it back to an empty chunk.
        let info = ArrayInfo::default();
        let fletcher = codec(r#"{"id":"fletcher32"}"#);
        assert_eq!(fletcher.encode(&[], &info).unwrap(), [0, 0, 0, 0]);
        assert_eq!(fletcher.decode(&[0, 0, 0, 0]).unwrap(), Vec::<u8>::new());
        assert_eq!(fletcher.decode(&[1, 0, 0, 0]).unwrap_err().kind(), ErrorKind::CorruptData);
        for id in ["crc32", "adler32", "crc32c", "jenkins_lookup3"] {
            let codec = codec(&format!(r#"{{"id":"{id}"}}"#));
            let encoded = codec.encode(&[], &info).unwrap();
            assert_eq!(encoded.len(), 4);
            assert_eq!(codec.decoded_size(&encoded).unwrap(), 0);
            assert_eq!(codec.decode_into(&encoded, &mut []).unwrap(), 0);
        }
    }

    #[test]
    fn into_buffers_report_exact_sizes() {
        let info = ArrayInfo::default();
        let data = noise(500);
        for json in [r#"{"id":"crc32"}"#, r#"{"id":"crc32c"}"#] {
            let codec = codec(json);
            let encoded = codec.encode(&data, &info).unwrap();
            let mut small = vec![0u8; encoded.len() - 1];
            let err = codec.encode_into(&data, &info, &mut small).unwrap_err();
            assert_eq!((err.kind(), err.needed()), (ErrorKind::BufferTooSmall, Some(encoded.len())));
            let mut roomy = vec![0xAAu8; encoded.len() + 10];
            assert_eq!(codec.encode_into(&data, &info, &mut roomy).unwrap(), encoded.len());
            assert_eq!(&roomy[..encoded.len()], &encoded[..]);
            assert!(roomy[encoded.len()..].iter().all(|&b| b == 0xAA));
            let mut short = vec![0u8; data.len() - 1];
            let err = codec.decode_into(&encoded, &mut short).unwrap_err();
            assert_eq!((err.kind(), err.needed()), (ErrorKind::BufferTooSmall, Some(data.len())));
        }
    }
}

