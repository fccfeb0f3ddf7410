#!/bin/bash
# Hadir post-build (Buildroot runs it with TARGET_DIR as $1, after the overlay is copied).
# Makes the target tree what the shared init (buildroot/overlay) expects: the /data mount
# point, logs on /data, the update public key, the version stamp, the initramfs and the slot's
# own kernel in /boot. Nothing here may add a login: the overlay's inittab is the only one.
set -euo pipefail
TARGET_DIR=$1
INITRAMFS_DIR="${BUILD_DIR}/hadir-initramfs"

mkdir -p "$TARGET_DIR/data" "$TARGET_DIR/usr/share/hadir" "$TARGET_DIR/etc/hadir"
rm -rf "$TARGET_DIR/var/log"
ln -s /data/log "$TARGET_DIR/var/log"

# The update key: bundles for this build are accepted only when signed by its private half.
if [ -z "${HADIR_UPDATE_PUB:-}" ] || [ ! -s "$HADIR_UPDATE_PUB" ]; then
    echo "post-build: set HADIR_UPDATE_PUB to the signify-format public update key" >&2
    echo "            (cargo xtask image writes the development one to target/image/rootfs-stage/etc/hadir/update.pub)" >&2
    exit 1
fi
install -m 0644 "$HADIR_UPDATE_PUB" "$TARGET_DIR/etc/hadir/update.pub"

version=$(cd "$BR2_EXTERNAL_HADIR_PATH" && git describe --always --dirty 2>/dev/null || echo unknown)
echo "$version" > "$TARGET_DIR/etc/hadir/version"
cat > "$TARGET_DIR/etc/os-release" <<EOT
NAME=Hadir
ID=hadir
PRETTY_NAME="Hadir firmware ($version, Raspberry Pi 4)"
VERSION_ID=$version
EOT

# --- The initramfs (busybox, its libraries, the shared init; no modules: they are built into
# the kernel) and the kernel, on the FAT partition as the loader and in the root slot as the
# slot's own (/boot): an update bundle then carries its kernel, and rcS kexecs into it when the
# FAT partition's kernel is another one (buildroot/README.md, "The kernel is in the slot").
rm -rf "${INITRAMFS_DIR}"
mkdir -p "${INITRAMFS_DIR}"/{bin,sbin,dev,etc,proc,sys,run,data,newroot,tmp,usr/bin,usr/sbin,lib}
cp -a "${TARGET_DIR}/bin/busybox" "${INITRAMFS_DIR}/bin/busybox"
ln -sf busybox "${INITRAMFS_DIR}/bin/sh"
READELF=$(ls "${HOST_DIR}"/bin/*-readelf | head -n1)
copy_needed() { # ELF file -> copy its DT_NEEDED libraries from the target, recursively
    for lib in $("${READELF}" -d "$1" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p'); do
        [ -e "${INITRAMFS_DIR}/lib/${lib}" ] && continue
        src=$(find "${TARGET_DIR}/lib" "${TARGET_DIR}/usr/lib" -maxdepth 1 -name "${lib}" | head -n1)
        [ -n "${src}" ] || { echo "post-build: ${lib} (needed by $1) not in the target" >&2; exit 1; }
        cp -L "${src}" "${INITRAMFS_DIR}/lib/${lib}"
        copy_needed "${INITRAMFS_DIR}/lib/${lib}"
    done
}
copy_needed "${INITRAMFS_DIR}/bin/busybox"
interp=$("${READELF}" -l "${TARGET_DIR}/bin/busybox" | sed -n 's/.*interpreter: \(.*\)\]/\1/p')
if [ -n "${interp}" ]; then
    mkdir -p "${INITRAMFS_DIR}$(dirname "${interp}")"
    cp -L "${TARGET_DIR}${interp}" "${INITRAMFS_DIR}${interp}"
fi
install -m 0755 "${BR2_EXTERNAL_HADIR_PATH}/initramfs/init" "${INITRAMFS_DIR}/init"
: > "${INITRAMFS_DIR}/etc/modules"
sha256sum "${BINARIES_DIR}/Image" | cut -d' ' -f1 > "${INITRAMFS_DIR}/etc/loader-kernel.sha256"
(cd "${INITRAMFS_DIR}" && find . | LC_ALL=C sort | cpio --quiet -o -H newc --owner=0:0 | gzip -9 -n) \
    > "${BINARIES_DIR}/initramfs.cpio.gz"
mkdir -p "${TARGET_DIR}/boot"
cp "${BINARIES_DIR}/Image" "${TARGET_DIR}/boot/vmlinuz"
cp "${BINARIES_DIR}/initramfs.cpio.gz" "${TARGET_DIR}/boot/initramfs.cpio.gz"
cp "${INITRAMFS_DIR}/etc/loader-kernel.sha256" "${TARGET_DIR}/boot/kernel.sha256"

# Board modules: no vivid or virtio here.
sed -i 's/^MODULES=.*/MODULES="uvcvideo cdc_acm"/' "$TARGET_DIR/etc/hadir/image.conf"

# Guard: the image must not start a getty (Buildroot's own raspberrypi post-build adds one on tty1).
if grep -q "getty" "$TARGET_DIR/etc/inittab"; then
    echo "post-build: /etc/inittab starts a getty; Hadir allows none" >&2
    exit 1
fi
