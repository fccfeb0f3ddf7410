################################################################################
#
# hadir-models
#
################################################################################

HADIR_MODELS_VERSION = 0.0.1
# Buildroot checks a local SITE even when the package is off, hence the default: the models
# directory of the Hadir checkout this tree belongs to.
HADIR_MODELS_SITE = $(or $(call qstrip,$(BR2_PACKAGE_HADIR_MODELS_DIR)),$(BR2_EXTERNAL_HADIR_PATH)/../models/onnx)
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
