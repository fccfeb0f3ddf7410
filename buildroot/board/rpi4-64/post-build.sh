#!/bin/sh
# Hadir post-build (Buildroot runs it with TARGET_DIR as $1, after the overlay is copied).
# Makes the target tree what the shared init (buildroot/overlay) expects: the /data mount
# point, logs on /data, the update public key, the version stamp. Nothing here may add a
# login: the overlay's inittab is the only one.
set -eu
TARGET_DIR=$1

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

# Board modules: no vivid or virtio here.
sed -i 's/^MODULES=.*/MODULES="uvcvideo cdc_acm"/' "$TARGET_DIR/etc/hadir/image.conf"

# Guard: the image must not start a getty (Buildroot's own raspberrypi post-build adds one on tty1).
if grep -q "getty" "$TARGET_DIR/etc/inittab"; then
    echo "post-build: /etc/inittab starts a getty; Hadir allows none" >&2
    exit 1
fi
