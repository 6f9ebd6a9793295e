// `OperationKind` is sealed: the operations are the crate's.
use bedrock_latency::Operation;
use bedrock_latency::models::op::OperationKind;

struct MyOp;

impl OperationKind for MyOp {
    const OPERATION: Operation = Operation::InvokeAgent;
}

fn main() {}
