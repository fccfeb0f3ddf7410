#!/bin/bash
# Hadir post-image: builds the initramfs (the shared buildroot/initramfs/init with the
# target's busybox) and the SD card image: GPT with the FAT boot partition, root slots
# rootfs-a/rootfs-b (squashfs) and the ext4 data partition, the same names the QEMU image
# uses, so the same init finds them.
set -euo pipefail
BOARD_DIR="$(dirname "$0")"
INITRAMFS_DIR="${BUILD_DIR}/hadir-initramfs"
GENIMAGE_TMP="${BUILD_DIR}/genimage.tmp"

# --- initramfs: busybox, its libraries, the init (no modules: built into the kernel).
rm -rf "${INITRAMFS_DIR}"
mkdir -p "${INITRAMFS_DIR}"/{bin,sbin,dev,etc,proc,sys,run,data,newroot,tmp,usr/bin,usr/sbin,lib}
cp -a "${TARGET_DIR}/bin/busybox" "${INITRAMFS_DIR}/bin/busybox"
ln -sf busybox "${INITRAMFS_DIR}/bin/sh"
READELF=$(ls "${HOST_DIR}"/bin/*-readelf | head -n1)
copy_needed() { # ELF file -> copy its DT_NEEDED libraries from the target, recursively
    for lib in $("${READELF}" -d "$1" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p'); do
        [ -e "${INITRAMFS_DIR}/lib/${lib}" ] && continue
        src=$(find "${TARGET_DIR}/lib" "${TARGET_DIR}/usr/lib" -maxdepth 1 -name "${lib}" | head -n1)
        [ -n "${src}" ] || { echo "post-image: ${lib} (needed by $1) not in the target" >&2; exit 1; }
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
(cd "${INITRAMFS_DIR}" && find . | LC_ALL=C sort | cpio --quiet -o -H newc --owner=0:0 | gzip -9 -n) \
    > "${BINARIES_DIR}/initramfs.cpio.gz"

# --- data partition: empty store, slot A committed.
DATA_DIR="${BUILD_DIR}/hadir-data"
rm -rf "${DATA_DIR}"
mkdir -p "${DATA_DIR}"/{boot,config,log,kiosk}
echo a > "${DATA_DIR}/boot/committed"
rm -f "${BINARIES_DIR}/data.ext4"
"${HOST_DIR}/sbin/mke2fs" -q -t ext4 -L hadir-data -E root_owner=0:0 -d "${DATA_DIR}" \
    "${BINARIES_DIR}/data.ext4" 256M

# --- the boot partition's files, as Buildroot's raspberrypi post-image lists them.
FILES=()
for i in "${BINARIES_DIR}"/*.dtb "${BINARIES_DIR}"/rpi-firmware/*; do
    FILES+=( "${i#"${BINARIES_DIR}"/}" )
done
FILES+=( "Image" "initramfs.cpio.gz" )
BOOT_FILES=$(printf '\\t\\t\\t"%s",\\n' "${FILES[@]}")
sed "s|#BOOT_FILES#|${BOOT_FILES}|" "${BOARD_DIR}/genimage.cfg.in" > "${BINARIES_DIR}/genimage.cfg"

ROOTPATH_TMP="$(mktemp -d)"
trap 'rm -rf "${ROOTPATH_TMP}"' EXIT
rm -rf "${GENIMAGE_TMP}"
genimage --rootpath "${ROOTPATH_TMP}" --tmppath "${GENIMAGE_TMP}" \
    --inputpath "${BINARIES_DIR}" --outputpath "${BINARIES_DIR}" \
    --config "${BINARIES_DIR}/genimage.cfg"
for f in Image initramfs.cpio.gz rootfs.squashfs data.ext4 sdcard.img; do
    printf '  %-20s %8d KiB\n' "$f" $(( $(stat -c %s "${BINARIES_DIR}/$f") / 1024 ))
done
