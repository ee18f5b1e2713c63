"""Making a network match the manifest: the manifest's vocabulary, the planner, the journaled engine
and its sender (fees, the operator's lock, pre-flight refusals, the cost estimate), the deployments
record, and the Target every command works on (opened by ``session``)."""
