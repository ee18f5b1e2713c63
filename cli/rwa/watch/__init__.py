"""`rwa watch` and `rwa history`: the watcher that follows a network's chain, raises alerts on the
events that matter (rules derived from the manifest and the deployments record, plus a team's own),
delivers them to its sinks exactly once, and keeps the events it saw for `rwa history`."""
