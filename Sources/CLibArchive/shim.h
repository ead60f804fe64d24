#include <archive.h>
#include <archive_entry.h>
/* fsetxattr for overlayfs opaque markers: Swift's Glibc module does not export <sys/xattr.h>. */
#include <sys/xattr.h>
