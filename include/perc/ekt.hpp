// perc — RFC 8870 Encrypted Key Transport: the sender's EKTField schedule and the receiver's
// processing of EKT Tags (for PERC, carrying the end-to-end half of the double master key).
#pragma once

#include <perc/bytes.hpp>
#include <perc/concepts.hpp>
#include <perc/ekt_field.hpp>
#include <perc/errc.hpp>
#include <perc/result.hpp>
#include <perc/secret_bytes.hpp>
#include <perc/stream_table.hpp>

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>

namespace perc {

/// An EKTKey as delivered by the DTLS `ekt_key` message (RFC 8870 §5.2.2).
struct ekt_key_params {
    std::uint16_t spi = 0;
    bytes_view ekt_key;            ///< ekt_key_value: 16 (AESKW128) or 32 (AESKW256) octets
    bytes_view srtp_master_salt;   ///< 1..256 octets; receivers use the first N (§4.3.2 step 4)
    std::uint32_t ttl_seconds = 0; ///< ekt_ttl (uint24); 0 = no limit configured
};

inline constexpr std::size_t ekt_max_salt_size = 32; ///< salt octets kept (SRTP needs ≤ 14)

// ------------------------------------------------------------------------------- sender

/// When a sender emits a FullEKTField (RFC 8870 §4.6).
struct ekt_sender_options {
    unsigned full_repeats = 3; ///< consecutive Full fields on start and re-key (RECOMMENDED 3)
    std::uint64_t full_interval_ms =
        100;                       ///< periodic Full field for new receivers (audio only: 100 ms)
    bool full_on_key_frame = true; ///< with video, send Full with each intra-coded frame
    std::uint64_t key_overlap_ms = 250; ///< keep protecting with the old key this long (§4.3.1)
};

/// The EKT state of ONE sending SSRC. It carries that SSRC's end-to-end master key (in PERC
/// the inner half of the double key, RFC 8870 §4.3.2 step 6, RFC 8871 §4.5.1) to receivers.
/// Allocation: set_ekt_key only (key schedule). Thread safety: one object is not.
template <ekt_key_wrap KeyWrap, std::size_t MaxKeySize = KeyWrap::key_size>
class ekt_sender {
    static_assert(MaxKeySize <= KeyWrap::key_size,
                  "RFC 8870 §6: the EKT cipher's key must be at least as long as the SRTP key");

public:
    /// Installs the EKTKey (SPI, key, salt). RFC 8870 §4.1: the Epoch restarts at 0 with a
    /// new EKTKey; §4.5: the master key must then change too (call set_master_key).
    /// Errors: bad_key_size, bad_salt_size (0 or > 256 octets; the first 32 are kept, as a
    /// receiver truncates, §4.3.2 step 4), backend_failure.
    /// `now_ms` starts the key's ekt_ttl: after it expires no more Full fields are written
    /// (§5.2.2: the key MUST NOT be used to encrypt).
    errc set_ekt_key(const ekt_key_params& k, std::uint64_t now_ms,
                     ekt_sender_options opt = {}) noexcept
    {
        if (k.ekt_key.size() != KeyWrap::key_size) return errc::bad_key_size;
        if (k.srtp_master_salt.empty() || k.srtp_master_salt.size() > 256)
            return errc::bad_salt_size;
        KeyWrap w;
        if (errc e = w.set_key(std::span<const std::uint8_t, KeyWrap::key_size>{k.ekt_key.data(),
                                                                                KeyWrap::key_size});
            e != errc::ok)
            return e;
        wrap_ = std::move(w);
        spi_ = k.spi;
        salt_size_ = k.srtp_master_salt.size() < ekt_max_salt_size ? k.srtp_master_salt.size()
                                                                   : ekt_max_salt_size;
        for (std::size_t i = 0; i < salt_size_; ++i) salt_.data()[i] = k.srtp_master_salt[i];
        opt_ = opt;
        expires_ms_ = k.ttl_seconds ? now_ms + 1000ull * k.ttl_seconds : 0;
        has_key_ = false;
        epoch_ = 0;
        cached_size_ = 0;
        return errc::ok;
    }

    /// The SRTP master salt of the EKTKey: the end-to-end salt every sender under this
    /// EKTKey uses (RFC 8871 §4.5.1).
    bytes_view master_salt() const noexcept { return {salt_.data(), salt_size_}; }

