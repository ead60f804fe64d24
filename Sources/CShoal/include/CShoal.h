#ifndef CSHOAL_H
#define CSHOAL_H
#include <sys/types.h>
#include <stdint.h>

/// Wrappers for libc calls the Swift Glibc module does not export (see FIELD-NOTES: setns, unshare, prctl),
/// and for calls whose C shapes (variadic, packed structs, unions) are awkward from Swift.
int cshoal_setns(int fd, int nstype);
int cshoal_unshare(int flags);
int cshoal_set_child_subreaper(void);
int cshoal_clone_newnet(void);
int cshoal_clone_newns(void);

/// Whether `path` (not followed if a symlink) is the root of a mount, by statx(2)'s STATX_ATTR_MOUNT_ROOT: 1 or
/// 0; -1 with errno when statx fails, -2 when the kernel does not report the attribute (before Linux 5.8).
int cshoal_is_mount_root(const char *path);

/// pidfd_open(2) through syscall(2): glibc 2.36's wrapper is not visible to Swift.
int cshoal_pidfd_open(pid_t pid);
/// pidfd_send_signal(2): signals a process by pidfd, immune to pid reuse.
int cshoal_pidfd_send_signal(int pidfd, int sig);

/// posix_spawn with an exact fd handover: child fd i gets parent fd `fds[i]` (or is closed when -1) for i < nfds,
/// every other fd is closed; signals are reset to default and unblocked; optional new session and cwd.
/// Returns 0 and the pid, or an errno value.
int cshoal_spawn(pid_t *pid, const char *path, char *const argv[], char *const envp[], const char *cwd,
                 const int *fds, int nfds, int new_session);

/// epoll helpers: epoll_event is packed on x86_64, so Swift never touches it.
int cshoal_epoll_create(void);
int cshoal_epoll_add(int epfd, int fd, uint32_t events, uint64_t token);
int cshoal_epoll_del(int epfd, int fd);
/// Waits for events; fills `tokens` and `events` (up to max). Returns the count or -1 with errno.
int cshoal_epoll_wait(int epfd, uint64_t *tokens, uint32_t *events, int max, int timeout_ms);
uint32_t cshoal_epollin(void);
uint32_t cshoal_epollout(void);

/// Mount wrappers (flags as in mount(2)); umount with MNT_DETACH.
int cshoal_mount(const char *source, const char *target, const char *fstype, unsigned long flags, const char *data);
int cshoal_umount_detach(const char *target);
/// statfs(2)'s f_type of the filesystem `path` is on (TMPFS_MAGIC …), or -1 with errno.
long cshoal_fs_type(const char *path);
/* lgetxattr(2): the value's length, or -1 with errno. */
long cshoal_lgetxattr(const char *path, const char *name, void *value, unsigned long size);
unsigned long cshoal_ms_bind(void);
unsigned long cshoal_ms_rec(void);
unsigned long cshoal_ms_rdonly(void);
unsigned long cshoal_ms_remount(void);
unsigned long cshoal_ms_nosuid(void);
unsigned long cshoal_ms_nodev(void);
unsigned long cshoal_ms_noexec(void);
unsigned long cshoal_ms_private(void);

/// Overlay mount through the new mount API (fsopen/fsconfig "lowerdir+"/fsmount/move_mount), which has no
/// page-size limit on the number of layers (kernel >= 6.8). Returns 0 or an errno value.
int cshoal_overlay_mount_fsconfig(const char *const lowers[], int nlowers, const char *upper, const char *work,
                                  const char *target, int readonly);

/// pipe2 with O_CLOEXEC (both ends) and O_NONBLOCK on the read end when asked.
int cshoal_pipe_cloexec(int fds[2], int nonblock_read);
/// Connects a SOCK_SEQPACKET unix socket (CLOEXEC, blocking) to `path`; returns the fd or -errno.
int cshoal_connect_seqpacket(const char *path);
/// open(path, O_PATH|O_DIRECTORY|O_CLOEXEC): a handle for /proc/self/fd/N/... paths beyond sun_path's 108 bytes.
int cshoal_open_dir_path(const char *path);
int cshoal_set_nonblocking(int fd, int on);
/// inotify_init1(IN_NONBLOCK|IN_CLOEXEC).
int cshoal_inotify_init(void);
/// Watches a file or directory for modify/close-write/create/moved-to/attrib/delete-self; returns the wd or -1.
int cshoal_inotify_add(int fd, const char *path);

/// Terminal window size of a tty fd.
int cshoal_set_winsize(int fd, unsigned short rows, unsigned short cols);

/// Opens a netlink socket (SOCK_RAW|SOCK_CLOEXEC) of `protocol` (e.g. NETLINK_ROUTE) in the calling thread's network
/// namespace, binds it to a kernel-chosen port id, asks for extended and capped ACKs (NETLINK_EXT_ACK,
/// NETLINK_CAP_ACK) and sets a receive timeout. Returns the fd (and the port id), or -errno.
int cshoal_netlink_open(int protocol, uint32_t *port_id, int recv_timeout_ms);
#endif
