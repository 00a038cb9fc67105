// Hardware paths for the two checksums on every byte transferred: SHA-256 with the x86 SHA
// extensions and CRC32C with SSE4.2's crc32 instruction. The portable Swift code remains the
// fallback and the reference the tests compare against.
#include "crudp_shim.h"

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#include <immintrin.h>
#include <pthread.h>

static int cpu_feature(unsigned leaf, unsigned subleaf, int reg, unsigned bit) {
    unsigned regs[4] = {0, 0, 0, 0};
    if ((unsigned)__get_cpuid_max(0, 0) < leaf) return 0;
    __cpuid_count(leaf, subleaf, regs[0], regs[1], regs[2], regs[3]);
    return (regs[reg] >> bit) & 1;
}

int crudp_has_sha256_instructions(void) {
    // SHA (leaf 7 EBX bit 29), SSSE3 (leaf 1 ECX bit 9), SSE4.1 (leaf 1 ECX bit 19).
    return cpu_feature(7, 0, 1, 29) && cpu_feature(1, 0, 2, 9) && cpu_feature(1, 0, 2, 19);
}

int crudp_has_crc32c_instruction(void) {
    return cpu_feature(1, 0, 2, 20);  // SSE4.2
}

static const uint32_t round_constants[64] = {
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
};

__attribute__((target("sha,sse4.1,ssse3")))
void crudp_sha256_blocks(uint32_t state[8], const uint8_t *data, size_t blocks) {
    // The instructions keep the state as two vectors, ABEF and CDGH.
    const __m128i byte_swap = _mm_set_epi64x(0x0c0d0e0f08090a0bULL, 0x0405060700010203ULL);
    __m128i dcba = _mm_loadu_si128((const __m128i *)&state[0]);
    __m128i hgfe = _mm_loadu_si128((const __m128i *)&state[4]);
    __m128i cdab = _mm_shuffle_epi32(dcba, 0xB1);
    __m128i efgh = _mm_shuffle_epi32(hgfe, 0x1B);
    __m128i abef = _mm_alignr_epi8(cdab, efgh, 8);
    __m128i cdgh = _mm_blend_epi16(efgh, cdab, 0xF0);

    while (blocks--) {
        const __m128i abef_start = abef, cdgh_start = cdgh;
        __m128i schedule[4];
        for (int i = 0; i < 4; i++) {
            schedule[i] = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)(data + 16 * i)), byte_swap);
        }
        for (int group = 0; group < 16; group++) {
            // Four rounds: two per sha256rnds2, on the low then the high half of W + K.
            __m128i wk = _mm_add_epi32(schedule[group & 3],
                                       _mm_loadu_si128((const __m128i *)&round_constants[4 * group]));
            cdgh = _mm_sha256rnds2_epu32(cdgh, abef, wk);
            wk = _mm_shuffle_epi32(wk, 0x0E);
            abef = _mm_sha256rnds2_epu32(abef, cdgh, wk);
            if (group < 12) {
                // W[t] = σ1(W[t−2]) + W[t−7] + σ0(W[t−15]) + W[t−16], four words ahead.
                __m128i next = _mm_sha256msg1_epu32(schedule[group & 3], schedule[(group + 1) & 3]);
                next = _mm_add_epi32(next, _mm_alignr_epi8(schedule[(group + 3) & 3], schedule[(group + 2) & 3], 4));
                schedule[group & 3] = _mm_sha256msg2_epu32(next, schedule[(group + 3) & 3]);
            }
        }
        abef = _mm_add_epi32(abef, abef_start);
        cdgh = _mm_add_epi32(cdgh, cdgh_start);
        data += 64;
    }

    __m128i feba = _mm_shuffle_epi32(abef, 0x1B);
    __m128i dchg = _mm_shuffle_epi32(cdgh, 0xB1);
    _mm_storeu_si128((__m128i *)&state[0], _mm_blend_epi16(feba, dchg, 0xF0));
    _mm_storeu_si128((__m128i *)&state[4], _mm_alignr_epi8(dchg, feba, 8));
}

