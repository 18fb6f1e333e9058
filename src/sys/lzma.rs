//! A small safe API over liblzma (through `liblzma-sys`: xz 5.8 built from source and linked statically, with
//! every BCJ filter, where `lzma-sys`' xz 5.2 build lacks PowerPC, IA-64, ARM and ARM-Thumb), covering what CPython's `_lzma`
//! module does: the .xz, .lzma (alone) and raw encoders and decoders with arbitrary filter chains.
//!
//! All unsafe code for liblzma lives here. Invariants: a [`Stream`] owns an initialised `lzma_stream`
//! (ended exactly once, in `Drop`); `next_in`/`next_out` point into the caller's slices only for the
//! duration of one `lzma_code` call; option structs handed to liblzma stay alive as long as the stream.

// The -sys crate declares liblzma's enums as c_uint, or as c_int on MSVC: the `as u32` casts of enum values
// are no-ops here and needed there.
#![allow(clippy::unnecessary_cast)]

use std::ffi::c_void;
use std::mem::MaybeUninit;

use liblzma_sys as ffi;

pub(crate) const FILTER_LZMA1: u64 = ffi::LZMA_FILTER_LZMA1;
pub(crate) const FILTER_LZMA2: u64 = ffi::LZMA_FILTER_LZMA2;
/// `LZMA_FILTER_DELTA`.
pub(crate) const FILTER_DELTA: u64 = 0x03;
pub(crate) const FILTER_X86: u64 = ffi::LZMA_FILTER_X86;
pub(crate) const FILTER_POWERPC: u64 = ffi::LZMA_FILTER_POWERPC;
pub(crate) const FILTER_IA64: u64 = ffi::LZMA_FILTER_IA64;
pub(crate) const FILTER_ARM: u64 = ffi::LZMA_FILTER_ARM;
pub(crate) const FILTER_ARMTHUMB: u64 = ffi::LZMA_FILTER_ARMTHUMB;
pub(crate) const FILTER_SPARC: u64 = ffi::LZMA_FILTER_SPARC;

/// liblzma's limit on the length of a filter chain (`LZMA_FILTERS_MAX`).
pub(crate) const FILTERS_MAX: usize = 4;

pub(crate) const CHECK_NONE: u32 = ffi::LZMA_CHECK_NONE as u32;
pub(crate) const CHECK_CRC64: u32 = ffi::LZMA_CHECK_CRC64 as u32;
pub(crate) const PRESET_DEFAULT: u32 = ffi::LZMA_PRESET_DEFAULT;

/// The options of an LZMA1 or LZMA2 filter (`lzma_options_lzma` without a preset dictionary).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct LzmaOptions {
    pub dict_size: u32,
    pub lc: u32,
    pub lp: u32,
    pub pb: u32,
    pub mode: u32,
    pub nice_len: u32,
    pub mf: u32,
    pub depth: u32,
}

impl LzmaOptions {
    /// The options of `preset` (0-9, optionally `| LZMA_PRESET_EXTREME`), or `None` if liblzma does
    /// not know the preset (`lzma_lzma_preset`).
    pub(crate) fn from_preset(preset: u32) -> Option<Self> {
        let mut raw = zeroed_lzma_options();
        // SAFETY: `raw` is a valid, writable lzma_options_lzma; liblzma only writes to it.
        let failed = unsafe { ffi::lzma_lzma_preset(&mut raw, preset) };
        if failed != 0 {
            return None;
        }
        Some(LzmaOptions {
            dict_size: raw.dict_size,
            lc: raw.lc,
            lp: raw.lp,
            pb: raw.pb,
            mode: raw.mode as u32,
            nice_len: raw.nice_len,
            mf: raw.mf as u32,
            depth: raw.depth,
        })
    }

    fn to_raw(self) -> ffi::lzma_options_lzma {
        let mut raw = zeroed_lzma_options();
        raw.dict_size = self.dict_size;
        raw.lc = self.lc;
        raw.lp = self.lp;
        raw.pb = self.pb;
        raw.mode = self.mode as ffi::lzma_mode;
        raw.nice_len = self.nice_len;
        raw.mf = self.mf as ffi::lzma_match_finder;
        raw.depth = self.depth;
        raw
    }
}

