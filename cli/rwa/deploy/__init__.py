"""Making a network match the manifest: the manifest's vocabulary, the planner, the journaled engine
and its sender, the deployments record, and the Target every command works on."""
