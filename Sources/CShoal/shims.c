#include "CShoal.h"
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <spawn.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/vfs.h>
#include <sys/xattr.h>
#include <sys/inotify.h>
#include <termios.h>
#include <unistd.h>

int cshoal_setns(int fd, int nstype) { return setns(fd, nstype); }
int cshoal_unshare(int flags) { return unshare(flags); }
int cshoal_set_child_subreaper(void) { return prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0); }
int cshoal_clone_newnet(void) { return CLONE_NEWNET; }
int cshoal_clone_newns(void) { return CLONE_NEWNS; }

int cshoal_pidfd_open(pid_t pid) { return (int)syscall(SYS_pidfd_open, pid, 0); }
int cshoal_pidfd_send_signal(int pidfd, int sig) { return (int)syscall(SYS_pidfd_send_signal, pidfd, sig, NULL, 0); }

int cshoal_spawn(pid_t *pid, const char *path, char *const argv[], char *const envp[], const char *cwd,
                 const int *fds, int nfds, int new_session) {
    posix_spawn_file_actions_t actions;
    posix_spawnattr_t attr;
    int err = posix_spawn_file_actions_init(&actions);
    if (err) return err;
    err = posix_spawnattr_init(&attr);
    if (err) { posix_spawn_file_actions_destroy(&actions); return err; }

    /* Sources may collide with targets (e.g. 1->2 and 2->1): move every source above all targets first, with
       CLOEXEC, so the dup2 actions below never read a slot they already overwrote. */
    int temps[nfds > 0 ? nfds : 1];
    for (int i = 0; i < nfds; i++) temps[i] = -1;
    for (int i = 0; i < nfds && !err; i++) {
        if (fds[i] < 0) continue;
        temps[i] = fcntl(fds[i], F_DUPFD_CLOEXEC, nfds);
        if (temps[i] < 0) err = errno;
    }
    for (int i = 0; i < nfds && !err; i++) {
        if (temps[i] >= 0) err = posix_spawn_file_actions_adddup2(&actions, temps[i], i);
        else err = posix_spawn_file_actions_addopen(&actions, i, "/dev/null", O_RDWR, 0);
    }
    if (!err) err = posix_spawn_file_actions_addclosefrom_np(&actions, nfds);
    if (!err && cwd) err = posix_spawn_file_actions_addchdir_np(&actions, cwd);

    sigset_t all, none;
    sigfillset(&all);
    sigemptyset(&none);
    short flags = POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF;
    if (new_session) flags |= POSIX_SPAWN_SETSID;
    if (!err) err = posix_spawnattr_setflags(&attr, flags);
    if (!err) err = posix_spawnattr_setsigmask(&attr, &none);
    if (!err) err = posix_spawnattr_setsigdefault(&attr, &all);
    if (!err) err = posix_spawn(pid, path, &actions, &attr, argv, envp);

    for (int i = 0; i < nfds; i++) if (temps[i] >= 0) close(temps[i]);
    posix_spawn_file_actions_destroy(&actions);
    posix_spawnattr_destroy(&attr);
    return err;
}

int cshoal_epoll_create(void) { return epoll_create1(EPOLL_CLOEXEC); }
int cshoal_epoll_add(int epfd, int fd, uint32_t events, uint64_t token) {
    struct epoll_event ev;
    memset(&ev, 0, sizeof ev);
    ev.events = events | EPOLLONESHOT;
    ev.data.u64 = token;
    return epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev);
}
int cshoal_epoll_del(int epfd, int fd) { return epoll_ctl(epfd, EPOLL_CTL_DEL, fd, NULL); }
int cshoal_epoll_wait(int epfd, uint64_t *tokens, uint32_t *events, int max, int timeout_ms) {
    struct epoll_event evs[64];
    if (max > 64) max = 64;
    int n = epoll_wait(epfd, evs, max, timeout_ms);
    for (int i = 0; i < n; i++) { tokens[i] = evs[i].data.u64; events[i] = evs[i].events; }
    return n;
}
uint32_t cshoal_epollin(void) { return EPOLLIN | EPOLLRDHUP; }
uint32_t cshoal_epollout(void) { return EPOLLOUT; }

int cshoal_mount(const char *source, const char *target, const char *fstype, unsigned long flags, const char *data) {
    return mount(source, target, fstype, flags, data);
}
int cshoal_umount_detach(const char *target) { return umount2(target, MNT_DETACH); }

long cshoal_fs_type(const char *path) {
    struct statfs info;
    if (statfs(path, &info) != 0) return -1;
    return (long)info.f_type;
}
long cshoal_lgetxattr(const char *path, const char *name, void *value, unsigned long size) {
    return lgetxattr(path, name, value, size);
}
unsigned long cshoal_ms_bind(void) { return MS_BIND; }
unsigned long cshoal_ms_rec(void) { return MS_REC; }
unsigned long cshoal_ms_rdonly(void) { return MS_RDONLY; }
unsigned long cshoal_ms_remount(void) { return MS_REMOUNT; }
unsigned long cshoal_ms_nosuid(void) { return MS_NOSUID; }
unsigned long cshoal_ms_nodev(void) { return MS_NODEV; }
unsigned long cshoal_ms_noexec(void) { return MS_NOEXEC; }
unsigned long cshoal_ms_private(void) { return MS_PRIVATE; }

/* New mount API constants (linux/mount.h), spelled out so old headers do not matter. */
#define CSHOAL_FSCONFIG_SET_STRING 1
#define CSHOAL_FSCONFIG_SET_FLAG 0
#define CSHOAL_FSCONFIG_CMD_CREATE 6
#define CSHOAL_FSOPEN_CLOEXEC 1
#define CSHOAL_FSMOUNT_CLOEXEC 1
#define CSHOAL_MOUNT_ATTR_RDONLY 1
#define CSHOAL_MOVE_MOUNT_F_EMPTY_PATH 4

