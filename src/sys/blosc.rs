//! A small safe API over c-blosc 1.21 (the `blosc-src` crate): context-based compression and
//! decompression, `blosc_getitem`, and the 16-byte header.
//!
//! Every function that hands a buffer to blosc validates the header first, in Rust, so that blosc only
//! ever sees a buffer whose recorded compressed size (`cbytes`) lies within the slice and whose
//! decompressed size (`nbytes`) fits the destination. c-blosc itself trusts those header fields.
//!
//! Only the `_ctx` entry points are used: they keep all state on the stack, so they are safe to call from
//! any number of threads at once, and never touch blosc's global context (which numcodecs guards with
//! a process-wide lock).

use std::ffi::{c_char, c_int, c_void, CStr};
use std::sync::Once;

use crate::codecs::{Error, Result};

/// Bytes of the blosc header (`BLOSC_MAX_OVERHEAD`): blosc output is at most this much larger than its input.
pub(crate) const MAX_OVERHEAD: usize = blosc_src::BLOSC_MAX_OVERHEAD as usize;
/// Largest input blosc compresses (`BLOSC_MAX_BUFFERSIZE`, `INT_MAX - 16`).
pub(crate) const MAX_BUFFERSIZE: usize = blosc_src::BLOSC_MAX_BUFFERSIZE as usize;
/// Most internal threads blosc accepts (`BLOSC_MAX_THREADS`).
pub(crate) const MAX_THREADS: i32 = blosc_src::BLOSC_MAX_THREADS as i32;
/// The only header format version c-blosc 1.x reads (`BLOSC_VERSION_FORMAT`).
const VERSION_FORMAT: u8 = blosc_src::BLOSC_VERSION_FORMAT as u8;

/// Header flag bits (`BLOSC_DOSHUFFLE`, `BLOSC_MEMCPYED`, `BLOSC_DOBITSHUFFLE`).
pub(crate) const FLAG_SHUFFLE: u8 = blosc_src::BLOSC_DOSHUFFLE as u8;
pub(crate) const FLAG_MEMCPYED: u8 = blosc_src::BLOSC_MEMCPYED as u8;
pub(crate) const FLAG_BITSHUFFLE: u8 = blosc_src::BLOSC_DOBITSHUFFLE as u8;
/// Flag bit 3, reserved: blosc 1.x refuses buffers that set it.
const FLAG_FUTURE: u8 = 0x08;
/// Largest block size blosc decompresses (`BLOSC_MAX_BLOCKSIZE`).
const MAX_BLOCKSIZE: usize = blosc_src::BLOSC_MAX_BLOCKSIZE as usize;

/// blosc_compress_ctx dereferences blosc's global mutex (it unlocks it on return), which only exists
/// after `blosc_init()`; numcodecs calls it when the module is imported. Nothing else global is used.
fn ensure_init() {
    static INIT: Once = Once::new();
    // SAFETY: blosc_init has no preconditions; Once makes it run exactly once.
    INIT.call_once(|| unsafe { blosc_src::blosc_init() });
}

/// The fixed 16-byte header at the start of every blosc 1.x buffer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Header {
    /// Format version (byte 0); c-blosc 1.x writes and reads only 2.
    pub version: u8,
    /// Version of the internal compressor's format (byte 1).
    pub versionlz: u8,
    /// Flags (byte 2): shuffle, memcpyed, bitshuffle, don't-split, and the compressor code in bits 5-7.
    pub flags: u8,
    /// Element size used for shuffling (byte 3).
    pub typesize: u8,
    /// Decompressed size (bytes 4-7), as blosc reads it: a signed little-endian int32.
    pub nbytes: i32,
    /// Block size (bytes 8-11).
    pub blocksize: i32,
    /// Total compressed size including this header (bytes 12-15).
    pub cbytes: i32,
}

impl Header {
    /// Reads the header fields without judging them; fails only when `src` is shorter than a header.
    pub(crate) fn read(src: &[u8]) -> Result<Header> {
        let Some(header) = src.get(..MAX_OVERHEAD) else {
            return Err(Error::corrupt(format!(
                "blosc: {} bytes is shorter than the {MAX_OVERHEAD}-byte blosc header",
                src.len()
            )));
        };
        let int32 = |at: usize| i32::from_le_bytes([header[at], header[at + 1], header[at + 2], header[at + 3]]);
        Ok(Header {
            version: header[0],
            versionlz: header[1],
            flags: header[2],
            typesize: header[3],
            nbytes: int32(4),
            blocksize: int32(8),
            cbytes: int32(12),
        })
    }

