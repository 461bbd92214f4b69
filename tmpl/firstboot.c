/* First-boot set-up written into a template: ssh host keys made per container, eth0 by DHCP. */
#include "config.h"
#include "tmpl/firstboot.h"
#include "kernel-support/confine.h"
#include "lib/atomic-file.h"
#include "lib/cleanup.h"
#include "lib/fsutil.h"
#include "lib/strutil.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define KEYGEN_UNIT "vztmpl-ssh-keygen.service"

/* Ordered before both names sshd has (ssh.service on Debian, sshd.service on
 * Fedora and Mandriva); the condition keeps it a no-op once keys exist, so a
 * container's keys are made once and kept. */
static const char keygen_unit[] =
    "[Unit]\n"
    "Description=Generate this container's SSH host keys\n"
    "Before=ssh.service sshd.service\n"
    "ConditionPathExistsGlob=!/etc/ssh/ssh_host_*_key\n"
    "\n"
    "[Service]\n"
    "Type=oneshot\n"
    "ExecStart=/usr/bin/ssh-keygen -A\n"
    "RemainAfterExit=yes\n"
    "\n"
    "[Install]\n"
    "WantedBy=multi-user.target\n";

static const char keygen_script[] =
    "#!/bin/sh\n"
    "### BEGIN INIT INFO\n"
    "# Provides:          vztmpl-ssh-keygen\n"
    "# Required-Start:    $local_fs\n"
    "# Required-Stop:\n"
    "# X-Start-Before:    ssh sshd\n"
    "# Default-Start:     2 3 4 5\n"
    "# Default-Stop:\n"
    "# Short-Description: Generate this container's SSH host keys\n"
    "### END INIT INFO\n"
    "case \"$1\" in\n"
    "start)\n"
    "  ls /etc/ssh/ssh_host_*_key >/dev/null 2>&1 || /usr/bin/ssh-keygen -A\n"
    "  ;;\n"
    "esac\n"
    "exit 0\n";

static const char networkd_eth0[] =
    "[Match]\n"
    "Name=eth0\n"
    "\n"
    "[Network]\n"
    "DHCP=yes\n";

static const char ifupdown_eth0[] =
    "auto eth0\n"
    "iface eth0 inet dhcp\n";

static const char nm_eth0[] =
    "[connection]\n"
    "id=eth0\n"
    "type=ethernet\n"
    "interface-name=eth0\n"
    "\n"
    "[ipv4]\n"
    "method=auto\n"
    "\n"
    "[ipv6]\n"
    "method=auto\n";

enum fb_kind { FB_FILE, FB_LINK };

struct fb_op {
  enum fb_kind kind;
  const char *path; /* absolute, inside the root */
  const char *data; /* content, or the link's target */
  mode_t mode;
};

struct fb_plan {
  struct fb_op ops[16];
  size_t n;
};

static void add(struct fb_plan *p, enum fb_kind kind, const char *path, const char *data, mode_t mode)
{
  if (p->n == VZT_ARRAY_SIZE(p->ops))
    abort();
  p->ops[p->n++] = (struct fb_op){kind, path, data, mode};
}

/* Runs chrooted into the template: a link in it cannot send a write to the host. */
static int write_plan(void *arg, struct vzt_error **err)
{
  struct fb_plan *p = arg;
  for (size_t i = 0; i < p->n; i++) {
    const struct fb_op *op = &p->ops[i];
    _cleanup_free_ char *parent = vzt_strdup(op->path);
    if (vzt_mkdir_p(dirname(parent), 0755, err) < 0)
      return -1;
    if (op->kind == FB_LINK) {
      if (unlink(op->path) < 0 && errno != ENOENT)
        return vzt_fail_errno(err, errno, "cannot replace %s", op->path);
      if (symlink(op->data, op->path) < 0)
        return vzt_fail_errno(err, errno, "cannot create the link %s", op->path);
      continue;
    }
    if (vzt_write_file_atomic(AT_FDCWD, op->path, op->data, strlen(op->data), op->mode, err) < 0)
      return -1;
  }
  return 0;
}

static bool has_package(const struct vzt_manifest *m, const char *name)
{
  for (size_t i = 0; i < m->npackages; i++)
    if (m->packages[i].name && !strcmp(m->packages[i].name, name))
      return true;
  return false;
}

