//! The escape hatch every request builder has: closures over the SDK's own
//! input builder, and a per-call change to the SDK client's configuration.

/// What a builder keeps for its escape hatch: `B` is the SDK input builder,
/// `C` the SDK configuration builder.
pub(crate) struct Escape<B, C> {
    maps: Vec<Box<dyn FnOnce(B) -> B + Send>>,
    config: Option<ConfigChange<C>>,
}

/// A per-call change to the SDK configuration builder `C`.
pub(crate) type ConfigChange<C> = Box<dyn FnOnce(C) -> C + Send>;

impl<B, C> Default for Escape<B, C> {
    fn default() -> Self {
        Escape {
            maps: Vec::new(),
            config: None,
        }
    }
}

impl<B, C> Escape<B, C> {
    /// Adds a closure over the input builder.
    pub(crate) fn push_map(&mut self, f: impl FnOnce(B) -> B + Send + 'static) {
        self.maps.push(Box::new(f));
    }

    /// Sets the per-call configuration change.
    pub(crate) fn set_config(&mut self, f: impl FnOnce(C) -> C + Send + 'static) {
        self.config = Some(Box::new(f));
    }

    /// Applies the closures, in the order given, and hands back the
    /// configuration change for the send.
    pub(crate) fn apply(self, b: B) -> (B, Option<ConfigChange<C>>) {
        let Escape { maps, config } = self;
        if maps.is_empty() {
            // The common case, without the loop's iterator (a profile of the
            // overhead bench showed it on every call).
            return (b, config);
        }
        (maps.into_iter().fold(b, |b, f| f(b)), config)
    }
}

/// A per-call SDK configuration must keep the client's region: a request is
/// checked against the region it is sent to.
pub(crate) fn same_region(client: Option<&str>, per_call: Option<&str>) -> crate::Result<()> {
    if client == per_call {
        return Ok(());
    }
    Err(crate::Error::InvalidRequest {
        reason: format!(
            "`map_sdk_config` changed the region from {} to {}: a request is checked against the region it is \
             sent to, so nothing was sent; build a client for that region, or let the client route optimized \
             requests there (`ClientBuilder::route_optimized_to`)",
            client.unwrap_or("(none)"),
            per_call.unwrap_or("(none)")
        ),
    })
}

/// `map_input` and `map_sdk_config` on a request builder whose `Escape`
/// sits at `self.$field...`; `$after` says what the builder sets after the
/// closures (from the checked plan).
macro_rules! escape_hatch {
    ([$($gen:tt)*] $ty:ty, $input:ty, $config:ty, $after:literal, $($field:ident).+) => {
        impl<$($gen)*> $ty {
            /// Sets anything this builder does not model on the SDK's own
            /// input builder: every field you set reaches the wire.
            #[doc = $after]
            pub fn map_input(mut self, f: impl FnOnce($input) -> $input + Send + 'static) -> Self {
                self.$($field).+.push_map(f);
                self
            }

            /// Changes the SDK client's configuration for this call only
            /// (operation timeout, retry settings, interceptors), as the SDK's
            /// `.customize().config_override(..)` does: the closure gets a
            /// copy of the client's configuration. Applies when the service is
            /// the AWS SDK; other implementations (mocks) never see it. The
            /// region stays the client's: a closure that changes it makes the
            /// request fail before sending ([`Error::InvalidRequest`](crate::Error::InvalidRequest)).
            pub fn map_sdk_config(mut self, f: impl FnOnce($config) -> $config + Send + 'static) -> Self {
                self.$($field).+.set_config(f);
                self
            }
        }
    };
}

pub(crate) use escape_hatch;
