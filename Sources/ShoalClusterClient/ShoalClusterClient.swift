/// ShoalClusterClient: the node side of the control API (`shoal.cluster.v1` over mutual TLS), every gRPC client a
/// node needs: the join handshake (fetch the root CA, check it against the token's digest, send a CSR, get a
/// node certificate), certificate renewal, manager membership, the node's session with the leader (heartbeats,
/// failover between managers, endpoint updates) and the calls on swarm-scoped networks. It links only the
/// cluster API (ShoalClusterProto), never the store or the etcd API (DESIGN §3: workers never see the store),
/// and it never writes the node's files itself (its caller owns `<data-root>/swarm`).
enum ShoalClusterClientModule {}
