/* Allocation policy: running out of memory is not an error vztmpl recovers
 * from. These say so on stderr, naming the size, and abort, so a NULL never
 * travels on to be dereferenced far from its cause; they never return NULL.
 * (The sandbox's child after a raw clone allocates nothing at all.) */
#pragma once
#include <stddef.h>

/* Says so and aborts: for the few allocators outside these (vasprintf, libraries' own). */
__attribute__((noreturn)) void vzt_out_of_memory(void);

void *vzt_malloc(size_t n) __attribute__((malloc, returns_nonnull, alloc_size(1)));
void *vzt_calloc(size_t n, size_t size) __attribute__((malloc, returns_nonnull, alloc_size(1, 2)));
/* realloc for arrays: n elements of size, overflow-checked. */
void *vzt_reallocarray(void *p, size_t n, size_t size) __attribute__((returns_nonnull, alloc_size(2, 3)));
void *vzt_realloc(void *p, size_t n) __attribute__((returns_nonnull, alloc_size(2)));
/* v (of *cap elements of size) grown to hold at least need, doubling;
 * VZT_GROW(v, cap, need) assigns it back. */
void *vzt_grow(void *v, size_t *cap, size_t need, size_t size) __attribute__((returns_nonnull));
#define VZT_GROW(v, cap, need) ((v) = vzt_grow((v), &(cap), (need), sizeof(*(v))))
