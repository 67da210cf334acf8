// perc — Intel IPsec-MB backend: AES_CM PRF (RFC 3711 §4.3.3) and AES_256_CM_PRF (RFC 6188 §6)
// on the library's AES-ECB job, through the backend-neutral perc::aes_cm_prf recipe.
#pragma once

#include <perc/aes_cm_prf.hpp>
#include <perc/bytes.hpp>
#include <perc/errc.hpp>
#include <perc/ipsec_mb/manager.hpp>
#include <perc/secret_bytes.hpp>

#include <intel-ipsec-mb.h>

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>

namespace perc::ipsec_mb {

namespace detail {

/// The job API queues jobs inside the manager, so unlike the direct GCM functions it needs a
/// manager nobody else uses at the same time: one per thread, made on first key derivation
/// and freed at thread exit. Null if it could not be made.
inline IMB_MGR* kdf_manager() noexcept
{
    thread_local const manager_ptr m = make_manager();
    return m.get();
}

/// AES-ECB encryption of `count` blocks in place with expanded key `enc_keys`, as one job
/// that is submitted and, if still queued, flushed. Returns false on any library error.
inline bool ecb_encrypt(IMB_MGR* m, const void* enc_keys, const void* dec_keys,
                        std::size_t key_size, std::uint8_t* blocks, std::size_t count) noexcept
{
    IMB_JOB* job = m->get_next_job(m);
    if (job == nullptr) return false;
    job->enc_keys = enc_keys;
    job->dec_keys = dec_keys;
    job->key_len_in_bytes = key_size;
    job->src = blocks;
    job->dst = blocks;
    job->cipher_start_src_offset_in_bytes = 0;
    job->msg_len_to_cipher_in_bytes = 16 * count;
    job->hash_start_src_offset_in_bytes = 0;
    job->msg_len_to_hash_in_bytes = 0;
    job->iv = nullptr;
    job->iv_len_in_bytes = 0;
    job->auth_tag_output = nullptr;
    job->auth_tag_output_len_in_bytes = 0;
    job->cipher_mode = IMB_CIPHER_ECB;
    job->cipher_direction = IMB_DIR_ENCRYPT;
    job->hash_alg = IMB_AUTH_NULL;
    job->chain_order = IMB_ORDER_CIPHER_HASH;
    job->user_data = blocks;
    IMB_JOB* done = m->submit_job(m);
    bool ok = false;
    // Only this code uses this thread's manager, one job at a time: the job comes back from
    // submit or from the flushes that drain the queue.
    while (true) {
        if (done == nullptr) done = m->flush_job(m);
        if (done == nullptr) break;
        if (done->user_data == blocks) ok = done->status == IMB_STATUS_COMPLETED;
        done = nullptr;
    }
    return ok && imb_get_errno(m) == 0;
}

} // namespace detail

/// srtp_kdf policy keyed by a 16- or 32-octet master key, on IPsec-MB AES-ECB.
/// Allocation: the first derivation on a thread makes that thread's manager (about 200 KB,
/// freed at thread exit); key setup only, never on the per-packet path.
/// Thread safety: safe (each thread uses its own manager).
template <std::size_t KeySize>
struct aes_cm_kdf {
    static_assert(KeySize == 16 || KeySize == 32, "AES_CM PRF (16) or AES_256_CM_PRF (32)");
    static constexpr std::size_t master_key_size = KeySize;

    /// Errors: bad_salt_size, invalid_argument (more than 2^16 blocks), backend_failure (the
    /// library could not be initialized or reported an error; `out` is then wiped).
    static errc derive(std::span<const std::uint8_t, KeySize> master_key, bytes_view master_salt,
                       std::uint8_t label, bytes_span out) noexcept
    {
        IMB_MGR* m = detail::kdf_manager();
        if (m == nullptr) return errc::backend_failure;
        // Round keys for up to AES-256 (15 × 16 octets), 16-octet aligned as the library asks.
        alignas(16) std::uint8_t enc_keys[16 * 15];
        alignas(16) std::uint8_t dec_keys[16 * 15];
        scoped_wipe wipe_enc{enc_keys};
        scoped_wipe wipe_dec{dec_keys};
        if constexpr (KeySize == 16) m->keyexp_128(master_key.data(), enc_keys, dec_keys);
        else m->keyexp_256(master_key.data(), enc_keys, dec_keys);
        bool ok = true;
        const errc e = aes_cm_prf(
            [&](std::uint8_t* blocks, std::size_t n) {
                if (ok) ok = detail::ecb_encrypt(m, enc_keys, dec_keys, KeySize, blocks, n);
            },
            master_salt, label, out);
        if (e != errc::ok) return e;
        if (!ok) {
            secure_wipe(out);
            return errc::backend_failure;
        }
        return errc::ok;
    }
};

} // namespace perc::ipsec_mb
