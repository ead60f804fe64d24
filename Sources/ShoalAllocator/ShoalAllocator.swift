/// ShoalAllocator: what the swarm's leader hands out from the cluster's shared spaces — overlay subnets and VXLAN
/// IDs for swarm-scoped networks, and endpoint addresses on them. Its cores are pure value types built from the
/// objects already in the store (so a new leader rebuilds exactly what the old one had, and nothing is handed out
/// twice); the leader's shell commits each allocation together with the object, fenced by its leadership.
///
/// It must never allocate on a node that does not lead, and never keep state the store does not also hold.
enum ShoalAllocatorModule {}