int cshoal_overlay_mount_fsconfig(const char *const lowers[], int nlowers, const char *upper, const char *work,
                                  const char *target, int readonly) {
    int fsfd = (int)syscall(SYS_fsopen, "overlay", CSHOAL_FSOPEN_CLOEXEC);
    if (fsfd < 0) return errno;
    int err = 0;
    for (int i = 0; i < nlowers && !err; i++)
        if (syscall(SYS_fsconfig, fsfd, CSHOAL_FSCONFIG_SET_STRING, "lowerdir+", lowers[i], 0) < 0) err = errno;
    if (!err && upper && syscall(SYS_fsconfig, fsfd, CSHOAL_FSCONFIG_SET_STRING, "upperdir", upper, 0) < 0) err = errno;
    if (!err && work && syscall(SYS_fsconfig, fsfd, CSHOAL_FSCONFIG_SET_STRING, "workdir", work, 0) < 0) err = errno;
    if (!err && syscall(SYS_fsconfig, fsfd, CSHOAL_FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0) err = errno;
    int mfd = -1;
    if (!err) {
        mfd = (int)syscall(SYS_fsmount, fsfd, CSHOAL_FSMOUNT_CLOEXEC, readonly ? CSHOAL_MOUNT_ATTR_RDONLY : 0);
        if (mfd < 0) err = errno;
    }
    if (!err && syscall(SYS_move_mount, mfd, "", AT_FDCWD, target, CSHOAL_MOVE_MOUNT_F_EMPTY_PATH) < 0) err = errno;
    if (mfd >= 0) close(mfd);
    close(fsfd);
    return err;
}

int cshoal_set_winsize(int fd, unsigned short rows, unsigned short cols) {
    struct winsize ws;
    memset(&ws, 0, sizeof ws);
    ws.ws_row = rows;
    ws.ws_col = cols;
    return ioctl(fd, TIOCSWINSZ, &ws);
}

int cshoal_pipe_cloexec(int fds[2], int nonblock_read) {
    if (pipe2(fds, O_CLOEXEC) < 0) return -1;
    if (nonblock_read) fcntl(fds[0], F_SETFL, fcntl(fds[0], F_GETFL) | O_NONBLOCK);
    return 0;
}

int cshoal_connect_seqpacket(const char *path) {
    struct sockaddr_un addr;
    memset(&addr, 0, sizeof addr);
    addr.sun_family = AF_UNIX;
    if (strlen(path) >= sizeof addr.sun_path) return -ENAMETOOLONG;
    strcpy(addr.sun_path, path);
    int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
    if (fd < 0) return -errno;
    if (connect(fd, (struct sockaddr *)&addr, sizeof addr) < 0) {
        int e = errno;
        close(fd);
        return -e;
    }
    return fd;
}

int cshoal_open_dir_path(const char *path) { return open(path, O_PATH | O_DIRECTORY | O_CLOEXEC); }

int cshoal_set_nonblocking(int fd, int on) {
    int flags = fcntl(fd, F_GETFL);
    if (flags < 0) return -1;
    return fcntl(fd, F_SETFL, on ? (flags | O_NONBLOCK) : (flags & ~O_NONBLOCK));
}

int cshoal_inotify_init(void) { return inotify_init1(IN_NONBLOCK | IN_CLOEXEC); }
int cshoal_inotify_add(int fd, const char *path) {
    return inotify_add_watch(fd, path, IN_MODIFY | IN_CLOSE_WRITE | IN_CREATE | IN_MOVED_TO | IN_ATTRIB | IN_DELETE_SELF);
}

#include <linux/netlink.h>
#include <sys/time.h>

int cshoal_netlink_open(int protocol, uint32_t *port_id, int recv_timeout_ms) {
    int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, protocol);
    if (fd < 0) return -errno;
    int one = 1;
    /* Best effort: extended ACKs only add the kernel's error text; capped ACKs keep error replies small. */
    (void)setsockopt(fd, SOL_NETLINK, NETLINK_EXT_ACK, &one, sizeof one);
    (void)setsockopt(fd, SOL_NETLINK, NETLINK_CAP_ACK, &one, sizeof one);
    if (recv_timeout_ms > 0) {
        struct timeval tv = { .tv_sec = recv_timeout_ms / 1000, .tv_usec = (recv_timeout_ms % 1000) * 1000 };
        (void)setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    }
    struct sockaddr_nl addr;
    memset(&addr, 0, sizeof addr);
    addr.nl_family = AF_NETLINK;
    socklen_t len = sizeof addr;
    if (bind(fd, (struct sockaddr *)&addr, sizeof addr) < 0 || getsockname(fd, (struct sockaddr *)&addr, &len) < 0) {
        int e = errno;
        close(fd);
        return -e;
    }
    if (port_id) *port_id = addr.nl_pid;
    return fd;
}

#ifndef STATX_ATTR_MOUNT_ROOT
#define STATX_ATTR_MOUNT_ROOT 0x00002000
#endif

int cshoal_is_mount_root(const char *path) {
    struct statx attributes;
    if (statx(AT_FDCWD, path, AT_SYMLINK_NOFOLLOW, 0, &attributes) != 0) return -1;
    if (!(attributes.stx_attributes_mask & STATX_ATTR_MOUNT_ROOT)) return -2;
    return (attributes.stx_attributes & STATX_ATTR_MOUNT_ROOT) ? 1 : 0;
}
