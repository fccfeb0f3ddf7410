################################################################################
#
# hadir-models
#
################################################################################

HADIR_MODELS_VERSION = 0.0.1
HADIR_MODELS_SITE = $(call qstrip,$(BR2_PACKAGE_HADIR_MODELS_DIR))
HADIR_MODELS_SITE_METHOD = local
HADIR_MODELS_LICENSE = MIT

# Every model must match its pinned SHA-256 (the same sums as `cargo xtask setup`).
define HADIR_MODELS_INSTALL_TARGET_CMDS
	cd $(@D) && sha256sum -c $(HADIR_MODELS_PKGDIR)/models.sha256
	mkdir -p $(TARGET_DIR)/usr/share/hadir/models
	cd $(@D) && awk '{print $$2}' $(HADIR_MODELS_PKGDIR)/models.sha256 | \
		xargs -I{} $(INSTALL) -m 0644 {} $(TARGET_DIR)/usr/share/hadir/models/{}
endef

$(eval $(generic-package))
