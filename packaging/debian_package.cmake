# SPDX-License-Identifier: Apache-2.0
# The Debian package (`make deb`, or `cpack -G DEB` in the build directory): everything the
# install() rules put under /usr, with its dependencies found by dpkg-shlibdeps from the
# binaries themselves (so they are the libraries actually linked, at the versions built with).
set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME anchor)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_CONTACT "anchor maintainers <anchor@localhost>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "private PKI for mutual-TLS device fleets")
set(CPACK_DEBIAN_PACKAGE_DESCRIPTION
    "private PKI for mutual-TLS device fleets
 anchor is a certificate authority with an online intermediate (anchor serve:
 EST enrollment and renewal, OCSP, CRL, an admin API), a device agent that makes
 its key, enrolls with a one-time token and renews itself (anchor-agent), and a
 Mosquitto plugin that gives each device its topics and drops it within a
 second of its revocation. systemd units, man pages and bash completion
 included.")
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION net)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
# `anchor demo` runs a broker and its clients, and the demo's HTTPS step uses curl; the plugin
# is loaded by mosquitto. None is needed to run a CA.
set(CPACK_DEBIAN_PACKAGE_RECOMMENDS "mosquitto, mosquitto-clients, curl")
# anchor-agent --tpm reaches the TPM through OpenSSL's tpm2 provider, loaded at run time.
set(CPACK_DEBIAN_PACKAGE_SUGGESTS "openssl, tpm2-openssl")
# Only what install() puts in the package: no build tree, no source.
set(CPACK_STRIP_FILES ON)
set(CPACK_SOURCE_IGNORE_FILES "/build.*/;/\\\\.git/")
include(CPack)
