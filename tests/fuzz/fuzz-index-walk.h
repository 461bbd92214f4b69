/* Shared by the index fuzz targets: what a build asks of every package an
 * index gave, and a resolution over them, so that a parsed index that is
 * odd but accepted still goes through our side of the code. */
#pragma once
#include <solv/pool.h>
#include <solv/repo.h>

/* Looks up each solvable's location, checksum and size, then resolves the
 * first package's name (with base, when given) and drops the result. */
void fuzz_walk_index(Pool *pool, Repo *repo, char *const *base);
