//! Pre-warming: open the connections (TCP, and TLS on AWS) to every region
//! a client's bedrock-runtime requests may go to, before the first real
//! request needs them.
//!
//! The request sent is `ListAsyncInvokes` with `maxResults=1`: a read of
//! the same bedrock-runtime endpoint that runs no model and bills nothing
//! (without the `bedrock:ListAsyncInvokes` permission AWS answers 403,
//! which opens the connection all the same). The connection then waits in
//! the SDK's pool: hyper-util's legacy client, which the SDK's default HTTP
//! client is built on, keeps idle connections 90 s by default (its
//! `Builder::pool_idle_timeout`), so call it again within that to keep
//! them warm.

use std::time::Instant;

use aws_sdk_bedrockruntime as sdk;
use futures_util::future::join_all;
use sdk::error::SdkError;

use super::api::as_sdk;
use super::{BedrockRuntimeApi, RuntimeSide};
use crate::tail::{PrewarmReport, RegionWarmth};

impl<R: BedrockRuntimeApi> RuntimeSide<R> {
    /// Opens `per_region` connections in each region, at once.
    pub(crate) async fn prewarm(&self, per_region: usize) -> PrewarmReport {
        let per_region = per_region.clamp(1, 64);
        let home = self.api.as_ref().map(|api| (self.region(), api));
        let routes = self.planner.routes().iter().map(String::as_str).zip(self.routes.iter());
        let regions = join_all(
            home.into_iter()
                .chain(routes)
                .map(|(region, api)| warm(region, api, per_region)),
        )
        .await;
        PrewarmReport { regions }
    }
}

async fn warm<R: BedrockRuntimeApi>(region: &str, api: &R, wanted: usize) -> RegionWarmth {
    let start = Instant::now();
    let mut warmth = RegionWarmth {
        region: region.to_owned(),
        wanted,
        opened: 0,
        elapsed: std::time::Duration::ZERO,
        error: None,
    };
    let Some(sdk) = as_sdk(api) else {
        warmth.error = Some("the service is not the AWS SDK: there is no connection to open".to_owned());
        return warmth;
    };
    let calls = (0..wanted).map(|_| sdk.sdk().list_async_invokes().max_results(1).send());
    for result in join_all(calls).await {
        match result {
            // Any answer, an error one included, came over an open connection.
            Ok(_) | Err(SdkError::ServiceError(_) | SdkError::ResponseError(_)) => warmth.opened += 1,
            Err(e) => {
                warmth
                    .error
                    .get_or_insert_with(|| sdk::error::DisplayErrorContext(&e).to_string());
            }
        }
    }
    warmth.elapsed = start.elapsed();
    warmth
}