fn zeroed_lzma_options() -> ffi::lzma_options_lzma {
    // SAFETY: lzma_options_lzma is plain C data (integers, enums with a zero member, raw pointers);
    // all-zero is a valid value (no preset dictionary, reserved fields zero as liblzma expects).
    unsafe { MaybeUninit::<ffi::lzma_options_lzma>::zeroed().assume_init() }
}

/// One filter of a chain, with its options.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Filter {
    Lzma1(LzmaOptions),
    Lzma2(LzmaOptions),
    /// Byte-wise delta with distance `dist`.
    Delta {
        dist: u32,
    },
    /// A branch/call/jump converter (`FILTER_X86` ... `FILTER_SPARC`).
    Bcj {
        id: u64,
        start_offset: u32,
    },
}

/// `lzma_options_delta` (delta.h), declared here so the layout is ours to check.
#[repr(C)]
#[derive(Clone, Copy)]
struct DeltaOptions {
    kind: u32, // lzma_delta_type: LZMA_DELTA_TYPE_BYTE == 0
    dist: u32,
    reserved_int: [u32; 4],
    reserved_ptr: [*mut c_void; 2],
}

/// A filter chain in liblzma's layout. Boxed so the pointers in `filters` stay valid when it moves.
struct RawChain {
    filters: [ffi::lzma_filter; FILTERS_MAX + 1],
    lzma: [ffi::lzma_options_lzma; FILTERS_MAX],
    delta: [DeltaOptions; FILTERS_MAX],
    bcj: [ffi::lzma_options_bcj; FILTERS_MAX],
}

impl RawChain {
    /// `None` if the chain is longer than liblzma allows.
    fn new(chain: &[Filter]) -> Option<Box<RawChain>> {
        if chain.len() > FILTERS_MAX {
            return None;
        }
        let terminator = || ffi::lzma_filter { id: ffi::LZMA_VLI_UNKNOWN, options: std::ptr::null_mut() };
        let mut raw = Box::new(RawChain {
            filters: [terminator(), terminator(), terminator(), terminator(), terminator()],
            lzma: [zeroed_lzma_options(); FILTERS_MAX],
            delta: [DeltaOptions { kind: 0, dist: 1, reserved_int: [0; 4], reserved_ptr: [std::ptr::null_mut(); 2] };
                FILTERS_MAX],
            bcj: [(); FILTERS_MAX].map(|_| ffi::lzma_options_bcj { start_offset: 0 }),
        });
        for (i, filter) in chain.iter().enumerate() {
            let (id, options): (u64, *mut c_void) = match *filter {
                Filter::Lzma1(options) | Filter::Lzma2(options) => {
                    raw.lzma[i] = options.to_raw();
                    let id = if matches!(filter, Filter::Lzma1(_)) { FILTER_LZMA1 } else { FILTER_LZMA2 };
                    (id, (&mut raw.lzma[i] as *mut ffi::lzma_options_lzma).cast())
                }
                Filter::Delta { dist } => {
                    raw.delta[i].dist = dist;
                    (FILTER_DELTA, (&mut raw.delta[i] as *mut DeltaOptions).cast())
                }
                Filter::Bcj { id, start_offset } => {
                    raw.bcj[i].start_offset = start_offset;
                    (id, (&mut raw.bcj[i] as *mut ffi::lzma_options_bcj).cast())
                }
            };
            raw.filters[i] = ffi::lzma_filter { id, options };
        }
        Some(raw)
    }
}

/// What a liblzma call returned (`lzma_ret`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Ret {
    Ok,
    StreamEnd,
    NoCheck,
    UnsupportedCheck,
    GetCheck,
    MemError,
    MemlimitError,
    FormatError,
    OptionsError,
    DataError,
    BufError,
    ProgError,
    Other(u32),
}

