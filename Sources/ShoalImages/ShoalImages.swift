/// ShoalImages owns the local image store: images loaded from `docker save` tarballs and OCI layouts, imported
/// root filesystems, pulled and pushed images, their tags, and the layers unpacked once per chain ID for overlayfs.
/// It must never keep a record that points at a missing or unverified layer, never leave a half-unpacked layer,
/// and never decide by itself whether a container uses an image (the engine tells it).
import Foundation
import ShoalCore