    /// Announces `master_key` for `ssrc` at time `now_ms`. The first key has Epoch 0; each
    /// later one increments it (RFC 8870 §4.1). The next full_repeats fields are Full. The
    /// caller keeps protecting with the previous key until key_to_use() hands over this one,
    /// key_overlap_ms later (§4.3.1; also for the new key that §4.5 requires after a new
    /// EKTKey); the very first key is usable at once.
    /// Errors: no_key (no EKTKey), bad_key_size (empty or > MaxKeySize), index_exhausted
    /// (Epoch would wrap past 65535).
    errc set_master_key(std::uint32_t ssrc, bytes_view master_key, std::uint64_t now_ms) noexcept
    {
        if (!wrap_.has_key()) return errc::no_key;
        if (master_key.empty() || master_key.size() > MaxKeySize) return errc::bad_key_size;
        if (has_key_) {
            if (epoch_ == 0xFFFF) return errc::index_exhausted;
            ++epoch_;
        }
        // §4.5: a master key that replaces one in use (also after a new EKTKey) is switched to
        // "as defined in Section 4.3.1", i.e. after the overlap.
        switch_at_ms_ = announced_any_ ? now_ms + opt_.key_overlap_ms : now_ms;
        pending_ = true;
        has_key_ = true;
        announced_any_ = true;
        ssrc_ = ssrc;
        key_size_ = master_key.size();
        for (std::size_t i = 0; i < key_size_; ++i) key_.data()[i] = master_key[i];
        full_left_ = opt_.full_repeats;
        cached_size_ = 0;
        return errc::ok;
    }

    /// The announced key, once it is due (at once for the first key, key_overlap_ms after a
    /// re-key); an empty view otherwise. Returns it once per announcement: install it in the
    /// SRTP context (e.g. double_endpoint::set_inner_master_key with master_salt()).
    bytes_view key_to_use(std::uint64_t now_ms) noexcept
    {
        if (!pending_ || now_ms < switch_at_ms_) return {};
        pending_ = false;
        return {key_.data(), key_size_};
    }

    /// Octets the next field may need: a FullEKTField for this key size.
    static constexpr std::size_t max_field_size = KeyWrap::wrapped_size(1 + MaxKeySize + 8) +
                                                  ekt_full_trailer_size;

    /// Writes the EKTField to append after the protected SRTP packet of this SSRC: Full for
    /// the first full_repeats packets after start or re-key, on key frames, and at least every
    /// full_interval_ms; Short otherwise (RFC 8870 §4.6). `roc` is the packet's ROC (in PERC
    /// the inner ROC), which §4.3.1 step 2 requires to match the packet.
    /// Returns the octets written (1 or the Full field size). Equivalent to build_field then
    /// field_sent.
    /// Errors: no_key, key_usage_exhausted (a Full field is due but the EKTKey's ekt_ttl
    /// has expired: re-key by signalling), buffer_too_small, backend_failure.
    result<std::size_t> write_field(std::uint32_t roc, std::uint64_t now_ms, bool key_frame,
                                    bytes_span out) noexcept
    {
        auto n = build_field(roc, now_ms, key_frame, out);
        if (n) field_sent(*n, now_ms);
        return n;
    }

    /// The field write_field would write, without advancing the schedule: a caller that
    /// may still fail to send the packet builds first and calls field_sent() once it did.
    result<std::size_t> build_field(std::uint32_t roc, std::uint64_t now_ms, bool key_frame,
                                    bytes_span out) noexcept
    {
        if (!has_key_) return errc::no_key;
        const bool full = full_left_ > 0 || (key_frame && opt_.full_on_key_frame) ||
                          now_ms >= last_full_ms_ + opt_.full_interval_ms || !sent_any_;
        if (!full) {
            if (out.empty()) return errc::buffer_too_small;
            out[0] = ekt_type_short;
            return std::size_t{1};
        }
        if (expires_ms_ != 0 && now_ms >= expires_ms_) return errc::key_usage_exhausted;
        // §4.3.1: the ciphertext is the same while key, SSRC and ROC are: cache it.
        if (cached_size_ == 0 || cached_roc_ != roc) {
            std::array<std::uint8_t, 1 + MaxKeySize + 8> plain{};
            scoped_wipe wipe{plain};
            auto p = encode_ekt_plaintext({bytes_view{key_.data(), key_size_}, ssrc_, roc}, plain);
            if (!p) return p.error();
            auto c = wrap_.wrap(bytes_view{plain.data(), *p}, cached_);
            if (!c) return c.error();
            cached_size_ = c->size();
            cached_roc_ = roc;
        }
        return encode_full_ekt_field(bytes_view{cached_.data(), cached_size_}, spi_, epoch_, out);
    }

