################################################################################
#
# hadir-kiosk
#
################################################################################

HADIR_KIOSK_VERSION = $(call qstrip,$(BR2_PACKAGE_HADIR_KIOSK_VERSION))
HADIR_KIOSK_SITE = $(call qstrip,$(BR2_PACKAGE_HADIR_KIOSK_REPO_URL))
HADIR_KIOSK_SITE_METHOD = git
HADIR_KIOSK_LICENSE = MIT or Apache-2.0
# The kiosk crate lives in kiosk/ of the workspace; cargo finds the workspace root and its
# Cargo.lock above it, and the cargo download post-process vendors with -m kiosk/Cargo.toml.
# Every binary of the kiosk package is installed (cargo install --bins).
# The vendoring step (support/download/cargo-post-process) writes the workspace's
# .cargo/config.toml with the vendored sources, replacing ours (an xtask alias and the cross
# linker, which pkg-cargo sets through the environment anyway).
HADIR_KIOSK_SUBDIR = kiosk
# bindgen (the v4l crate's bindings to videodev2.h) loads the host's libclang and must read
# the target's kernel headers. Without the touchscreen, the kiosk links only the C library.
HADIR_KIOSK_DEPENDENCIES = host-clang
HADIR_KIOSK_CARGO_ENV = \
	LIBCLANG_PATH=$(HOST_DIR)/lib \
	BINDGEN_EXTRA_CLANG_ARGS="--sysroot=$(STAGING_DIR)"

# The touchscreen: the -sys crates find libinput, libxkbcommon and fontconfig through the
# cross pkg-config. `cargo install` builds again, so it gets the feature too.
ifeq ($(BR2_PACKAGE_HADIR_KIOSK_TOUCHSCREEN),y)
HADIR_KIOSK_DEPENDENCIES += host-pkgconf libinput libxkbcommon fontconfig udev
HADIR_KIOSK_CARGO_ENV += PKG_CONFIG_ALLOW_CROSS=1
HADIR_KIOSK_CARGO_BUILD_OPTS += --features board
HADIR_KIOSK_CARGO_INSTALL_OPTS += --features board
# The UI's own font and the fontconfig file that shows fontconfig only it (KIOSK_FONTCONFIG in
# the overlay's image.conf): screens look as tested, and text never lacks a font.
define HADIR_KIOSK_INSTALL_UI_FONT
	$(INSTALL) -D -m 0644 $(@D)/ui/fonts.conf $(TARGET_DIR)/usr/share/hadir/ui/fonts.conf
	$(INSTALL) -D -m 0644 -t $(TARGET_DIR)/usr/share/hadir/ui/fonts $(@D)/ui/fonts/*
endef
HADIR_KIOSK_POST_INSTALL_TARGET_HOOKS += HADIR_KIOSK_INSTALL_UI_FONT
endif

ifeq ($(BR2_PACKAGE_HADIR_KIOSK)$(BR_BUILDING),yy)
ifeq ($(HADIR_KIOSK_SITE),)
$(error BR2_PACKAGE_HADIR_KIOSK_REPO_URL is empty: set the Hadir git repository in menuconfig)
endif
ifeq ($(HADIR_KIOSK_VERSION),)
$(error BR2_PACKAGE_HADIR_KIOSK_VERSION is empty: set the Hadir commit in menuconfig)
endif
endif

$(eval $(cargo-package))
