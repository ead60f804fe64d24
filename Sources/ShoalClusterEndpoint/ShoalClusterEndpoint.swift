/// ShoalClusterEndpoint: the cluster endpoint's Docker API, classic Swarm's behaviour (Carina's) over the nodes'
/// engines. A manager's endpoint answers container calls itself: `docker run` is placed on a node by
/// ShoalScheduler's classic scheduler and created there, `docker ps` lists every node's containers as
/// `NODE/NAME`, and a call about one container reaches the engine of the node that runs it, over the node engine
/// channel (mutual TLS, the manager's own node certificate). Everything else (services, nodes, swarm, secrets…)
/// is the manager's own API. It never reads the store itself: the nodes come through `NodeEngines`.