    /// Advances the schedule after a field of `size` octets (from build_field) was sent.
    void field_sent(std::size_t size, std::uint64_t now_ms) noexcept
    {
        if (size <= 1) return; // a ShortEKTField changes nothing
        if (full_left_ > 0) --full_left_;
        last_full_ms_ = now_ms;
        sent_any_ = true;
    }

    /// The SSRC whose key this sender announces (set_master_key).
    std::uint32_t ssrc() const noexcept { return ssrc_; }
    std::uint16_t epoch() const noexcept { return epoch_; }
    std::uint16_t spi() const noexcept { return spi_; }

private:
    KeyWrap wrap_;
    std::uint16_t spi_ = 0;
    std::uint16_t epoch_ = 0;
    secret_bytes<ekt_max_salt_size> salt_;
    std::size_t salt_size_ = 0;
    secret_bytes<MaxKeySize> key_;
    std::size_t key_size_ = 0;
    std::uint32_t ssrc_ = 0;
    bool has_key_ = false;       ///< a master key announced under the current EKTKey
    bool announced_any_ = false; ///< a master key announced under any EKTKey
    bool pending_ = false;
    bool sent_any_ = false;
    std::uint64_t switch_at_ms_ = 0;
    std::uint64_t expires_ms_ = 0;
    std::uint64_t last_full_ms_ = 0;
    unsigned full_left_ = 0;
    ekt_sender_options opt_;
    std::array<std::uint8_t, KeyWrap::wrapped_size(1 + MaxKeySize + 8)> cached_{};
    std::size_t cached_size_ = 0;
    std::uint32_t cached_roc_ = 0;
};

// ----------------------------------------------------------------------------- receiver

/// A new end-to-end key learned from a FullEKTField, handed to the caller's install function.
/// master_key and master_salt point into wiped scratch: copy them into the SRTP context
/// within the call.
struct ekt_new_key {
    std::uint32_t ssrc = 0;
    std::uint32_t roc = 0;
    std::uint16_t spi = 0;
    std::uint16_t epoch = 0;
    bytes_view master_key;
    bytes_view master_salt; ///< first salt_size octets of the EKTKey's srtp_master_salt
};

/// What process() did with the EKT Tag.
enum class ekt_event : std::uint8_t {
    none,          ///< ShortEKTField, or a Full field repeating what is installed
    new_key,       ///< a key was installed through the callback
    unknown_type,  ///< §4.1: unknown message type, tag discarded
    ssrc_mismatch, ///< §4.3.2 step 5: Full field for another SSRC, discarded
    stale_epoch,   ///< §4.1: Epoch ≤ one already accepted for (SPI, SSRC), not installed
};

struct ekt_received {
    bytes_view srtp; ///< the SRTP packet without its EKT Tag: continue SRTP processing on it
    ekt_kind kind = ekt_kind::short_field;
    ekt_event event = ekt_event::none;
};

/// Receives EKT Tags (RFC 8870 §4.3.2). Holds up to MaxKeys EKTKeys by SPI (§4.3: all
/// received parameter sets SHOULD be stored) and, per SSRC, the highest Epoch accepted per
/// SPI and the last accepted ciphertext, so repeated Full fields cost a comparison, not an
/// unwrap (§4.3.2, §6).
/// Allocation: init and add_key; process() allocates only when it unwraps a new ciphertext
/// (Botan). Thread safety: one object is not.
template <ekt_key_wrap KeyWrap, std::size_t MaxKeys = 4>
class ekt_receiver {
    struct param_set {
        bool used = false;
        std::uint16_t spi = 0;
        KeyWrap wrap;
        secret_bytes<ekt_max_salt_size> salt;
        std::size_t salt_size = 0;
        std::uint64_t expires_ms = 0; ///< 0 = never
    };
    static constexpr std::size_t max_ct = KeyWrap::wrapped_size(1 + ekt_max_master_key_size + 8);
    struct ssrc_state {
        std::array<std::uint16_t, MaxKeys> spi{};
        std::array<std::uint16_t, MaxKeys> epoch{};
        std::array<bool, MaxKeys> seen{};
        std::uint16_t cached_spi = 0;
        std::size_t cached_size = 0;
        std::array<std::uint8_t, 64> cached{}; ///< last accepted ciphertext (PERC: 40 or 56)
    };

public:
    /// Allocates room for `max_ssrcs` senders. Errors: those of stream_table::reserve.
    errc init(std::size_t max_ssrcs) noexcept { return ssrcs_.reserve(max_ssrcs); }

