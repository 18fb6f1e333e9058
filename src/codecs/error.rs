//! The one error type of the codec core. Each [`ErrorKind`] maps to exactly one C status code.

use std::fmt;

/// What went wrong, coarse enough for a C caller to branch on. The FFI maps each kind to a stable
/// `numcodecs_status` value; adding a kind means adding a status at the end, never renumbering.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorKind {
    /// A caller-supplied argument is unusable (bad dtype string, shape that does not match the length).
    InvalidArgument,
    /// The codec configuration is malformed or has out-of-range values or unknown keys.
    InvalidConfig,
    /// No codec is registered under that id.
    UnknownCodec,
    /// The destination buffer is too small; [`Error::needed`] tells the size when it is known.
    BufferTooSmall,
    /// The encoded bytes are not a valid stream for this codec (corrupt, truncated, checksum mismatch).
    CorruptData,
    /// The request is valid but this codec or build does not support it.
    Unsupported,
    /// The decoded size cannot be known without decoding the whole stream.
    SizeUnknown,
    /// A size limit was hit (the decoded size would exceed what the library allows or can address).
    LimitExceeded,
    /// A bug: a broken invariant or a caught panic.
    Internal,
}

/// An error with a human-readable message (shown to C callers by `numcodecs_last_error()`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error {
    kind: ErrorKind,
    message: String,
    needed: Option<usize>,
}

/// Result type of the codec core.
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        Error { kind, message: message.into(), needed: None }
    }
    pub fn invalid_argument(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::InvalidArgument, message)
    }
    pub fn invalid_config(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::InvalidConfig, message)
    }
    pub fn corrupt(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::CorruptData, message)
    }
    pub fn unsupported(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Unsupported, message)
    }
    pub fn internal(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Internal, message)
    }
    pub fn limit(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::LimitExceeded, message)
    }
    pub fn size_unknown(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::SizeUnknown, message)
    }
    /// The destination holds `capacity` bytes but `needed` are required.
    pub fn buffer_too_small(needed: usize, capacity: usize) -> Self {
        Error {
            kind: ErrorKind::BufferTooSmall,
            message: format!("destination buffer too small: {needed} bytes needed, {capacity} available"),
            needed: Some(needed),
        }
    }
    /// The destination is too small and the full size is not known.
    pub fn buffer_too_small_unknown(capacity: usize) -> Self {
        Self::new(ErrorKind::BufferTooSmall, format!("destination buffer of {capacity} bytes is too small"))
    }

    pub fn kind(&self) -> ErrorKind {
        self.kind
    }
    pub fn message(&self) -> &str {
        &self.message
    }
    /// For [`ErrorKind::BufferTooSmall`]: the size the destination needs, when known.
    pub fn needed(&self) -> Option<usize> {
        self.needed
    }
    /// Prefixes the message with context such as the codec id, keeping kind and size.
    pub fn context(mut self, context: &str) -> Self {
        self.message = format!("{context}: {}", self.message);
        self
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Error {}
