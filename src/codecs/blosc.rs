//! `blosc`: placeholder, not implemented yet.

use super::Constructor;

/// Codec ids this module provides.
pub(super) const CODECS: &[(&str, Constructor)] = &[];
