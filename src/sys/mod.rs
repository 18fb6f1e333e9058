//! Safe wrappers over the C libraries libnumcodecs links (their unsafe calls live here, not in codecs/).

pub(crate) mod blosc;
pub(crate) mod lzma;
pub(crate) mod zfp;
