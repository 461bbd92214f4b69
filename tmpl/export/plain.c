/* The plain template tars OpenVZ and Proxmox take (tar.gz, tar.xz, tar.zst, tar.bz2), the tar stream as the cache holds it. */
#include "config.h"
#include "tmpl/export/formats.h"
#include "tmpl/export/template.h"
#include "tmpl/arch.h"
#include "tmpl/pack.h"
#include "lib/cleanup.h"
#include "lib/log.h"
#include "lib/strutil.h"

#include <errno.h>
#include <stdbool.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

/* In a directory, each file is named as its platform names its own:
 * Proxmox's "<os>-<release>-<variant>_<version>_<arch>.tar.zst" (pveam's
 * appliance names, version = release and build date), OpenVZ's
 * "<os>-<release>-<arch>[-<variant>].tar.gz" (the template's own name). */
static char *platform_name(const struct vzt_manifest *m, enum vzt_pack_format fmt)
{
  if (fmt != VZT_PACK_ZST)
    return vzt_strdupf("%s.%s", m->name, vzt_pack_format_ext(fmt));
  const struct vzt_arch *a = vzt_arch_lookup(m->architecture ? m->architecture : "");
  struct tm tm;
  time_t t = m->source_date_epoch;
  char date[16];
  gmtime_r(&t, &tm);
  strftime(date, sizeof(date), "%Y%m%d", &tm);
  return vzt_strdupf("%s-%s-%s_%s-%s_%s.tar.zst", m->distribution, m->release,
                     m->variant && *m->variant ? m->variant : "default", m->release, date,
                     a ? a->deb : m->architecture);
}

int vzt_export_plain(const struct vzt_export_request *req, struct vzt_error **err)
{
  enum vzt_pack_format fmt;
  if (vzt_pack_format_parse(req->format, &fmt) < 0 || fmt == VZT_PACK_TAR)
    return vzt_fail(err, "%s is not a plain template format (tar.gz, tar.xz, tar.zst or tar.bz2)", req->format);
  struct stat st;
  bool into_dir = stat(req->out, &st) == 0 && S_ISDIR(st.st_mode);
  if (!into_dir && req->n != 1)
    return vzt_fail(err, "%zu templates need a directory for -o: %s is not one (create it first)", req->n,
                    req->out);
  for (size_t i = 0; i < req->n; i++) {
    struct vzt_export_template t;
    if (vzt_export_template_load(req->manifests[i], &t, err) < 0)
      return -1;
    _cleanup_free_ char *name = into_dir ? platform_name(&t.m, fmt) : NULL;
    _cleanup_free_ char *dest = into_dir ? vzt_path_join(req->out, name) : vzt_strdup(req->out);
    struct vzt_pack_result res;
    /* Two threads whatever the machine: xz's output is the same for any
     * count from two on, and the same template gives the same bytes. */
    int ret = vzt_pack_export(t.archive, dest, fmt, 2, &res, err);
    if (ret == 0)
      vzt_info("Wrote %s (%s, %llu bytes, sha256 %s)", dest, t.m.name, (unsigned long long) res.size, res.sha256);
    vzt_export_template_clear(&t);
    if (ret < 0)
      return -1;
  }
  return 0;
}
