/// ShoalRuntime owns running containers on this host: the OCI runtime spec (Docker's defaults), one conmon per
/// container driving runc, attach/exec/logs/exit codes that survive a daemon restart, `docker top` and stats.
/// It must never pull images, build networks or keep container records: the engine hands it a bundle directory,
/// a rootfs and a netns path, and asks by container id. Everything it needs to find a container again lives on
/// disk under `RuntimePaths` (runc state, conmon exit files, attach sockets).
