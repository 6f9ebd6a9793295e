//! Fault injection: what can go wrong, and the FIFO queue of planned faults.

use std::collections::VecDeque;
use std::time::Duration;

use crate::Operation;

/// A failure the endpoint can inject into a request.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Fault {
    /// HTTP 429 `ThrottlingException` ("Too many requests, please wait before
    /// trying your request again."). The SDK retries it.
    Throttling,
    /// HTTP 503 `ServiceUnavailableException`. The SDK retries it.
    ServiceUnavailable,
    /// Close the connection after reading the request, without any response.
    ConnectionReset,
    /// Wait this long before answering (normally). Use a duration longer than
    /// the client's timeout; shutting the server down ends the wait.
    Stall(Duration),
    /// Streaming operations only: send `after_frames` event frames, then half a
    /// frame, then end the body abruptly (no terminating chunk).
    CutStream {
        /// Complete frames sent before the cut.
        after_frames: usize,
    },
    /// Streaming operations only: send `after_frames` frames, then a frame
    /// whose message CRC is wrong, then end the body.
    MalformedFrame {
        /// Valid frames sent before the bad one.
        after_frames: usize,
    },
    /// Streaming operations only: send `after_frames` frames, then an
    /// exception event (`:message-type` `exception`) and end the body. The
    /// `:exception-type` is `modelStreamErrorException` on bedrock-runtime
    /// streams and `dependencyFailedException` on bedrock-agent-runtime
    /// streams (which model no stream error of their own).
    ModelStreamError {
        /// Event frames sent before the exception.
        after_frames: usize,
    },
}

impl Fault {
    /// Whether the fault only makes sense inside an event stream.
    pub fn is_stream_fault(&self) -> bool {
        matches!(
            self,
            Fault::CutStream { .. } | Fault::MalformedFrame { .. } | Fault::ModelStreamError { .. }
        )
    }
}

/// A planned fault: which fault, for which operation, how many times.
///
/// Rules wait in a FIFO queue. Each request takes the first rule that applies
/// to it: the operation filter matches (or there is none), and for stream
/// faults the request is a streaming operation that is about to succeed (a
/// request rejected with a 400 does not consume a stream fault). A rule is
/// removed once used `times` times.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FaultRule {
    fault: Fault,
    operation: Option<Operation>,
    times: usize,
}

impl FaultRule {
    /// The fault, once, for any operation.
    pub fn new(fault: Fault) -> FaultRule {
        FaultRule {
            fault,
            operation: None,
            times: 1,
        }
    }

    /// Only requests of `operation` take this rule.
    pub fn on(mut self, operation: Operation) -> FaultRule {
        self.operation = Some(operation);
        self
    }

    /// Apply the fault to the next `times` matching requests (0 is treated as 1).
    pub fn times(mut self, times: usize) -> FaultRule {
        self.times = times.max(1);
        self
    }

    /// The fault.
    pub fn fault(&self) -> &Fault {
        &self.fault
    }

    /// The operation filter.
    pub fn operation(&self) -> Option<Operation> {
        self.operation
    }

    /// How many more requests take this rule.
    pub fn remaining(&self) -> usize {
        self.times
    }

    fn applies(&self, operation: Operation, stream_ok: bool) -> bool {
        if self.operation.is_some_and(|op| op != operation) {
            return false;
        }
        !self.fault.is_stream_fault() || stream_ok
    }
}

impl From<Fault> for FaultRule {
    fn from(fault: Fault) -> FaultRule {
        FaultRule::new(fault)
    }
}

/// The FIFO of planned faults.
#[derive(Debug, Default)]
pub(crate) struct FaultQueue {
    rules: VecDeque<FaultRule>,
}

impl FaultQueue {
    pub(crate) fn push(&mut self, rule: FaultRule) {
        self.rules.push_back(rule);
    }

    pub(crate) fn clear(&mut self) {
        self.rules.clear();
    }

    pub(crate) fn pending(&self) -> Vec<FaultRule> {
        self.rules.iter().cloned().collect()
    }

    /// Takes the fault for a request of `operation`. `stream_ok` tells whether
    /// the request would get a successful event stream (a streaming operation
    /// that passed validation).
    pub(crate) fn take(&mut self, operation: Operation, stream_ok: bool) -> Option<Fault> {
        let index = self.rules.iter().position(|rule| rule.applies(operation, stream_ok))?;
        let rule = self.rules.get_mut(index)?;
        let fault = rule.fault.clone();
        rule.times = rule.times.saturating_sub(1);
        if rule.times == 0 {
            self.rules.remove(index);
        }
        Some(fault)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fifo_with_filters_and_counts() {
        let mut q = FaultQueue::default();
        q.push(FaultRule::new(Fault::Throttling).on(Operation::InvokeModel));
        q.push(FaultRule::new(Fault::ServiceUnavailable).times(2));
        q.push(FaultRule::new(Fault::CutStream { after_frames: 1 }));
        assert_eq!(q.take(Operation::Converse, false), Some(Fault::ServiceUnavailable));
        assert_eq!(q.take(Operation::InvokeModel, false), Some(Fault::Throttling));
        assert_eq!(q.take(Operation::Converse, false), Some(Fault::ServiceUnavailable));
        assert_eq!(q.take(Operation::Converse, false), None);
        assert_eq!(q.take(Operation::ConverseStream, false), None);
        assert_eq!(
            q.take(Operation::ConverseStream, true),
            Some(Fault::CutStream { after_frames: 1 })
        );
        assert!(q.pending().is_empty());
    }
}