impl Ret {
    fn from_raw(ret: ffi::lzma_ret) -> Ret {
        match ret {
            ffi::LZMA_OK => Ret::Ok,
            ffi::LZMA_STREAM_END => Ret::StreamEnd,
            ffi::LZMA_NO_CHECK => Ret::NoCheck,
            ffi::LZMA_UNSUPPORTED_CHECK => Ret::UnsupportedCheck,
            ffi::LZMA_GET_CHECK => Ret::GetCheck,
            ffi::LZMA_MEM_ERROR => Ret::MemError,
            ffi::LZMA_MEMLIMIT_ERROR => Ret::MemlimitError,
            ffi::LZMA_FORMAT_ERROR => Ret::FormatError,
            ffi::LZMA_OPTIONS_ERROR => Ret::OptionsError,
            ffi::LZMA_DATA_ERROR => Ret::DataError,
            ffi::LZMA_BUF_ERROR => Ret::BufError,
            ffi::LZMA_PROG_ERROR => Ret::ProgError,
            other => Ret::Other(other as u32),
        }
    }

    fn into_result(self) -> Result<(), Ret> {
        if self == Ret::Ok {
            Ok(())
        } else {
            Err(self)
        }
    }
}

/// `lzma_action` values the codecs use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Action {
    Run,
    Finish,
}

/// An initialised liblzma encoder or decoder.
pub(crate) struct Stream {
    raw: ffi::lzma_stream,
    /// Options the coder was initialised with, kept alive with it.
    _chain: Option<Box<RawChain>>,
}

impl std::fmt::Debug for Stream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("lzma::Stream")
            .field("total_in", &self.raw.total_in)
            .field("total_out", &self.raw.total_out)
            .finish()
    }
}

impl Stream {
    /// Runs `init` on a fresh `LZMA_STREAM_INIT` stream.
    fn init(
        chain: Option<Box<RawChain>>,
        init: impl FnOnce(*mut ffi::lzma_stream) -> ffi::lzma_ret,
    ) -> Result<Stream, Ret> {
        // SAFETY: an all-zero lzma_stream is LZMA_STREAM_INIT.
        let raw = unsafe { MaybeUninit::<ffi::lzma_stream>::zeroed().assume_init() };
        let mut stream = Stream { raw, _chain: chain };
        // If init fails, Drop still calls lzma_end, which is valid on an initialised-or-failed stream.
        Ret::from_raw(init(&mut stream.raw)).into_result()?;
        Ok(stream)
    }

    /// `lzma_easy_encoder(preset, check)`: .xz with one LZMA2 filter from `preset`.
    pub(crate) fn easy_encoder(preset: u32, check: u32) -> Result<Stream, Ret> {
        // SAFETY: `strm` is a valid LZMA_STREAM_INIT stream.
        Stream::init(None, |strm| unsafe { ffi::lzma_easy_encoder(strm, preset, check as ffi::lzma_check) })
    }

    /// `lzma_stream_encoder(filters, check)`: .xz with a custom filter chain.
    pub(crate) fn stream_encoder(chain: &[Filter], check: u32) -> Result<Stream, Ret> {
        let raw = RawChain::new(chain).ok_or(Ret::OptionsError)?;
        let filters = raw.filters.as_ptr();
        // SAFETY: `filters` is a terminated chain whose options live in the box kept by the stream.
        Stream::init(Some(raw), |strm| unsafe { ffi::lzma_stream_encoder(strm, filters, check as ffi::lzma_check) })
    }

    /// `lzma_alone_encoder(options)`: the legacy .lzma format with one LZMA1 filter.
    pub(crate) fn alone_encoder(options: LzmaOptions) -> Result<Stream, Ret> {
        let raw = RawChain::new(&[Filter::Lzma1(options)]).ok_or(Ret::OptionsError)?;
        let options = raw.filters[0].options as *const ffi::lzma_options_lzma;
        // SAFETY: `options` points into the box kept by the stream.
        Stream::init(Some(raw), |strm| unsafe { ffi::lzma_alone_encoder(strm, options) })
    }

