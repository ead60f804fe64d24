/// ShoalEtcd owns Shoal's use of etcd, the store of cluster state on managers:
///
/// - `EtcdSupervisor` runs one etcd member (Debian's `/usr/bin/etcd`) as a child process, waits until it is
///   healthy, restarts it when it dies, and stops or kills it by pid;
/// - `EtcdClient` speaks etcd's v3 gRPC API (KV, txn, watch, lease, cluster membership) over grpc-swift-2 with
///   failover between members, plaintext or mutual TLS, with the PING cure (`EtcdPingResponder`);
/// - `LeaderElection` elects one leader among candidates with a lease and a guarded transaction.
///
/// It must never leak protobuf or gRPC types to its callers (they get `EtcdKeyValue`, `EtcdEvent`, `ShoalError`
/// …), know what the keys mean (that is ShoalClusterStore's job), or signal an etcd it did not start.