    /// Reads the header and checks what blosc relies on without checking: a known format version,
    /// non-negative sizes within blosc's limits, and a recorded compressed size that lies within
    /// `src` (trailing bytes after it are ignored, as blosc and numcodecs ignore them).
    pub(crate) fn validate(src: &[u8]) -> Result<Header> {
        let header = Self::read(src)?;
        if header.version != VERSION_FORMAT {
            return Err(Error::corrupt(format!(
                "blosc: unsupported header format version {} (c-blosc 1.x reads version {VERSION_FORMAT})",
                header.version
            )));
        }
        let nbytes = usize::try_from(header.nbytes).ok().filter(|&n| n <= MAX_BUFFERSIZE);
        if nbytes.is_none() {
            return Err(Error::corrupt(format!("blosc: header records an impossible decompressed size {}", header.nbytes)));
        }
        let cbytes = usize::try_from(header.cbytes).ok().filter(|&c| c >= MAX_OVERHEAD);
        let cbytes = match cbytes {
            None => return Err(Error::corrupt(format!("blosc: header records an impossible compressed size {}", header.cbytes))),
            Some(cbytes) if cbytes > src.len() => {
                return Err(Error::corrupt(format!(
                    "blosc: header records {cbytes} compressed bytes but only {} are present (truncated?)",
                    src.len()
                )))
            }
            Some(cbytes) => cbytes,
        };
        header.check_layout(cbytes)?;
        Ok(header)
    }

    /// The structural checks blosc's decompressor makes (blosc_run_decompression_with_context), made
    /// here too so that a short hostile header is refused before anyone allocates its `nbytes`.
    fn check_layout(&self, cbytes: usize) -> Result<()> {
        let nbytes = self.nbytes();
        if nbytes == 0 {
            return Ok(());
        }
        let bad = |what: &str| Err(Error::corrupt(format!("blosc: invalid header: {what}")));
        if self.typesize == 0 {
            return bad("typesize 0");
        }
        if self.flags & FLAG_FUTURE != 0 {
            return bad("flags from a newer blosc format");
        }
        let blocksize = match usize::try_from(self.blocksize) {
            Ok(b) if b > 0 && b <= nbytes && b <= MAX_BLOCKSIZE => b,
            _ => return bad("block size out of range"),
        };
        if self.flags & FLAG_MEMCPYED != 0 {
            if cbytes != nbytes + MAX_OVERHEAD {
                return bad("stored (memcpyed) buffer whose sizes disagree");
            }
        } else if nbytes.div_ceil(blocksize) > (cbytes - MAX_OVERHEAD) / 4 {
            return bad("more blocks than the compressed size can index");
        }
        Ok(())
    }

    /// The decompressed size; only meaningful after [`Header::validate`].
    pub(crate) fn nbytes(&self) -> usize {
        usize::try_from(self.nbytes).unwrap_or(0)
    }
}

/// `blosc_list_compressors()`: the compressors compiled in, comma-separated, e.g. `"blosclz,lz4,lz4hc,zlib,zstd"`.
pub(crate) fn list_compressors() -> &'static str {
    // SAFETY: returns a pointer to a static NUL-terminated buffer, filled once and never freed. The first
    // call writes it; Once serializes that first call so no thread reads it while it is being written.
    static LIST: std::sync::OnceLock<&'static str> = std::sync::OnceLock::new();
    LIST.get_or_init(|| {
        let ptr = unsafe { blosc_src::blosc_list_compressors() };
        // SAFETY: non-NULL static string (see above); blosc writes only ASCII names into it.
        let list = unsafe { CStr::from_ptr(ptr) };
        list.to_str().unwrap_or("")
    })
}

