// ShoalOrchestrator: the reconcilers that keep a service's tasks as its spec says, after SwarmKit's orchestrators.
// - `ReplicatedReconciler`: one live task per slot 1…N, scaling up into the lowest free slots and down from the
//   nodes with the most copies;
// - `GlobalReconciler`: one live task per eligible node;
// - `RestartSupervisor`: a task that ended (or whose node went away) is shut down and, as its restart policy
//   says, replaced in its slot after the policy's delay;
// - `TaskReaper`: each slot keeps a bounded history; removed tasks go once their node has stopped them.
//
// Each is a pure function of the store's objects (a service, its tasks, the nodes) and a clock, returning
// `OrchestratorAction`s that a shell on the leader commits, fenced by its term. Nothing here reads the store,
// talks to a node or keeps state between calls: everything a decision needs (a slot's restart history included)
// is in the objects, so a new leader carries on from the store alone.
