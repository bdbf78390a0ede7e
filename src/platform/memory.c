/*
 * The engine's memory. QuickJS allocates and frees a great many small blocks
 * (objects, shapes, strings, the functions of the bytecode it reads) and asks
 * for each block's usable size to count its heap; musl's allocator spent 43%
 * of a one-shot's instructions there (callgrind). Small blocks therefore come
 * from slabs: 16 KiB runs of one size class, carved from one reserved region
 * of address space, with a free list in each slab; a slab's class is in its
 * header, so a block's size costs one load. A slab that empties is given back
 * to the kernel (MADV_DONTNEED) unless it is the last of its class, so memory
 * follows use, not the peak of boot. Larger blocks are musl's.
 *
 * The region is reserved PROT_NONE (no commit charge, under any overcommit
 * policy) and made usable sixteen slabs at a time; when it is full, small blocks
 * come from musl too. Nothing here is shared between threads: we have one.
 */
#define _GNU_SOURCE
#include <malloc.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "platform.h"

#define SLAB_BYTES 16384
#define REGION_BYTES ((size_t)64 << 20)
/* The region is made usable this much at a time: one mprotect for sixteen slabs. */
#define COMMIT_BYTES (16 * SLAB_BYTES)
#define LARGEST_SMALL 1024

struct slab {
  struct slab *next;
  struct slab *previous;
  /* Freed blocks, each holding the next one's address. */
  void *free;
  uint16_t size;
  uint16_t class;
  uint16_t used;
  uint16_t capacity;
  /* Blocks never handed out yet, from the end of the used part: no free list to build. */
  uint16_t fresh;
};

/* Whole multiples of 16, so that every block stays 16-byte aligned after the 48-byte header. */
#define HEADER_BYTES 48
static const uint16_t class_sizes[] = {16, 32, 48, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320, 384, 448, 512, 640, 768, 896, 1024};
#define CLASSES countof(class_sizes)

/* The smallest class that holds `size` (1 to LARGEST_SMALL): steps of 16 to 128, of 32 to 256, 64 to 512, 128 to 1024. */
static unsigned class_of(size_t size) {
  if (size <= 128) return (unsigned)((size + 15) / 16) - 1;
  if (size <= 256) return 7 + (unsigned)((size - 128 + 31) / 32);
  if (size <= 512) return 11 + (unsigned)((size - 256 + 63) / 64);
  return 15 + (unsigned)((size - 512 + 127) / 128);
}

static char *region;
static char *region_top;
static char *region_committed;
static char *region_end;
/* Slabs with a free block, per class; the first is used first. */
static struct slab *partial[CLASSES];
/* Slabs given back to the kernel, to be used again before new ones are carved. */
static struct slab *released;

static bool in_region(const void *pointer) {
  return (const char *)pointer >= region && (const char *)pointer < region_end;
}

static bool reserve_region(void) {
  /* One slab more than the region, to align it on a slab. */
  char *reserved = mmap(NULL, REGION_BYTES + SLAB_BYTES, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (reserved == MAP_FAILED) return false;
  region = (char *)(((uintptr_t)reserved + SLAB_BYTES - 1) & ~(uintptr_t)(SLAB_BYTES - 1));
  region_top = region_committed = region;
  region_end = region + REGION_BYTES;
  return true;
}

static void unlink_partial(struct slab *slab) {
  if (slab->previous != NULL) slab->previous->next = slab->next;
  else partial[slab->class] = slab->next;
  if (slab->next != NULL) slab->next->previous = slab->previous;
  slab->next = slab->previous = NULL;
}

static void push_partial(struct slab *slab) {
  slab->previous = NULL;
  slab->next = partial[slab->class];
  if (slab->next != NULL) slab->next->previous = slab;
  partial[slab->class] = slab;
}

static struct slab *new_slab(unsigned class) {
  struct slab *slab = released;
  if (slab != NULL) {
    released = slab->next;
  } else {
    if (region == NULL && !reserve_region()) return NULL;
    if (region_top == region_end) return NULL;
    if (region_top == region_committed) {
      if (mprotect(region_committed, COMMIT_BYTES, PROT_READ | PROT_WRITE) != 0) return NULL;
      region_committed += COMMIT_BYTES;
    }
    slab = (struct slab *)region_top;
    region_top += SLAB_BYTES;
  }
  memset(slab, 0, sizeof *slab);
  slab->class = (uint16_t)class;
  slab->size = class_sizes[class];
  slab->capacity = (uint16_t)((SLAB_BYTES - HEADER_BYTES) / slab->size);
  push_partial(slab);
  return slab;
}

static void *small_alloc(unsigned class) {
  struct slab *slab = partial[class];
  if (slab == NULL && (slab = new_slab(class)) == NULL) return NULL;
  void *block;
  if (slab->free != NULL) {
    block = slab->free;
    slab->free = *(void **)block;
  } else {
    block = (char *)slab + HEADER_BYTES + (size_t)slab->fresh++ * slab->size;
  }
  if (++slab->used == slab->capacity) unlink_partial(slab);
  return block;
}

static void small_free(void *block) {
  struct slab *slab = (struct slab *)((uintptr_t)block & ~(uintptr_t)(SLAB_BYTES - 1));
  *(void **)block = slab->free;
  slab->free = block;
  if (slab->used-- == slab->capacity) push_partial(slab);
  /* Empty: back to the kernel, unless it is all its class has (a block freed and taken again would fault it back). */
  if (slab->used == 0 && !(partial[slab->class] == slab && slab->next == NULL)) {
    unlink_partial(slab);
    madvise(slab, SLAB_BYTES, MADV_DONTNEED);
    slab->next = released;
    released = slab;
  }
}

static size_t usable_size(const void *block) {
  if (block == NULL) return 0;
  if (!in_region(block)) return malloc_usable_size((void *)block);
  return ((const struct slab *)((uintptr_t)block & ~(uintptr_t)(SLAB_BYTES - 1)))->size;
}

static void *engine_malloc(JSMallocState *state, size_t size) {
  if (state->malloc_size + size > state->malloc_limit) return NULL;
  void *block = size - 1 < LARGEST_SMALL ? small_alloc(class_of(size)) : NULL;
  if (block == NULL && (block = malloc(size)) == NULL) return NULL;
  state->malloc_count++;
  state->malloc_size += usable_size(block);
  return block;
}

static void engine_free(JSMallocState *state, void *block) {
  if (block == NULL) return;
  state->malloc_count--;
  state->malloc_size -= usable_size(block);
  if (in_region(block)) small_free(block);
  else free(block);
}

static void *engine_realloc(JSMallocState *state, void *block, size_t size) {
  if (block == NULL) return size == 0 ? NULL : engine_malloc(state, size);
  if (size == 0) {
    engine_free(state, block);
    return NULL;
  }
  size_t old = usable_size(block);
  /* Within its class (or shrinking, which is what QuickJS asks at most): it stays where it is. */
  if (in_region(block) && size <= old && (size > old / 2 || old <= 16)) return block;
  if (!in_region(block) && size > LARGEST_SMALL) {
    if (state->malloc_size - old + size > state->malloc_limit) return NULL;
    void *moved = realloc(block, size);
    if (moved == NULL) return NULL;
    state->malloc_size += usable_size(moved) - old;
    return moved;
  }
  void *moved = engine_malloc(state, size);
  if (moved == NULL) return NULL;
  memcpy(moved, block, old < size ? old : size);
  engine_free(state, block);
  return moved;
}

const JSMallocFunctions engine_memory = {engine_malloc, engine_free, engine_realloc, usable_size};
