/// ShoalAgent: the node side of swarm mode. It owns the join handshake (fetch the root CA, check it against the
/// token's digest, send a CSR, get a node certificate) and the node's session with a manager (heartbeats,
/// failover between managers). It speaks only the control API (`shoal.cluster.v1`) over TLS: it never links
/// the cluster store (DESIGN §3), and it never writes the node's files itself (its caller owns `<data-root>/swarm`).
enum ShoalAgentModule {}