/* The unit directory of the template's systemd: merged-/usr trees have both. */
static const char *unit_dir(const char *root)
{
  _cleanup_free_ char *usr = vzt_path_join(root, "usr/lib/systemd/system");
  struct stat st;
  return stat(usr, &st) == 0 && S_ISDIR(st.st_mode) ? "/usr/lib/systemd/system" : "/lib/systemd/system";
}

static bool has_unit(const char *root, const char *dir, const char *unit)
{
  _cleanup_free_ char *rel = vzt_strdupf("%s/%s", dir + 1, unit);
  _cleanup_free_ char *path = vzt_path_join(root, rel);
  struct stat st;
  return lstat(path, &st) == 0;
}

int vzt_firstboot_apply(const char *root, const struct vzt_manifest *m, char ***record,
                        struct vzt_error **err)
{
  struct fb_plan p = {0};
  bool systemd = m->init && !strcmp(m->init, "systemd");
  bool sysvinit = m->init && !strcmp(m->init, "sysvinit");
  const char *units = unit_dir(root);
  _cleanup_free_ char *networkd_target = vzt_strdupf("%s/systemd-networkd.service", units);
  _cleanup_free_ char *networkd_socket = vzt_strdupf("%s/systemd-networkd.socket", units);

  if (has_package(m, "openssh-server") && systemd) {
    add(&p, FB_FILE, "/etc/systemd/system/" KEYGEN_UNIT, keygen_unit, 0644);
    add(&p, FB_LINK, "/etc/systemd/system/multi-user.target.wants/" KEYGEN_UNIT,
        "/etc/systemd/system/" KEYGEN_UNIT, 0);
    vzt_strv_push_take(record, vzt_strdup("ssh-host-keys systemd /etc/systemd/system/" KEYGEN_UNIT));
  } else if (has_package(m, "openssh-server") && sysvinit) {
    add(&p, FB_FILE, "/etc/init.d/vztmpl-ssh-keygen", keygen_script, 0755);
    /* What update-rc.d would link, without running the template's tools:
     * early in every multi-user runlevel, before ssh's own link. */
    static const char *const links[] = {"/etc/rc2.d/S01vztmpl-ssh-keygen", "/etc/rc3.d/S01vztmpl-ssh-keygen",
                                        "/etc/rc4.d/S01vztmpl-ssh-keygen", "/etc/rc5.d/S01vztmpl-ssh-keygen"};
    for (size_t i = 0; i < VZT_ARRAY_SIZE(links); i++)
      add(&p, FB_LINK, links[i], "../init.d/vztmpl-ssh-keygen", 0);
    vzt_strv_push_take(record, vzt_strdup("ssh-host-keys sysvinit /etc/init.d/vztmpl-ssh-keygen"));
  }

  if (has_package(m, "network-manager") || has_package(m, "NetworkManager")) {
    /* NetworkManager ignores keyfiles others can read. */
    add(&p, FB_FILE, "/etc/NetworkManager/system-connections/eth0.nmconnection", nm_eth0, 0600);
    vzt_strv_push_take(record, vzt_strdup("network networkmanager /etc/NetworkManager/system-connections/eth0.nmconnection"));
  } else if (has_package(m, "ifupdown")) {
    add(&p, FB_FILE, "/etc/network/interfaces.d/eth0", ifupdown_eth0, 0644);
    vzt_strv_push_take(record, vzt_strdup("network ifupdown /etc/network/interfaces.d/eth0"));
  } else if (systemd && has_unit(root, units, "systemd-networkd.service")) {
    add(&p, FB_FILE, "/etc/systemd/network/eth0.network", networkd_eth0, 0644);
    /* What `systemctl enable systemd-networkd` links, but the wait-online
     * unit: a container started without a network would wait minutes. */
    add(&p, FB_LINK, "/etc/systemd/system/multi-user.target.wants/systemd-networkd.service", networkd_target, 0);
    add(&p, FB_LINK, "/etc/systemd/system/dbus-org.freedesktop.network1.service", networkd_target, 0);
    if (has_unit(root, units, "systemd-networkd.socket"))
      add(&p, FB_LINK, "/etc/systemd/system/sockets.target.wants/systemd-networkd.socket", networkd_socket, 0);
    vzt_strv_push_take(record, vzt_strdup("network networkd /etc/systemd/network/eth0.network"));
  }
  if (!p.n)
    return 0;
  return vzt_confine_run(root, write_plan, &p, err) < 0 ? vzt_error_prefix(err, "first-boot set-up") : 0;
}
