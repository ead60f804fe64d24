// ShoalAgent: a node's side of swarm services. For every task assigned to the node it runs a task controller
// (SwarmKit's `agent/exec` controller as a step function) that drives one container through this host's engine:
// accept, prepare (create the container, with Docker's name and labels, on the task's networks), start, wait,
// shut down, remove; and it reports each state the task reaches, for the session to send back in batches.
//
// It owns the mapping from a task to its container and the controller's state machine. It never reads the
// cluster store (assignments reach it through the node's session) and never decides where or whether a task
// runs: the managers do.