/// `blosc_compress_ctx` with one internal thread (blosc's multi-threaded compression is not deterministic).
///
/// `dst.len()` is passed as blosc's `destsize`, which changes the output when it is below
/// `src.len() + MAX_OVERHEAD` (blosc then gives up on blocks it would otherwise store), so callers that
/// want numcodecs' bytes pass exactly that many. Returns the compressed length, or an error when blosc
/// fails or the output does not fit.
pub(crate) fn compress(clevel: i32, shuffle: i32, typesize: usize, src: &[u8], dst: &mut [u8], cname: &CStr, blocksize: usize) -> Result<usize> {
    if src.len() > MAX_BUFFERSIZE {
        return Err(Error::limit(format!("blosc: cannot compress {} bytes (the maximum is {MAX_BUFFERSIZE})", src.len())));
    }
    if typesize == 0 {
        // c-blosc 1.21.6 divides by the typesize; numcodecs' bundled 1.21.7 refuses it.
        return Err(Error::invalid_argument("blosc: typesize must be at least 1"));
    }
    // blosc stores destsize in an int32; clamp so a huge destination never wraps negative. src.len() +
    // MAX_OVERHEAD <= INT_MAX, so the clamp never reduces a destination that was large enough.
    let destsize = dst.len().min(i32::MAX as usize);
    ensure_init();
    // SAFETY: src is readable for src.len() bytes and dst writable for destsize <= dst.len() bytes; blosc
    // writes at most destsize bytes. cname is NUL-terminated. One internal thread: no thread pool.
    let written = unsafe {
        blosc_src::blosc_compress_ctx(
            clevel as c_int,
            shuffle as c_int,
            typesize,
            src.len(),
            src.as_ptr().cast::<c_void>(),
            dst.as_mut_ptr().cast::<c_void>(),
            destsize,
            cname.as_ptr() as *const c_char,
            blocksize,
            1,
        )
    };
    match written {
        n if n > 0 => Ok(n as usize),
        0 => Err(Error::buffer_too_small_unknown(dst.len())),
        code => Err(Error::invalid_argument(format!("blosc: compression failed with code {code}"))),
    }
}

/// `blosc_decompress_ctx` into `dst` with `nthreads` internal threads, after [`Header::validate`].
///
/// `dst` must hold at least the header's `nbytes`; returns the decompressed length.
pub(crate) fn decompress(src: &[u8], dst: &mut [u8], nthreads: i32) -> Result<usize> {
    let header = Header::validate(src)?;
    let nbytes = header.nbytes();
    if dst.len() < nbytes {
        return Err(Error::buffer_too_small(nbytes, dst.len()));
    }
    if nbytes == 0 {
        // blosc returns 0 for an empty buffer, which numcodecs mistakes for an error; nothing to do.
        return Ok(0);
    }
    if !(1..=MAX_THREADS).contains(&nthreads) {
        return Err(Error::invalid_argument(format!("blosc: thread count must be between 1 and {MAX_THREADS}")));
    }
    // SAFETY: the header says cbytes <= src.len(), and blosc bounds every read by cbytes; it writes at most
    // nbytes <= dst.len() bytes (we pass destsize = nbytes, so blosc refuses anything larger).
    let written = unsafe { blosc_src::blosc_decompress_ctx(src.as_ptr().cast::<c_void>(), dst.as_mut_ptr().cast::<c_void>(), nbytes, nthreads as c_int) };
    match usize::try_from(written) {
        Ok(n) if n == nbytes => Ok(n),
        _ => Err(Error::corrupt(format!("blosc: decompression failed (code {written}); the data is corrupt"))),
    }
}

/// `blosc_getitem`: decompresses items `start..start + nitems` (items of the header's typesize) into
/// `dst`, after [`Header::validate`] and a range check. Returns the number of bytes written.
pub(crate) fn getitem(src: &[u8], start: usize, nitems: usize, dst: &mut [u8]) -> Result<usize> {
    let header = Header::validate(src)?;
    let typesize = header.typesize as usize;
    let nbytes = header.nbytes();
    let out_of_range = || Error::invalid_argument(format!("blosc: items {start}..{start}+{nitems} are out of range for {nbytes} bytes of {typesize}-byte items"));
    let stop = start.checked_add(nitems).ok_or_else(out_of_range)?;
    let stop_bytes = stop.checked_mul(typesize).ok_or_else(out_of_range)?;
    if typesize == 0 || stop_bytes > nbytes {
        return Err(out_of_range());
    }
    let len = nitems * typesize; // <= stop_bytes, no overflow
    if dst.len() < len {
        return Err(Error::buffer_too_small(len, dst.len()));
    }
    if len == 0 {
        return Ok(0);
    }
    // stop_bytes <= nbytes <= INT_MAX, so start and nitems fit blosc's int parameters and its int32
    // arithmetic (start * typesize, stop * typesize) cannot overflow.
    // SAFETY: the header is validated (cbytes <= src.len(); blosc_getitem bounds its reads by cbytes), and
    // blosc writes exactly nitems * typesize <= dst.len() bytes for an in-range request.
    let written = unsafe { blosc_src::blosc_getitem(src.as_ptr().cast::<c_void>(), start as c_int, nitems as c_int, dst.as_mut_ptr().cast::<c_void>()) };
    match usize::try_from(written) {
        Ok(n) if n == len => Ok(n),
        _ => Err(Error::corrupt(format!("blosc: partial decompression failed (code {written}); the data is corrupt"))),
    }
}
