################################################################################
#
# Hadir br2-external tree: the kiosk and its face models as Buildroot packages.
# The root filesystem overlay and the initramfs init are shared with the QEMU image
# built by `cargo xtask image` (see README.md).
#
################################################################################

include $(sort $(wildcard $(BR2_EXTERNAL_HADIR_PATH)/package/*/*.mk))