    /// Adds an EKTKey (RFC 8870 §5.2.2) received at `now_ms`. A second key with the same SPI
    /// replaces the first (each parameter set has a distinct SPI, §4.1).
    /// Errors: bad_key_size, bad_salt_size, stream_table_full (MaxKeys sets held),
    /// backend_failure.
    errc add_key(const ekt_key_params& k, std::uint64_t now_ms) noexcept
    {
        if (k.ekt_key.size() != KeyWrap::key_size) return errc::bad_key_size;
        if (k.srtp_master_salt.empty() || k.srtp_master_salt.size() > 256)
            return errc::bad_salt_size;
        param_set* slot = find_set(k.spi);
        if (slot == nullptr)
            for (param_set& s : sets_)
                if (!s.used) {
                    slot = &s;
                    break;
                }
        if (slot == nullptr) return errc::stream_table_full;
        KeyWrap w;
        if (errc e = w.set_key(std::span<const std::uint8_t, KeyWrap::key_size>{k.ekt_key.data(),
                                                                                KeyWrap::key_size});
            e != errc::ok)
            return e;
        slot->wrap = std::move(w);
        slot->used = true;
        slot->spi = k.spi;
        // §4.3.2 step 4: a longer salt is truncated to what SRTP needs; keep the first 32.
        slot->salt_size = k.srtp_master_salt.size() < ekt_max_salt_size ? k.srtp_master_salt.size()
                                                                        : ekt_max_salt_size;
        for (std::size_t i = 0; i < slot->salt_size; ++i)
            slot->salt.data()[i] = k.srtp_master_salt[i];
        slot->expires_ms = k.ttl_seconds ? now_ms + 1000ull * k.ttl_seconds : 0;
        forget_epochs(k.spi); // a new key under this SPI starts its Epochs at 0 (§4.1)
        return errc::ok;
    }

    /// Forgets the EKTKey with `spi` and the Epochs seen under it; returns whether it was held.
    bool remove_key(std::uint16_t spi) noexcept
    {
        param_set* s = find_set(spi);
        if (s == nullptr) return false;
        *s = param_set{};
        forget_epochs(spi);
        return true;
    }

