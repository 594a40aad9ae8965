//! Test helpers shared by the `outbound` and `outbound::network` test modules.

use std::fmt;
use std::net::IpAddr;

use super::Network;

/// The crate denies `unwrap`/`expect` everywhere; tests panic with the error instead.
pub(super) trait Must<T, E> {
    fn must(self) -> T;
    fn must_fail(self) -> E;
}

impl<T: fmt::Debug, E: fmt::Debug> Must<T, E> for Result<T, E> {
    fn must(self) -> T {
        self.unwrap_or_else(|e| panic!("{e:?}"))
    }
    fn must_fail(self) -> E {
        match self {
            Ok(value) => panic!("expected an error, got {value:?}"),
            Err(e) => e,
        }
    }
}

pub(super) fn net(text: &str) -> Network {
    Network::parse(text).must()
}

pub(super) fn ip(text: &str) -> IpAddr {
    text.parse().must()
}
