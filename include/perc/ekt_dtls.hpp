// perc — RFC 8870 §5 EKT over DTLS-SRTP: codecs for the `supported_ekt_ciphers` extension
// and the `ekt_key` handshake message body. The DTLS stack (records, handshake headers,
// fragmentation, ACKs, retransmission, alerts) is the caller's; these functions only turn
// extension_data and handshake bodies into values and back.
#pragma once

#include <perc/bytes.hpp>
#include <perc/ekt.hpp>
#include <perc/errc.hpp>
#include <perc/result.hpp>

#include <cstddef>
#include <cstdint>
#include <iterator>
#include <optional>
#include <span>

namespace perc {

/// RFC 8870 §7.3: TLS ExtensionType of `supported_ekt_ciphers` (TLS 1.3 column: CH, EE).
inline constexpr std::uint16_t tls_extension_supported_ekt_ciphers = 39;
/// RFC 8870 §7.4: TLS HandshakeType of `ekt_key` (DTLS-OK: Y).
inline constexpr std::uint8_t tls_handshake_ekt_key = 26;

/// RFC 8870 §5.2.1 `EKTCipherType`, one octet: the values that go ON THE WIRE.
/// ```
///  enum { reserved(0), aeskw_128(1), aeskw_256(2), (255) } EKTCipherType;
/// ```
/// The IANA "EKT Ciphers" registry of §7.2 numbers the same ciphers differently
/// (AESKW128 = 0, AESKW256 = 1, 255 Reserved). Those registry numbers never appear in any
/// RFC 8870 message: the only place a cipher identifier travels is this extension, which
/// carries EKTCipherType, and a FullEKTField names its cipher through the SPI alone (§4.4).
/// Do not mix the two tables: 0 on the wire is `reserved`, not AESKW128.
enum class ekt_cipher : std::uint8_t {
    aeskw_128 = 1, ///< AES Key Wrap with Padding (RFC 5649), 16-octet EKTKey (§4.4.1)
    aeskw_256 = 2, ///< the same with a 32-octet EKTKey
};

/// True for the EKTCipherType values this library knows (1 and 2); false for reserved(0)
/// and the unassigned 3..255.
constexpr bool is_known_ekt_cipher(std::uint8_t v) noexcept
{
    return v == static_cast<std::uint8_t>(ekt_cipher::aeskw_128) ||
           v == static_cast<std::uint8_t>(ekt_cipher::aeskw_256);
}

/// L of RFC 8870 §4.4.1: the EKTKey length in octets (16 or 32); 0 for an unknown value.
constexpr std::size_t ekt_cipher_key_size(ekt_cipher c) noexcept
{
    switch (c) {
    case ekt_cipher::aeskw_128: return 16;
    case ekt_cipher::aeskw_256: return 32;
    }
    return 0;
}

// ------------------------------------------------------------ supported_ekt_ciphers (§5.2.1)

/// ```
///  struct {
///      select (Handshake.msg_type) {
///          case client_hello:         EKTCipherType supported_ciphers<1..255>;
///          case server_hello:         EKTCipherType selected_cipher;
///          case encrypted_extensions: EKTCipherType selected_cipher;
///      };
///  } EKTCipher;
///
///  ClientHello:          | n (1) | n cipher octets, most preferred first |   n = 1..255
///  ServerHello (DTLS 1.2) / EncryptedExtensions (DTLS 1.3):  | cipher (1) |
/// ```
/// The extension header (type 39, 2-octet length) belongs to the DTLS stack.
inline constexpr std::size_t ekt_cipher_list_max_size = 255;

/// The client's list, as a view into the caller's extension_data. Iteration yields the KNOWN
/// ciphers in the client's order and skips every other octet: unassigned values (TLS
/// practice: a receiver ignores code points it does not recognise, RFC 8446 §4.2 style) and
/// reserved(0), which a client must not send but which, skipped, can never be selected —
/// rejecting the whole ClientHello for it would only cost interoperability. raw() gives the
/// octets exactly as sent, for a caller that wants to be stricter.
class ekt_cipher_list_view {
public:
    class iterator {
    public:
        using value_type = ekt_cipher;
        using difference_type = std::ptrdiff_t;
        using iterator_concept = std::forward_iterator_tag;
        using iterator_category = std::input_iterator_tag; ///< operator* yields a value

