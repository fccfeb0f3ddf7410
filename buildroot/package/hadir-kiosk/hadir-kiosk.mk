################################################################################
#
# hadir-kiosk
#
################################################################################

HADIR_KIOSK_VERSION = $(call qstrip,$(BR2_PACKAGE_HADIR_KIOSK_VERSION))
HADIR_KIOSK_SITE = $(call qstrip,$(BR2_PACKAGE_HADIR_KIOSK_REPO_URL))
HADIR_KIOSK_SITE_METHOD = git
HADIR_KIOSK_LICENSE = MIT or Apache-2.0
# The kiosk crate lives in kiosk/ of the workspace; cargo finds the workspace root and
# its Cargo.lock above it, and the download post-process vendors with -m kiosk/Cargo.toml.
HADIR_KIOSK_SUBDIR = kiosk
# bindgen (v4l) needs libclang on the build host.
HADIR_KIOSK_DEPENDENCIES = host-clang libinput libxkbcommon fontconfig udev
HADIR_KIOSK_CARGO_ENV = LIBCLANG_PATH=$(HOST_DIR)/lib
HADIR_KIOSK_CARGO_BUILD_OPTS = --bin hadir-kiosk
HADIR_KIOSK_CARGO_INSTALL_OPTS = --bin hadir-kiosk

$(eval $(cargo-package))