// The crc32 instruction has a latency of 3 cycles and a throughput of 1: one dependent chain
// uses a third of it. Long inputs are therefore cut into rounds of three lanes, each lane with
// its own CRC register, and the lanes are joined after every round: the register after a lane
// and n more bytes is its register "shifted" through n zero bytes, XORed with the register of
// the n bytes alone (CRC is linear). That shift is a linear map of 32 bits, tabulated once per
// byte of the register. Two lane sizes: 408 bytes (a round covers a 1200-byte payload and its
// header in one go) and 128 bytes for shorter inputs.
typedef struct { size_t lane; uint32_t shift[4][256]; } crc_lanes;
static crc_lanes crc_long_lanes = { .lane = 408 }, crc_short_lanes = { .lane = 128 };
static pthread_once_t crc_lanes_once = PTHREAD_ONCE_INIT;

__attribute__((target("sse4.2")))
static uint32_t crc_through_zeros(uint32_t value, size_t bytes) {
    uint64_t register64 = value;
    for (size_t i = 0; i < bytes / 8; i++) register64 = _mm_crc32_u64(register64, 0);
    return (uint32_t)register64;
}

static void crc_tabulate(crc_lanes *lanes) {
    for (int byte = 0; byte < 4; byte++) {
        for (uint32_t value = 0; value < 256; value++) {
            lanes->shift[byte][value] = crc_through_zeros(value << (8 * byte), lanes->lane);
        }
    }
}

static void crc_build_lanes(void) {
    crc_tabulate(&crc_long_lanes);
    crc_tabulate(&crc_short_lanes);
}

static inline uint32_t crc_shift(const crc_lanes *lanes, uint32_t value) {
    return lanes->shift[0][value & 0xff] ^ lanes->shift[1][(value >> 8) & 0xff]
        ^ lanes->shift[2][(value >> 16) & 0xff] ^ lanes->shift[3][value >> 24];
}

/// Consumes whole rounds of three `lanes->lane`-byte lanes from *data, continuing `value`.
__attribute__((target("sse4.2")))
static inline uint64_t crc_rounds(const crc_lanes *lanes, uint64_t value, const uint8_t **data, size_t *length) {
    const size_t lane = lanes->lane;
    while (*length >= 3 * lane) {
        const uint8_t *bytes = *data;
        uint64_t lane1 = 0, lane2 = 0;
        for (size_t offset = 0; offset < lane; offset += 8) {
            uint64_t word0, word1, word2;
            __builtin_memcpy(&word0, bytes + offset, 8);
            __builtin_memcpy(&word1, bytes + lane + offset, 8);
            __builtin_memcpy(&word2, bytes + 2 * lane + offset, 8);
            value = _mm_crc32_u64(value, word0);
            lane1 = _mm_crc32_u64(lane1, word1);
            lane2 = _mm_crc32_u64(lane2, word2);
        }
        uint32_t joined = crc_shift(lanes, (uint32_t)value) ^ (uint32_t)lane1;
        value = crc_shift(lanes, joined) ^ (uint32_t)lane2;
        *data += 3 * lane;
        *length -= 3 * lane;
    }
    return value;
}

__attribute__((target("sse4.2")))
uint32_t crudp_crc32c_update(uint32_t crc, const uint8_t *data, size_t length) {
    uint64_t value = ~crc;
    if (length >= 3 * 128) {
        pthread_once(&crc_lanes_once, crc_build_lanes);
        value = crc_rounds(&crc_long_lanes, value, &data, &length);
        value = crc_rounds(&crc_short_lanes, value, &data, &length);
    }
    while (length >= 8) {
        uint64_t word;
        __builtin_memcpy(&word, data, 8);
        value = _mm_crc32_u64(value, word);
        data += 8;
        length -= 8;
    }
    uint32_t value32 = (uint32_t)value;
    while (length--) value32 = _mm_crc32_u8(value32, *data++);
    return ~value32;
}

#else

int crudp_has_sha256_instructions(void) { return 0; }
int crudp_has_crc32c_instruction(void) { return 0; }
void crudp_sha256_blocks(uint32_t state[8], const uint8_t *data, size_t blocks) { (void)state; (void)data; (void)blocks; }
uint32_t crudp_crc32c_update(uint32_t crc, const uint8_t *data, size_t length) { (void)data; (void)length; return crc; }

#endif