    /// `lzma_raw_encoder(filters)`: no container.
    pub(crate) fn raw_encoder(chain: &[Filter]) -> Result<Stream, Ret> {
        let raw = RawChain::new(chain).ok_or(Ret::OptionsError)?;
        let filters = raw.filters.as_ptr();
        // SAFETY: as in stream_encoder.
        Stream::init(Some(raw), |strm| unsafe { ffi::lzma_raw_encoder(strm, filters) })
    }

    /// `lzma_stream_decoder(memlimit, 0)`: one .xz stream.
    pub(crate) fn stream_decoder(memlimit: u64) -> Result<Stream, Ret> {
        // SAFETY: `strm` is a valid LZMA_STREAM_INIT stream.
        Stream::init(None, |strm| unsafe { ffi::lzma_stream_decoder(strm, memlimit, 0) })
    }

    /// `lzma_alone_decoder(memlimit)`: one .lzma stream.
    pub(crate) fn alone_decoder(memlimit: u64) -> Result<Stream, Ret> {
        // SAFETY: `strm` is a valid LZMA_STREAM_INIT stream.
        Stream::init(None, |strm| unsafe { ffi::lzma_alone_decoder(strm, memlimit) })
    }

    /// `lzma_auto_decoder(memlimit, 0)`: one .xz or .lzma stream, whichever it is.
    pub(crate) fn auto_decoder(memlimit: u64) -> Result<Stream, Ret> {
        // SAFETY: `strm` is a valid LZMA_STREAM_INIT stream.
        Stream::init(None, |strm| unsafe { ffi::lzma_auto_decoder(strm, memlimit, 0) })
    }

    /// `lzma_raw_decoder(filters)`.
    pub(crate) fn raw_decoder(chain: &[Filter]) -> Result<Stream, Ret> {
        let raw = RawChain::new(chain).ok_or(Ret::OptionsError)?;
        let filters = raw.filters.as_ptr();
        // SAFETY: as in stream_encoder.
        Stream::init(Some(raw), |strm| unsafe { ffi::lzma_raw_decoder(strm, filters) })
    }

    /// One `lzma_code` call: returns (input bytes consumed, output bytes written, result).
    pub(crate) fn code(&mut self, input: &[u8], output: &mut [u8], action: Action) -> (usize, usize, Ret) {
        let action = match action {
            Action::Run => ffi::LZMA_RUN,
            Action::Finish => ffi::LZMA_FINISH,
        };
        self.raw.next_in = input.as_ptr();
        self.raw.avail_in = input.len();
        self.raw.next_out = output.as_mut_ptr();
        self.raw.avail_out = output.len();
        // SAFETY: the stream is initialised; next_in/next_out describe live slices of the given lengths
        // for the duration of the call, and liblzma writes only within `output`.
        let ret = unsafe { ffi::lzma_code(&mut self.raw, action) };
        let consumed = input.len().saturating_sub(self.raw.avail_in);
        let produced = output.len().saturating_sub(self.raw.avail_out);
        self.raw.next_in = std::ptr::null();
        self.raw.avail_in = 0;
        self.raw.next_out = std::ptr::null_mut();
        self.raw.avail_out = 0;
        (consumed, produced, Ret::from_raw(ret))
    }
}

impl Drop for Stream {
    fn drop(&mut self) {
        // SAFETY: the stream was zero-initialised and possibly initialised by liblzma; lzma_end frees
        // whatever it holds and is a no-op on LZMA_STREAM_INIT.
        unsafe { ffi::lzma_end(&mut self.raw) }
    }
}

/// Whether the linked liblzma can both encode and decode filter `id` (a liblzma may be built without
/// some BCJ filters; the bundled one has them all).
pub(crate) fn filter_supported(id: u64) -> bool {
    // SAFETY: pure queries of liblzma's filter tables.
    unsafe { ffi::lzma_filter_encoder_is_supported(id) != 0 && ffi::lzma_filter_decoder_is_supported(id) != 0 }
}