    /// RFC 8870 §4.3.2 for the EKT Tag at the end of `packet`, whose RTP header carries
    /// `packet_ssrc`. A new key is passed to `install(const ekt_new_key&) -> errc` with the
    /// salt cut to `salt_size` octets; `key_size` is the master-key length the SRTP transform
    /// expects (PERC: the inner half, 16 or 32).
    /// Errors (the whole packet SHOULD then be discarded): truncated, ekt_bad_length,
    /// auth_failed (step 2: no EKTKey for the SPI, or its ekt_ttl expired — §5.2.2 forbids
    /// using it), key_unwrap_failed (step 3), bad_key_size (step 6: wrong key length),
    /// stream_table_full, and install's error. Nothing is recorded unless the key installed
    /// (or, for an authenticated field with the accepted Epoch, its ciphertext is cached).
    template <class Install>
    result<ekt_received> process(bytes_view packet, std::uint32_t packet_ssrc, std::uint64_t now_ms,
                                 std::size_t key_size, std::size_t salt_size,
                                 Install&& install) noexcept
    {
        auto split = decode_ekt_field(packet);
        if (!split) return split.error();
        ekt_received r;
        r.srtp = split->srtp;
        r.kind = split->kind;
        if (split->kind == ekt_kind::short_field) return r;
        if (split->kind == ekt_kind::unknown) {
            r.event = ekt_event::unknown_type; // §4.1: discard the EKT Tag
            return r;
        }
        const ekt_full_field& f = split->full;
        param_set* set = find_set(f.spi);
        if (set == nullptr || (set->expires_ms != 0 && now_ms >= set->expires_ms))
            return errc::auth_failed; // §4.3.2 step 2
        if (salt_size > set->salt_size) return errc::bad_salt_size;

        ssrc_state* known = ssrcs_.find(packet_ssrc);
        if (known != nullptr && known->cached_spi == f.spi &&
            known->cached_size == f.ciphertext.size() &&
            ct_equal(bytes_view{known->cached.data(), known->cached_size}, f.ciphertext))
            return r; // the accepted field again: nothing new (cache, §4.3.2)

        std::array<std::uint8_t, max_ct> plain{};
        scoped_wipe wipe{plain};
        if (f.ciphertext.size() < 16 || f.ciphertext.size() - 8 > plain.size())
            return errc::key_unwrap_failed;
        auto p = set->wrap.unwrap(f.ciphertext, plain);
        if (!p) return p.error(); // step 3: abort EKT, discard the packet
        auto pt = decode_ekt_plaintext(*p);
        if (!pt) return pt.error();
        if (pt->ssrc != packet_ssrc) { // step 5: discard the field, the packet MAY go on
            r.event = ekt_event::ssrc_mismatch;
            return r;
        }
        if (pt->master_key.size() != key_size) return errc::bad_key_size; // step 6

        // §4.1: reject an Epoch ≤ one accepted for this (SPI, SSRC); checked only after the
        // field authenticated, so forged tags cannot advance it.
        std::size_t slot = MaxKeys;
        if (known != nullptr)
            for (std::size_t i = 0; i < MaxKeys; ++i)
                if (known->seen[i] && known->spi[i] == f.spi) slot = i;
        if (slot != MaxKeys && f.epoch <= known->epoch[slot]) {
            // An equal Epoch is the accepted announcement re-encrypted, e.g. for a new ROC
            // (§4.3.1): cache this authenticated ciphertext too, so that its periodic
            // repetitions cost a comparison, not an unwrap (§4.3.2, §6).
            if (f.epoch == known->epoch[slot]) remember(*known, f);
            r.event = ekt_event::stale_epoch;
            return r;
        }
        if (known == nullptr && ssrcs_.full()) return errc::stream_table_full;

        const ekt_new_key k{pt->ssrc, pt->roc,        f.spi,
                            f.epoch,  pt->master_key, bytes_view{set->salt.data(), salt_size}};
        if (errc e = install(k); e != errc::ok) return e;

        if (known == nullptr) {
            auto ins = ssrcs_.insert(packet_ssrc, ssrc_state{});
            if (!ins) return ins.error();
            known = *ins;
        }
        if (slot == MaxKeys) slot = free_slot(*known);
        known->seen[slot] = true;
        known->spi[slot] = f.spi;
        known->epoch[slot] = f.epoch;
        remember(*known, f);
        r.event = ekt_event::new_key;
        return r;
    }

private:
    static void remember(ssrc_state& st, const ekt_full_field& f) noexcept
    {
        st.cached_spi = f.spi;
        st.cached_size = f.ciphertext.size() <= st.cached.size() ? f.ciphertext.size() : 0;
        for (std::size_t i = 0; i < st.cached_size; ++i) st.cached[i] = f.ciphertext[i];
    }

    void forget_epochs(std::uint16_t spi) noexcept
    {
        ssrcs_.for_each([&](std::uint32_t, ssrc_state& st) {
            for (std::size_t i = 0; i < MaxKeys; ++i)
                if (st.seen[i] && st.spi[i] == spi) st.seen[i] = false;
            if (st.cached_spi == spi) st.cached_size = 0;
        });
    }

    param_set* find_set(std::uint16_t spi) noexcept
    {
        for (param_set& s : sets_)
            if (s.used && s.spi == spi) return &s;
        return nullptr;
    }

    // A slot for `spi` in the per-SSRC epoch table: a free one, else one whose SPI is no
    // longer held.
    std::size_t free_slot(const ssrc_state& st) noexcept
    {
        for (std::size_t i = 0; i < MaxKeys; ++i)
            if (!st.seen[i]) return i;
        for (std::size_t i = 0; i < MaxKeys; ++i)
            if (find_set(st.spi[i]) == nullptr) return i;
        return 0;
    }

    std::array<param_set, MaxKeys> sets_{};
    stream_table<ssrc_state> ssrcs_;
};

} // namespace perc
