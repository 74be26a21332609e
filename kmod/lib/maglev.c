// SPDX-License-Identifier: GPL-2.0
/* Weighted Maglev table construction; see maglev.h. */
#include "maglev.h"

/* kp_maglev_build empties a table by filling its bytes with 0xff. */
_Static_assert(KP_MAGLEV_EMPTY == 0xffff, "an empty entry is all ones");

static const u32 kp_maglev_sizes[] = {
	251, 509, 1021, 2039, 4093, 8191, 16381, 32749, 65521,
};

/* splitmix64's finaliser: cheap and well mixed. */
static u64 kp_mix64(u64 x)
{
	x ^= x >> 30;
	x *= 0xbf58476d1ce4e5b9ULL;
	x ^= x >> 27;
	x *= 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

u64 kp_hash64(const void *data, size_t len, u64 seed)
{
	const u8 *p = data;
	u64 h = 0xcbf29ce484222325ULL ^ kp_mix64(seed);	/* FNV-1a, then mixed */
	size_t i;

	for (i = 0; i < len; i++) {
		h ^= p[i];
		h *= 0x100000001b3ULL;
	}
	return kp_mix64(h);
}

bool kp_maglev_size_ok(u32 size)
{
	unsigned int i;

	for (i = 0; i < sizeof(kp_maglev_sizes) / sizeof(kp_maglev_sizes[0]); i++)
		if (kp_maglev_sizes[i] == size)
			return true;
	return false;
}

/* Processing order by key, so the result does not depend on input order. */
static void kp_maglev_order(const struct kp_maglev_backend *b, unsigned int n,
			    struct kp_maglev_scratch *s)
{
	unsigned int i, j;
	u32 cur;

	for (i = 0; i < n; i++) {
		cur = i;
		for (j = i; j > 0 && b[s[j - 1].order].key > b[cur].key; j--)
			s[j].order = s[j - 1].order;
		s[j].order = cur;
	}
}

/*
 * The backend's permutation is (offset + j * skip) % size for j = 0, 1, ...;
 * stepped by adding skip (< size) and subtracting size, not by a division
 * per probe: building tables is most of the cost of programming a service.
 * The walk is in locals: the kernel's -fno-strict-aliasing would otherwise
 * have every probe reload and store s->slot around the table read.
 */
static void kp_maglev_place(struct kp_maglev_scratch *s, u32 backend,
			    u16 *table, u32 size)
{
	u32 next = s->slot, skip = s->skip, slot;

	do {
		slot = next;
		next += skip;
		if (next >= size)
			next -= size;
	} while (table[slot] != KP_MAGLEV_EMPTY);
	table[slot] = (u16)backend;
	s->slot = next;
}

int kp_maglev_build(const struct kp_maglev_backend *b, unsigned int n,
		    struct kp_maglev_scratch *scratch, u16 *table, u32 size)
{
	u32 i, filled = 0, wmax = 0;

	if (!kp_maglev_size_ok(size) || n > KP_MAGLEV_MAX_BACKENDS)
		return -EINVAL;
	memset(table, 0xff, size * sizeof(*table));
	for (i = 0; i < n; i++) {
		scratch[i].slot = (u32)(b[i].key % size);
		scratch[i].skip = (u32)((b[i].key >> 32) % (size - 1)) + 1;
		scratch[i].credit = 0;
		if (b[i].weight > wmax)
			wmax = b[i].weight;
	}
	if (!wmax)
		return -ENOENT;
	kp_maglev_order(b, n, scratch);
	/*
	 * Each round every backend earns its weight in credit and takes one
	 * slot per wmax of credit: shares follow the weights.
	 */
	while (filled < size) {
		for (i = 0; i < n && filled < size; i++) {
			u32 k = scratch[i].order;
			struct kp_maglev_scratch *s = &scratch[k];

			s->credit += b[k].weight;
			while (s->credit >= wmax && filled < size) {
				s->credit -= wmax;
				kp_maglev_place(s, k, table, size);
				filled++;
			}
		}
	}
	return 0;
}