/// Whether liblzma's raw decoder accepts `chain` (`lzma_raw_decoder_memusage` validates the chain and
/// the options the decoder uses without allocating anything).
pub(crate) fn raw_decoder_accepts(chain: &[Filter]) -> bool {
    let Some(raw) = RawChain::new(chain) else { return false };
    // SAFETY: a terminated chain whose options live in `raw` for the duration of the call.
    unsafe { ffi::lzma_raw_decoder_memusage(raw.filters.as_ptr()) != u64::MAX }
}

/// The memory liblzma's raw decoder needs for `chain` (its dictionary, mostly), or `None` if the chain is
/// invalid. Computed from the options without allocating anything.
pub(crate) fn raw_decoder_memusage(chain: &[Filter]) -> Option<u64> {
    let raw = RawChain::new(chain)?;
    // SAFETY: a terminated chain whose options live in `raw` for the duration of the call.
    let usage = unsafe { ffi::lzma_raw_decoder_memusage(raw.filters.as_ptr()) };
    (usage != u64::MAX).then_some(usage)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn round_trip(chain: &[Filter], data: &[u8]) -> Vec<u8> {
        let mut encoder = Stream::raw_encoder(chain).unwrap();
        let mut encoded = vec![0u8; data.len() * 2 + 1024];
        let (consumed, mut produced, ret) = encoder.code(data, &mut encoded, Action::Run);
        assert_eq!((consumed, ret), (data.len(), Ret::Ok));
        let (_, more, ret) = encoder.code(&[], &mut encoded[produced..], Action::Finish);
        assert_eq!(ret, Ret::StreamEnd);
        produced += more;
        encoded.truncate(produced);
        let mut decoder = Stream::raw_decoder(chain).unwrap();
        let mut decoded = vec![0u8; data.len() + 1];
        let (used, written, ret) = decoder.code(&encoded, &mut decoded, Action::Run);
        assert_eq!((used, ret), (encoded.len(), Ret::StreamEnd));
        decoded.truncate(written);
        decoded
    }

    #[test]
    fn presets_and_chains() {
        let level6 = LzmaOptions::from_preset(6).unwrap();
        assert_eq!((level6.dict_size, level6.lc, level6.lp, level6.pb), (8 << 20, 3, 0, 2));
        assert!(LzmaOptions::from_preset(10).is_none());
        assert!(LzmaOptions::from_preset(9 | (1 << 31)).is_some());
        let data: Vec<u8> = (0..50_000u32).map(|i| (i * 7 % 251) as u8).collect();
        let lzma1 = LzmaOptions::from_preset(1).unwrap();
        for chain in [
            vec![Filter::Lzma2(lzma1)],
            vec![Filter::Lzma1(lzma1)],
            vec![Filter::Delta { dist: 4 }, Filter::Lzma2(lzma1)],
            vec![Filter::Bcj { id: FILTER_X86, start_offset: 16 }, Filter::Delta { dist: 1 }, Filter::Lzma2(lzma1)],
        ] {
            assert!(raw_decoder_accepts(&chain));
            assert_eq!(round_trip(&chain, &data), data, "{chain:?}");
        }
        for id in [FILTER_LZMA1, FILTER_LZMA2, FILTER_DELTA, FILTER_X86, FILTER_SPARC] {
            assert!(filter_supported(id), "{id:#x}");
        }
        assert!(!filter_supported(2));
        assert!(!raw_decoder_accepts(&[]));
        assert!(!raw_decoder_accepts(&[Filter::Lzma2(lzma1), Filter::Delta { dist: 1 }]));
        assert!(!raw_decoder_accepts(&[Filter::Delta { dist: 0 }, Filter::Lzma2(lzma1)]));
        assert!(!raw_decoder_accepts(&[Filter::Delta { dist: 1 }; 5]));
        assert_eq!(Stream::raw_encoder(&[]).unwrap_err(), Ret::ProgError);
        assert_eq!(Stream::easy_encoder(6, 3).unwrap_err(), Ret::UnsupportedCheck);
    }
}
