/// ShoalScheduler — where tasks run (DESIGN.md §3, L4).
///
/// Owns: Docker swarm mode's placement rules. Constraint parsing with Docker's syntax and error texts; the filter
/// pipeline (readiness, reserved resources, constraints, platform, host-mode ports, replicas per node) and
/// Docker's "no suitable node (…)" explanations; the accounting of what each node's tasks hold; spreading by the
/// service's task count, then the node's total; placement preferences; the nodes a global service runs on.
/// A service's replica and a container the cluster endpoint runs are both tasks and go through one
/// `SchedulerState`. The cluster endpoint's `docker run` also speaks classic Swarm's placement language
/// (`-e constraint:node==*n1`, `affinity:container==db`, soft `==~`, spread and binpack): `ClassicScheduler`.
///
/// Must never: do I/O, hold actors or locks, read a clock or system randomness, or know the store's or the
/// Docker API's types. The leader's scheduler service feeds it nodes and tasks from the store and commits the
/// decisions it returns; every type here is a `Sendable` value, tested without a cluster.
//
// No type is named after the module, so `ShoalScheduler.X` keeps resolving to the module's types.