        constexpr iterator() noexcept = default;
        constexpr ekt_cipher operator*() const noexcept { return static_cast<ekt_cipher>(*at_); }
        constexpr iterator& operator++() noexcept
        {
            ++at_;
            skip_unknown();
            return *this;
        }
        constexpr iterator operator++(int) noexcept
        {
            iterator old = *this;
            ++*this;
            return old;
        }
        friend constexpr bool operator==(const iterator& a, const iterator& b) noexcept
        {
            return a.at_ == b.at_;
        }

    private:
        friend class ekt_cipher_list_view;
        constexpr iterator(const std::uint8_t* at, const std::uint8_t* end) noexcept
            : at_(at), end_(end)
        {
            skip_unknown();
        }
        constexpr void skip_unknown() noexcept
        {
            while (at_ != end_ && !is_known_ekt_cipher(*at_)) ++at_;
        }
        const std::uint8_t* at_ = nullptr;
        const std::uint8_t* end_ = nullptr;
    };

    constexpr ekt_cipher_list_view() noexcept = default;
    constexpr explicit ekt_cipher_list_view(bytes_view list) noexcept : list_(list) {}

    constexpr iterator begin() const noexcept
    {
        return iterator{list_.data(), list_.data() + list_.size()};
    }
    constexpr iterator end() const noexcept
    {
        return iterator{list_.data() + list_.size(), list_.data() + list_.size()};
    }
    /// True when the list holds no cipher this library knows (then EKT cannot be agreed).
    constexpr bool empty() const noexcept { return begin() == end(); }
    constexpr bool contains(ekt_cipher c) const noexcept
    {
        for (ekt_cipher x : *this)
            if (x == c) return true;
        return false;
    }
    /// The supported_ciphers octets as received, unknown values included (1..255 octets).
    constexpr bytes_view raw() const noexcept { return list_; }

private:
    bytes_view list_;
};

/// Decodes the ClientHello extension_data of `supported_ekt_ciphers` (§5.2.1).
/// Errors: truncated (empty, or fewer octets than the length octet says), ekt_bad_length
/// (length octet 0 — the vector is <1..255> — or octets after the list).
/// The view points into `extension_data`. Allocation: none. Thread safety: pure function.
constexpr result<ekt_cipher_list_view>
decode_supported_ekt_ciphers(bytes_view extension_data) noexcept
{
    if (extension_data.empty()) return errc::truncated;
    const std::size_t n = extension_data[0];
    if (n == 0) return errc::ekt_bad_length;
    if (extension_data.size() - 1 < n) return errc::truncated;
    if (extension_data.size() - 1 > n) return errc::ekt_bad_length;
    return ekt_cipher_list_view{extension_data.subspan(1, n)};
}

/// Writes the ClientHello extension_data: one length octet, then `ciphers` in the given
/// order (most preferred first). Returns the octets written (ciphers.size() + 1).
/// Errors: invalid_argument (no cipher, more than 255, or a value that is not a known
/// EKTCipherType — reserved(0) must never be sent), buffer_too_small. On error `out` is
/// untouched. Allocation: none.
constexpr result<std::size_t> encode_supported_ekt_ciphers(std::span<const ekt_cipher> ciphers,
                                                           bytes_span out) noexcept
{
    if (ciphers.empty() || ciphers.size() > ekt_cipher_list_max_size) return errc::invalid_argument;
    for (ekt_cipher c : ciphers)
        if (!is_known_ekt_cipher(static_cast<std::uint8_t>(c))) return errc::invalid_argument;
    const std::size_t n = ciphers.size() + 1;
    if (out.size() < n) return errc::buffer_too_small;
    out[0] = static_cast<std::uint8_t>(ciphers.size());
    for (std::size_t i = 0; i < ciphers.size(); ++i)
        out[1 + i] = static_cast<std::uint8_t>(ciphers[i]);
    return n;
}

/// Decodes the ServerHello (DTLS 1.2) / EncryptedExtensions (DTLS 1.3) extension_data: exactly
/// one `selected_cipher` octet (§5.2.1).
/// Errors: truncated (empty), ekt_bad_length (more than one octet), ekt_unknown_type (the
/// server selected reserved(0) or a value this library does not know: it cannot have come
/// from our ClientHello). The caller must still check that the value is one it offered.
constexpr result<ekt_cipher> decode_selected_ekt_cipher(bytes_view extension_data) noexcept
{
    if (extension_data.empty()) return errc::truncated;
    if (extension_data.size() != 1) return errc::ekt_bad_length;
    if (!is_known_ekt_cipher(extension_data[0])) return errc::ekt_unknown_type;
    return static_cast<ekt_cipher>(extension_data[0]);
}

/// Writes the server's extension_data (one octet). Returns 1.
/// Errors: invalid_argument (not a known EKTCipherType), buffer_too_small.
constexpr result<std::size_t> encode_selected_ekt_cipher(ekt_cipher c, bytes_span out) noexcept
{
    if (!is_known_ekt_cipher(static_cast<std::uint8_t>(c))) return errc::invalid_argument;
    if (out.empty()) return errc::buffer_too_small;
    out[0] = static_cast<std::uint8_t>(c);
    return std::size_t{1};
}

/// The server's choice (§5.2.1: "one cipher chosen from the client's list"): the first cipher
/// in the client's order of preference that is also in `server_supported`. Empty when there
/// is none: the server then omits the extension and no EKTKey may be sent (§5.2.2).
constexpr std::optional<ekt_cipher>
select_ekt_cipher(const ekt_cipher_list_view& offered,
                  std::span<const ekt_cipher> server_supported) noexcept
{
    for (ekt_cipher c : offered)
        for (ekt_cipher s : server_supported)
            if (c == s) return c;
    return std::nullopt;
}

// --------------------------------------------------------------------------- ekt_key (§5.2.2)

/// RFC 8870 §5.2.2, the body of handshake message ekt_key(26), all integers big-endian.
/// The two vectors have 2-octet length prefixes because their maximum, 256, does not fit in
/// one octet (RFC 8446 §3.4):
/// ```
///  struct {
///      opaque ekt_key_value<1..256>;     | len (2) | key (len)  |
///      opaque srtp_master_salt<1..256>;  | len (2) | salt (len) |
///      uint16 ekt_spi;                   | spi (2)              |
///      uint24 ekt_ttl;                   | ttl (3), seconds     |
///  } EKTKey;
/// ```
/// Example (AESKW128, 12-octet salt): 2 + 16 + 2 + 12 + 2 + 3 = 37 octets.
inline constexpr std::size_t ekt_key_vector_max_size = 256;
inline constexpr std::uint32_t ekt_ttl_max = 0xFFFFFF; ///< uint24

/// A decoded (or to-be-encoded) EKTKey. The views point into the caller's handshake buffer,
/// which holds secrets: wipe it once the key is installed.
struct ekt_key_message {
    bytes_view ekt_key_value;    ///< secret: the EKTKey (16 or 32 octets for AESKW128/256)
    bytes_view srtp_master_salt; ///< secret: salt for every master key sent under this EKTKey
    std::uint16_t ekt_spi = 0;   ///< the SPI that names this key + salt in FullEKTFields
    std::uint32_t ekt_ttl = 0;   ///< seconds the EKTKey may be used (24 bits)
};

/// Size of the encoded body for the given vector lengths.
constexpr std::size_t ekt_key_message_size(std::size_t key_size, std::size_t salt_size) noexcept
{
    return 2 + key_size + 2 + salt_size + 2 + 3;
}

/// Decodes an `ekt_key` handshake body (the message after the DTLS handshake header,
/// reassembled). Each length is checked against <1..256> as soon as it is read, then against
/// the octets present; nothing may follow ekt_ttl.
/// Errors: truncated (input ends inside a length, a vector, ekt_spi or ekt_ttl),
/// ekt_bad_length (a vector length of 0 or above 256, or trailing octets).
/// Allocation: none. Thread safety: pure function.
constexpr result<ekt_key_message> decode_ekt_key_message(bytes_view body) noexcept
{
    ekt_key_message m;
    std::size_t at = 0;
    // One opaque<1..256>: length, bounds, then presence of its octets.
    auto vector = [&](bytes_view& field) -> errc {
        if (body.size() - at < 2) return errc::truncated;
        const std::size_t n = load_be16(body.data() + at);
        if (n == 0 || n > ekt_key_vector_max_size) return errc::ekt_bad_length;
        at += 2;
        if (body.size() - at < n) return errc::truncated;
        field = body.subspan(at, n);
        at += n;
        return errc::ok;
    };
    if (errc e = vector(m.ekt_key_value); e != errc::ok) return e;
    if (errc e = vector(m.srtp_master_salt); e != errc::ok) return e;
    if (body.size() - at < 5) return errc::truncated;
    m.ekt_spi = load_be16(body.data() + at);
    m.ekt_ttl = load_be24(body.data() + at + 2);
    at += 5;
    if (body.size() != at) return errc::ekt_bad_length;
    return m;
}

/// Writes `m` as an `ekt_key` handshake body at the start of `out`; returns its size
/// (ekt_key_message_size). The handshake header (type 26, lengths, message_seq, fragment
/// fields) is the DTLS stack's.
/// Errors: invalid_argument (a vector empty or over 256 octets, ekt_ttl over 24 bits),
/// buffer_too_small. On error `out` is untouched. Allocation: none.
constexpr result<std::size_t> encode_ekt_key_message(const ekt_key_message& m,
                                                     bytes_span out) noexcept
{
    const std::size_t k = m.ekt_key_value.size(), s = m.srtp_master_salt.size();
    if (k == 0 || k > ekt_key_vector_max_size || s == 0 || s > ekt_key_vector_max_size ||
        m.ekt_ttl > ekt_ttl_max)
        return errc::invalid_argument;
    const std::size_t n = ekt_key_message_size(k, s);
    if (out.size() < n) return errc::buffer_too_small;
    std::uint8_t* p = out.data();
    store_be16(p, static_cast<std::uint16_t>(k));
    for (std::size_t i = 0; i < k; ++i) p[2 + i] = m.ekt_key_value[i];
    p += 2 + k;
    store_be16(p, static_cast<std::uint16_t>(s));
    for (std::size_t i = 0; i < s; ++i) p[2 + i] = m.srtp_master_salt[i];
    p += 2 + s;
    store_be16(p, m.ekt_spi);
    store_be24(p + 2, m.ekt_ttl);
    return n;
}

/// The ekt_sender / ekt_receiver parameters for a received EKTKey under the negotiated
/// cipher. The views still point into the handshake buffer.
/// Errors: invalid_argument (`cipher` is not a known EKTCipherType), bad_key_size
/// (ekt_key_value is not L octets for the cipher, §4.4.1: 16 for AESKW128, 32 for AESKW256),
/// key_usage_exhausted (ekt_ttl 0: §5.2.2 allows the key no use at all, and
/// ekt_key_params reads a ttl of 0 as "no limit", so it must not be passed on).
constexpr result<ekt_key_params> to_ekt_key_params(const ekt_key_message& m,
                                                   ekt_cipher cipher) noexcept
{
    if (!is_known_ekt_cipher(static_cast<std::uint8_t>(cipher))) return errc::invalid_argument;
    if (m.ekt_key_value.size() != ekt_cipher_key_size(cipher)) return errc::bad_key_size;
    if (m.ekt_ttl == 0) return errc::key_usage_exhausted;
    ekt_key_params p;
    p.spi = m.ekt_spi;
    p.ekt_key = m.ekt_key_value;
    p.srtp_master_salt = m.srtp_master_salt;
    p.ttl_seconds = m.ekt_ttl;
    return p;
}

} // namespace perc
