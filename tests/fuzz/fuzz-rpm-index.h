/* Shared by the primary and synthesis fuzz targets: one RPM index loader
 * over the input, as vzt_rpm_index_load calls it, then the walk. */
#pragma once
#include <solv/pool.h>
#include <solv/repo.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

void fuzz_rpm_index(const uint8_t *data, size_t size, int (*load)(Repo *repo, FILE *fp));
