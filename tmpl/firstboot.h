/* What a container made from a template does on its first start: its own ssh
 * host keys, and eth0 configured by DHCP with the network stack it has. */
#pragma once
#include "lib/error.h"
#include "tmpl/manifest.h"

/* Installs, by the packages in m and its init (m->init), only what applies:
 *  - openssh-server: a unit (systemd) or init script (sysvinit) running
 *    `ssh-keygen -A` before sshd when the host keys are missing;
 *  - eth0 by DHCP: a NetworkManager keyfile when NetworkManager is in the
 *    template, else /etc/network/interfaces.d/eth0 when ifupdown is, else a
 *    systemd-networkd eth0.network (networkd enabled) under systemd.
 * A template with none of these (a minbase without systemd or ssh) is left
 * as it is. Appends one line per step ("ssh-host-keys systemd /etc/...") to
 * *record, for the manifest's first_boot list. Writes happen in a worker
 * confined to root. */
int vzt_firstboot_apply(const char *root, const struct vzt_manifest *m, char ***record,
                        struct vzt_error **err);
