/* Shared by the fuzz targets: the libFuzzer entry point and a scratch file for parsers that read paths. */
#pragma once
#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Writes data to path (created or truncated); aborts on failure, which is
 * the harness's fault, not the input's. */
void fuzz_write_file(const char *path, const uint8_t *data, size_t size);
/* A private directory made once per process (removed at exit) to put
 * such files in. */
const char *fuzz_scratch_dir(void);
