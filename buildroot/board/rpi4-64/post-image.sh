#!/bin/bash
# Hadir post-image: the SD card image: GPT with the FAT boot partition (firmware, the loader
# kernel and the initramfs made by post-build.sh), root slots rootfs-a/rootfs-b (squashfs) and
# the ext4 data partition, the same names the QEMU image uses, so the same init finds them.
set -euo pipefail
BOARD_DIR="$(dirname "$0")"
GENIMAGE_TMP="${BUILD_DIR}/genimage.tmp"

# --- the initramfs was made by post-build.sh (the root slot carries a copy with the kernel).
[ -s "${BINARIES_DIR}/initramfs.cpio.gz" ] || { echo "post-image: no initramfs.cpio.gz (post-build.sh makes it)" >&2; exit 1; }

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
