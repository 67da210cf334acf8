// perc — RFC 9185 DTLS tunnel between a Media Distributor (MD) and a Key Distributor (KD):
// codecs for the five tunnel messages and their framing in the TLS byte stream. The TLS
// connection itself (mutual authentication, RFC 9185 §5.2), the DTLS inside TunneledDtls and
// the MD/KD procedures (§5.3, §5.4) are the caller's; these functions only turn octets into
// values and back.
//
// Every function here is constexpr, noexcept, allocation-free and reports failure as an errc.
// Decoded messages are views into the caller's buffer. MediaKeys carries hop-by-hop SRTP master
// keys and salts: wipe the buffer once the keys are installed.
#pragma once

#include <perc/bytes.hpp>
#include <perc/config.hpp>
#include <perc/errc.hpp>
#include <perc/result.hpp>

#include <array>
#include <cstddef>
#include <cstdint>
#include <iterator>
#include <span>
#include <type_traits>

namespace perc {

// ------------------------------------------------------------------------ framing (§6.1)

/// RFC 9185 §6.1, all integers big-endian (§6: TLS presentation language, RFC 8446 §3):
/// ```
///  struct {
///      MsgType msg_type;           /* 1 octet */
///      uint16  length;             /* octets of the body that follows */
///      select (MsgType) { ... } body;
///  } TunnelMessage;
///
///  +----------+-----------+---------------------------+
///  | msg_type | length    | body (length octets)      |
///  |   (1)    |   (2)     |                           |
///  +----------+-----------+---------------------------+
/// ```
/// Messages follow each other in the TLS byte stream; `length` delimits them.
inline constexpr std::size_t tunnel_header_size = 3; ///< msg_type(1) + length(2)
/// Largest body the uint16 `length` of §6.1 can describe.
inline constexpr std::size_t tunnel_max_body_size = 0xFFFF;
/// RFC 9185 §6.2: the protocol version this specification defines (and the only one perc
/// knows). §5.5: the MD's SupportedProfiles fixes the version of the tunnel connection.
inline constexpr std::uint8_t tunnel_version = 0x00;

/// RFC 9185 §6.1 / §8 MsgType registry (one octet). 0 is reserved; 6..255 are unassigned
/// ("IETF Review").
enum class tunnel_msg_type : std::uint8_t {
    supported_profiles = 1,  ///< MD -> KD, the first message of a tunnel connection (§5.3)
    unsupported_version = 2, ///< KD -> MD, then the KD closes the connection (§5.5)
    media_keys = 3,          ///< KD -> MD, hop-by-hop keys of one association (§5.4)
    tunneled_dtls = 4,       ///< both directions: one endpoint datagram (§5.3, §5.4)
    endpoint_disconnect = 5, ///< both directions: the association ended (§5.3, §5.4)
};

/// True for the msg_type values RFC 9185 §6.1 defines (1..5).
constexpr bool is_known_tunnel_msg_type(std::uint8_t v) noexcept
{
    return v >= 1 && v <= 5;
}

/// One framed message: its type, a view of its body inside the stream, and the octets it
/// occupies (header + body), i.e. how far to advance the stream.
struct tunnel_message {
    tunnel_msg_type type = tunnel_msg_type::supported_profiles;
    bytes_view body;
    std::size_t size = 0; ///< tunnel_header_size + body.size()
};

/// The same framing without any judgement of msg_type, for a caller that wants to skip
/// message types it does not know instead of closing the connection.
struct tunnel_frame {
    std::uint8_t msg_type = 0;
    bytes_view body;
    std::size_t size = 0; ///< tunnel_header_size + body.size()
};

/// Splits the first message off a TLS byte stream without looking at msg_type.
/// Errors: truncated (fewer than 3 octets, or fewer than 3 + `length`: wait for more bytes).
/// The views point into `stream`. Allocation: none. Thread safety: pure function.
constexpr result<tunnel_frame> next_tunnel_frame(bytes_view stream) noexcept
{
    if (stream.size() < tunnel_header_size) return errc::truncated;
    const std::size_t n = load_be16(stream.data() + 1);
    if (stream.size() - tunnel_header_size < n) return errc::truncated;
    return tunnel_frame{stream[0], stream.subspan(tunnel_header_size, n), tunnel_header_size + n};
}

/// Splits the first message off a TLS byte stream (RFC 9185 §6.1). The body is not decoded:
/// pass it to the decode_* function of its type. Advance the stream by `size` for the next one.
/// Errors:
///  - truncated: fewer than 3 octets, or fewer than 3 + `length` (wait for more bytes);
///  - tunnel_unknown_type: msg_type 0 (reserved) or 6..255 (unassigned, §8). Reported as soon
///    as the 3-octet header is there, before the body has arrived: RFC 9185 defines no
///    extension mechanism, so a strict peer can close at once. A caller that prefers to skip
///    such a message calls next_tunnel_frame(), whose `size` covers it.
/// The views point into `stream`. Allocation: none. Thread safety: pure function.
constexpr result<tunnel_message> next_tunnel_message(bytes_view stream) noexcept
{
    if (stream.size() < tunnel_header_size) return errc::truncated;
    if (!is_known_tunnel_msg_type(stream[0])) return errc::tunnel_unknown_type;
    auto f = next_tunnel_frame(stream);
    if (!f) return f.error();
    return tunnel_message{static_cast<tunnel_msg_type>(f->msg_type), f->body, f->size};
}

// ------------------------------------------------------------------ association id (§5.3)

/// RFC 9185 §6.1 `opaque uuid[16]`; §5.3: the MD MUST make it a version 4 UUID (RFC 4122
/// §4.4), unique per endpoint-initiated DTLS association.
using association_id = std::array<std::uint8_t, 16>;
inline constexpr std::size_t association_id_size = 16;

/// RFC 4122 §4.4: a version 4 UUID from 16 random octets — the four most significant bits of
/// time_hi_and_version (octet 6) become 0100 (version 4), the two most significant bits of
/// clock_seq_hi_and_reserved (octet 8) become 10 (the RFC 4122 variant); the other 122 bits
/// are the caller's random octets, which must come from a CSPRNG for the uniqueness §5.3 asks.
constexpr association_id make_association_id(std::span<const std::uint8_t, 16> random) noexcept
{
    association_id id{};
    for (std::size_t i = 0; i < association_id_size; ++i) id[i] = random[i];
    id[6] = static_cast<std::uint8_t>((id[6] & 0x0F) | 0x40);
    id[8] = static_cast<std::uint8_t>((id[8] & 0x3F) | 0x80);
    return id;
}

/// True when `id` carries the RFC 4122 variant (octet 8 = 10xxxxxx) and version 4 (octet 6 =
/// 0100xxxx). The decoders do not require it (see decode_media_keys).
constexpr bool is_uuid_v4(const association_id& id) noexcept
{
    return (id[6] & 0xF0) == 0x40 && (id[8] & 0xC0) == 0x80;
}

namespace detail {
constexpr association_id load_association_id(const std::uint8_t* p) noexcept
{
    association_id id{};
    for (std::size_t i = 0; i < association_id_size; ++i) id[i] = p[i];
    return id;
}
constexpr void store_tunnel_header(std::uint8_t* p, tunnel_msg_type t, std::size_t body) noexcept
{
    p[0] = static_cast<std::uint8_t>(t);
    store_be16(p + 1, static_cast<std::uint16_t>(body));
}
/// True when `src` shares an octet with the first `n` octets of `out` (runtime only: unrelated
/// pointers cannot be ordered in a constant expression, and there no aliasing is possible
/// through the spans a constant expression builds without the caller doing it on purpose).
constexpr bool overlaps_output(bytes_view src, bytes_span out, std::size_t n) noexcept
{
    if (std::is_constant_evaluated()) return false;
    return overlaps(src.data(), src.size(), out.data(), n);
}
} // namespace detail

// ------------------------------------------------------------ SupportedProfiles (§6.2)

/// RFC 9185 §6.2, msg_type 1, sent by the MD as the first message of every tunnel connection
/// (§5.3):
/// ```
///  uint8 SRTPProtectionProfile[2];                          /* RFC 5764 */
///  struct {
///      uint8 version;
///      SRTPProtectionProfile protection_profiles<2..2^16-1>;
///  } SupportedProfiles;
///
///  +---------+---------------+-----------+-----------+-----+
///  | version | list length   | profile 1 | profile 2 | ... |
///  |   (1)   |  (2) = 2*k    |    (2)    |    (2)    |     |
///  +---------+---------------+-----------+-----------+-----+
/// ```
/// RFC 9185 §7 example (both double profiles): `01 0007 00 0004 0009 000a`.
///
/// Effective bounds: the list length must be even (2-octet elements, RFC 8446 §3.4) and
/// 2..65534; the body (3 + 2k) must also fit the uint16 `length` of §6.1, so k <= 32766.
inline constexpr std::size_t supported_profiles_max_count = (tunnel_max_body_size - 3) / 2;

constexpr std::size_t supported_profiles_message_size(std::size_t count) noexcept
{
    return tunnel_header_size + 3 + 2 * count;
}

/// A decoded SupportedProfiles: the version and a view over the profile list as sent (order
/// and duplicates kept; RFC 5764 values this library does not know are kept too — choosing a
/// profile supported by KD, MD and endpoint is the KD's job, §5.4).
struct supported_profiles_msg {
    /// Iterates the profiles as uint16 values in wire order.
    class iterator {
    public:
        using value_type = std::uint16_t;
        using difference_type = std::ptrdiff_t;
        using iterator_concept = std::forward_iterator_tag;
        using iterator_category = std::input_iterator_tag; ///< operator* yields a value

        constexpr iterator() noexcept = default;
        constexpr std::uint16_t operator*() const noexcept { return load_be16(at_); }
        constexpr iterator& operator++() noexcept
        {
            at_ += 2;
            return *this;
        }
        constexpr iterator operator++(int) noexcept
        {
            iterator old = *this;
            at_ += 2;
            return old;
        }
        friend constexpr bool operator==(const iterator& a, const iterator& b) noexcept
        {
            return a.at_ == b.at_;
        }

    private:
        friend struct supported_profiles_msg;
        constexpr explicit iterator(const std::uint8_t* at) noexcept : at_(at) {}
        const std::uint8_t* at_ = nullptr;
    };

    std::uint8_t version = tunnel_version;
    /// The protection_profiles octets exactly as received (2 per profile, big-endian; the
    /// vector's own length prefix excluded).
    bytes_view raw_profiles;

    /// Number of profiles.
    constexpr std::size_t size() const noexcept { return raw_profiles.size() / 2; }
    /// Profile `i` (contract: i < size()).
    constexpr std::uint16_t operator[](std::size_t i) const noexcept
    {
        PERC_ASSERT(i < size());
        return load_be16(raw_profiles.data() + 2 * i);
    }
    constexpr bool contains(std::uint16_t profile) const noexcept
    {
        for (std::uint16_t p : *this)
            if (p == profile) return true;
        return false;
    }
    constexpr iterator begin() const noexcept { return iterator{raw_profiles.data()}; }
    constexpr iterator end() const noexcept { return iterator{raw_profiles.data() + 2 * size()}; }
};

/// The version octet of a SupportedProfiles body, whatever the version (§5.5: the KD must
/// learn it to answer UnsupportedVersion with its own highest version).
/// Errors: tunnel_bad_length (empty body: no version octet).
constexpr result<std::uint8_t> peek_supported_profiles_version(bytes_view body) noexcept
{
    if (body.empty()) return errc::tunnel_bad_length;
    return body[0];
}

/// Decodes a SupportedProfiles body (RFC 9185 §6.2).
/// Errors, in the order checked:
///  - tunnel_bad_length: empty body (no version octet);
///  - tunnel_unsupported_version: version != 0x00 — the rest of the body belongs to a version
///    this library does not know, so it is not interpreted (§5.5: the KD answers with
///    UnsupportedVersion; peek_supported_profiles_version() gives the version);
///  - tunnel_bad_length: body longer than 65535 octets, or shorter than version + list length
///    (3 octets);
///  - tunnel_bad_vector: list length 0 (the vector is <2..2^16-1>) or odd (2-octet elements);
///  - tunnel_bad_length: list length disagrees with the octets after it (short or trailing).
/// The view points into `body`. Allocation: none. Thread safety: pure function.
constexpr result<supported_profiles_msg> decode_supported_profiles(bytes_view body) noexcept
{
    if (body.empty()) return errc::tunnel_bad_length;
    if (body[0] != tunnel_version) return errc::tunnel_unsupported_version; // §5.5, §6.2
    if (body.size() > tunnel_max_body_size || body.size() < 3) return errc::tunnel_bad_length;
    const std::size_t n = load_be16(body.data() + 1);
    if (n < 2 || n % 2 != 0) return errc::tunnel_bad_vector; // §6.2 <2..2^16-1>, 2-octet items
    if (body.size() - 3 != n) return errc::tunnel_bad_length;
    return supported_profiles_msg{body[0], body.subspan(3, n)};
}

/// Writes a whole SupportedProfiles message (header + body) at the start of `out`; returns
/// its size, supported_profiles_message_size(profile_values.size()).
/// `version` goes into the version octet as given; the rest is always the version 0x00 layout
/// (the only one defined). An MD that was told a lower version by UnsupportedVersion uses that
/// version when it reconnects (§5.5); any value other than tunnel_version is otherwise only
/// useful to test a KD's §5.5 handling.
/// `profile_values` are the RFC 5764 two-octet profile values in the order to send.
/// Errors: tunnel_bad_vector (no profile: the vector is <2..2^16-1>; or more than 32767, whose
/// list length would not fit it), tunnel_bad_length (32767 profiles: the list fits its vector
/// but the body, 65537 octets, does not fit the uint16 `length` of §6.1), buffer_too_small.
/// On error `out` is untouched. Allocation: none. Thread safety: distinct `out`: safe.
constexpr result<std::size_t>
encode_supported_profiles(std::uint8_t version, std::span<const std::uint16_t> profile_values,
                          bytes_span out) noexcept
{
    const std::size_t k = profile_values.size();
    if (k == 0 || 2 * k > 0xFFFF) return errc::tunnel_bad_vector;
    if (k > supported_profiles_max_count) return errc::tunnel_bad_length;
    const std::size_t n = supported_profiles_message_size(k);
    if (out.size() < n) return errc::buffer_too_small;
    std::uint8_t* p = out.data();
    detail::store_tunnel_header(p, tunnel_msg_type::supported_profiles, n - tunnel_header_size);
    p[3] = version;
    store_be16(p + 4, static_cast<std::uint16_t>(2 * k));
    for (std::size_t i = 0; i < k; ++i) store_be16(p + 6 + 2 * i, profile_values[i]);
    return n;
}

/// Re-encodes a decoded (or hand-built) SupportedProfiles: the same rules and errors as the
/// overload above, with the list taken from `m.raw_profiles`, whose size must be even
/// (tunnel_bad_vector otherwise). Errors also: buffer_overlap (`m.raw_profiles` shares octets
/// with the output).
constexpr result<std::size_t> encode_supported_profiles(const supported_profiles_msg& m,
                                                        bytes_span out) noexcept
{
    const std::size_t raw = m.raw_profiles.size();
    if (raw == 0 || raw % 2 != 0 || raw > 0xFFFF) return errc::tunnel_bad_vector;
    const std::size_t k = raw / 2;
    if (k > supported_profiles_max_count) return errc::tunnel_bad_length;
    const std::size_t n = supported_profiles_message_size(k);
    if (out.size() < n) return errc::buffer_too_small;
    if (detail::overlaps_output(m.raw_profiles, out, n)) return errc::buffer_overlap;
    std::uint8_t* p = out.data();
    detail::store_tunnel_header(p, tunnel_msg_type::supported_profiles, n - tunnel_header_size);
    p[3] = m.version;
    store_be16(p + 4, static_cast<std::uint16_t>(raw));
    for (std::size_t i = 0; i < raw; ++i) p[6 + i] = m.raw_profiles[i];
    return n;
}

// ----------------------------------------------------------- UnsupportedVersion (§6.3)

/// RFC 9185 §6.3, msg_type 2, sent by the KD when it does not support the version of the MD's
/// SupportedProfiles; the KD then closes the TLS connection (§5.5):
/// ```
///  struct { uint8 highest_version; } UnsupportedVersion;
///
///  +----------+---------------+-----------------+
///  | 0x02     | length (2)    | highest_version |   -> 02 0001 00 for version 0x00
///  +----------+---------------+-----------------+
/// ```
/// §5.5: the first four octets (msg_type, length, version) suffice to recognise the message
/// and anything after the version octet is discarded — so a body longer than one octet (a
/// later version may add fields) is accepted and the extra octets are ignored.
inline constexpr std::size_t unsupported_version_message_size = tunnel_header_size + 1;

struct unsupported_version_msg {
    std::uint8_t highest_version = tunnel_version;
};

/// Decodes an UnsupportedVersion body: its first octet; octets after it are ignored (§5.5).
/// Errors: tunnel_bad_length (empty body). Allocation: none. Thread safety: pure function.
constexpr result<unsupported_version_msg> decode_unsupported_version(bytes_view body) noexcept
{
    if (body.empty()) return errc::tunnel_bad_length;
    return unsupported_version_msg{body[0]};
}

/// Reads highest_version from the first four octets of a stream that starts with an
/// UnsupportedVersion, without waiting for the rest of a body longer than one octet (§5.5:
/// those four octets suffice; the KD closes the connection after sending it).
/// Errors: truncated (fewer than 4 octets, or an empty stream), invalid_argument (the first
/// octet is not msg_type 2: call this only for an UnsupportedVersion), tunnel_bad_length
/// (`length` 0: there is no version octet).
constexpr result<std::uint8_t> peek_unsupported_version(bytes_view stream) noexcept
{
    if (stream.empty()) return errc::truncated;
    if (stream[0] != static_cast<std::uint8_t>(tunnel_msg_type::unsupported_version))
        return errc::invalid_argument;
    if (stream.size() < tunnel_header_size) return errc::truncated;
    if (load_be16(stream.data() + 1) == 0) return errc::tunnel_bad_length;
    if (stream.size() < unsupported_version_message_size) return errc::truncated;
    return stream[3];
}

/// Writes `02 0001 <highest_version>`; returns 4. Errors: buffer_too_small (out untouched).
constexpr result<std::size_t> encode_unsupported_version(std::uint8_t highest_version,
                                                         bytes_span out) noexcept
{
    if (out.size() < unsupported_version_message_size) return errc::buffer_too_small;
    detail::store_tunnel_header(out.data(), tunnel_msg_type::unsupported_version, 1);
    out[3] = highest_version;
    return unsupported_version_message_size;
}

// -------------------------------------------------------------------- MediaKeys (§6.4)

/// RFC 9185 §6.4, msg_type 3, sent by the KD right after an endpoint's DTLS handshake
/// completes (§5.4):
/// ```
///  struct {
///      uuid association_id;
///      SRTPProtectionProfile protection_profile;
///      opaque mki<0..255>;
///      opaque client_write_SRTP_master_key<1..255>;
///      opaque server_write_SRTP_master_key<1..255>;
///      opaque client_write_SRTP_master_salt<1..255>;
///      opaque server_write_SRTP_master_salt<1..255>;
///  } MediaKeys;
///
///  +--------------------+-------------+-----+-----+-----+--------+-----+--------+
///  | association_id(16) | profile (2) | len | mki | len | cw key | len | sw key |
///  +--------------------+-------------+-----+-----+-----+--------+-----+--------+
///  | len | cw salt | len | sw salt |         each len is 1 octet
///  +-----+---------+-----+---------+
/// ```
/// For the double profiles 0x0009 / 0x000A the keys are the hop-by-hop halves: 16 / 32 octet
/// keys and 12-octet salts (RFC 9185 §5.4, RFC 8871 §6.2), e.g. 79 body octets for 0x0009
/// without MKI. client_write_* protects what the endpoint (the DTLS client) sends;
/// server_write_* what the MD sends to it (RFC 5764 §4.2 naming).
inline constexpr std::size_t media_keys_vector_max_size = 255;

/// A decoded (or to-be-encoded) MediaKeys. The views point into the caller's buffer, which
/// holds secrets (master keys and salts): wipe it once the keys are installed.
struct media_keys_msg {
    association_id id{};
    std::uint16_t profile = 0;    ///< the DTLS-SRTP profile selected for the association
    bytes_view mki;               ///< 0..255 octets; empty = no MKI (PERC uses EKT: no MKI)
    bytes_view client_write_key;  ///< secret, 1..255 octets
    bytes_view server_write_key;  ///< secret, 1..255 octets
    bytes_view client_write_salt; ///< secret, 1..255 octets
    bytes_view server_write_salt; ///< secret, 1..255 octets
};

/// Whole message size (header included) for the given field sizes.
constexpr std::size_t media_keys_message_size(const media_keys_msg& m) noexcept
{
    return tunnel_header_size + association_id_size + 2 + 5 + m.mki.size() +
           m.client_write_key.size() + m.server_write_key.size() + m.client_write_salt.size() +
           m.server_write_salt.size();
}

/// Decodes a MediaKeys body (RFC 9185 §6.4). Each vector length is checked against its
/// bounds as soon as it is read, then against the octets present; nothing may follow
/// server_write_SRTP_master_salt.
/// Errors: tunnel_bad_length (the body ends inside association_id, protection_profile, a
/// length octet or a vector, or octets follow the last salt), tunnel_bad_vector (a key or
/// salt of length 0: those vectors are <1..255>; the 255 maximum cannot be exceeded by a
/// one-octet length).
/// Not checked here, on purpose: that the key and salt sizes fit `profile` (the caller's, who
/// knows its suites), and that the association id is a version 4 UUID — the KD echoes the id
/// the MD chose (§5.4), and §5.3 puts the v4 duty on the MD; is_uuid_v4() is there for a
/// caller that wants to enforce it.
/// Allocation: none. Thread safety: pure function.
constexpr result<media_keys_msg> decode_media_keys(bytes_view body) noexcept
{
    if (body.size() < association_id_size + 2) return errc::tunnel_bad_length;
    media_keys_msg m;
    m.id = detail::load_association_id(body.data());
    m.profile = load_be16(body.data() + association_id_size);
    std::size_t at = association_id_size + 2;
    auto vector = [&](bytes_view& field, std::size_t min) -> errc {
        if (at == body.size()) return errc::tunnel_bad_length;
        const std::size_t n = body[at];
        if (n < min) return errc::tunnel_bad_vector;
        ++at;
        if (body.size() - at < n) return errc::tunnel_bad_length;
        field = body.subspan(at, n);
        at += n;
        return errc::ok;
    };
    if (errc e = vector(m.mki, 0); e != errc::ok) return e;
    if (errc e = vector(m.client_write_key, 1); e != errc::ok) return e;
    if (errc e = vector(m.server_write_key, 1); e != errc::ok) return e;
    if (errc e = vector(m.client_write_salt, 1); e != errc::ok) return e;
    if (errc e = vector(m.server_write_salt, 1); e != errc::ok) return e;
    if (at != body.size()) return errc::tunnel_bad_length;
    return m;
}

/// Writes a whole MediaKeys message at the start of `out`; returns media_keys_message_size(m).
/// Errors: tunnel_bad_vector (mki over 255 octets, a key or salt empty or over 255),
/// buffer_too_small, buffer_overlap (a field shares octets with the output).
/// On error `out` is untouched. Allocation: none. Thread safety: distinct `out`: safe.
constexpr result<std::size_t> encode_media_keys(const media_keys_msg& m, bytes_span out) noexcept
{
    const bytes_view secrets[] = {m.client_write_key, m.server_write_key, m.client_write_salt,
                                  m.server_write_salt};
    if (m.mki.size() > media_keys_vector_max_size) return errc::tunnel_bad_vector;
    for (bytes_view v : secrets)
        if (v.empty() || v.size() > media_keys_vector_max_size) return errc::tunnel_bad_vector;
    const std::size_t n = media_keys_message_size(m);
    if (out.size() < n) return errc::buffer_too_small;
    if (detail::overlaps_output(m.mki, out, n)) return errc::buffer_overlap;
    for (bytes_view v : secrets)
        if (detail::overlaps_output(v, out, n)) return errc::buffer_overlap;
    std::uint8_t* p = out.data();
    detail::store_tunnel_header(p, tunnel_msg_type::media_keys, n - tunnel_header_size);
    p += tunnel_header_size;
    for (std::size_t i = 0; i < association_id_size; ++i) p[i] = m.id[i];
    p += association_id_size;
    store_be16(p, m.profile);
    p += 2;
    auto put = [&p](bytes_view v) {
        *p++ = static_cast<std::uint8_t>(v.size());
        for (std::uint8_t x : v) *p++ = x;
    };
    put(m.mki);
    for (bytes_view v : secrets) put(v);
    return n;
}

// ----------------------------------------------------------------- TunneledDtls (§6.5)

/// RFC 9185 §6.5, msg_type 4, in both directions; `dtls_message` is the UDP payload of one
/// endpoint datagram: one or more complete DTLS records (§5.3):
/// ```
///  struct {
///      uuid association_id;
///      opaque dtls_message<1..2^16-1>;
///  } TunneledDtls;
///
///  +----------+-----------+--------------------+-------------+------------------+
///  | 0x04 (1) | length (2)| association_id(16) | msg len (2) | dtls_message ... |
///  +----------+-----------+--------------------+-------------+------------------+
///  \______________ tunneled_dtls_prefix_size = 21 ________________/
/// ```
/// The vector allows 65535 octets, but the body (18 + n) must fit the uint16 `length` of §6.1,
/// so the largest datagram a TunneledDtls can carry is tunneled_dtls_max_message_size = 65517.
/// The lower bound is 1 (an empty dtls_message is invalid; draft -10 had 0).
inline constexpr std::size_t tunneled_dtls_prefix_size = tunnel_header_size + association_id_size +
                                                         2;
inline constexpr std::size_t tunneled_dtls_max_message_size = tunnel_max_body_size -
                                                              association_id_size - 2;

constexpr std::size_t tunneled_dtls_message_size(std::size_t dtls_message_size) noexcept
{
    return tunneled_dtls_prefix_size + dtls_message_size;
}

struct tunneled_dtls_msg {
    association_id id{};
    bytes_view dtls_message; ///< 1..65517 octets, a view into the body
};

/// Decodes a TunneledDtls body (RFC 9185 §6.5).
/// Errors: tunnel_bad_length (body shorter than association_id + the 2-octet vector length,
/// longer than 65535, or the vector length disagrees with the octets after it), tunnel_bad_vector
/// (dtls_message length 0: the vector is <1..2^16-1>).
/// The DTLS records themselves are not parsed. Allocation: none. Thread safety: pure function.
constexpr result<tunneled_dtls_msg> decode_tunneled_dtls(bytes_view body) noexcept
{
    constexpr std::size_t fixed = association_id_size + 2;
    if (body.size() < fixed || body.size() > tunnel_max_body_size) return errc::tunnel_bad_length;
    const std::size_t n = load_be16(body.data() + association_id_size);
    if (n == 0) return errc::tunnel_bad_vector; // §6.5 <1..2^16-1>
    if (body.size() - fixed != n) return errc::tunnel_bad_length;
    return tunneled_dtls_msg{detail::load_association_id(body.data()), body.subspan(fixed, n)};
}

/// Writes a whole TunneledDtls message at the start of `out`; returns
/// tunneled_dtls_message_size(dtls_message.size()).
/// In place: when `dtls_message` already sits at out.data() + tunneled_dtls_prefix_size (a
/// datagram received at that offset), only the 21-octet prefix is written.
/// Errors: tunnel_bad_vector (dtls_message empty or over 65535 octets), tunnel_bad_length
/// (65518..65535 octets: the vector allows them, the uint16 `length` of the message does not),
/// buffer_too_small, buffer_overlap (`dtls_message` overlaps the output other than exactly in
/// place). On error `out` is untouched. Allocation: none. Thread safety: distinct `out`: safe.
constexpr result<std::size_t> encode_tunneled_dtls(const association_id& id,
                                                   bytes_view dtls_message, bytes_span out) noexcept
{
    const std::size_t k = dtls_message.size();
    if (k == 0 || k > 0xFFFF) return errc::tunnel_bad_vector;
    if (k > tunneled_dtls_max_message_size) return errc::tunnel_bad_length;
    const std::size_t n = tunneled_dtls_message_size(k);
    if (out.size() < n) return errc::buffer_too_small;
    const bool in_place = dtls_message.data() == out.data() + tunneled_dtls_prefix_size;
    if (!in_place && detail::overlaps_output(dtls_message, out, n)) return errc::buffer_overlap;
    std::uint8_t* p = out.data();
    detail::store_tunnel_header(p, tunnel_msg_type::tunneled_dtls, n - tunnel_header_size);
    for (std::size_t i = 0; i < association_id_size; ++i) p[tunnel_header_size + i] = id[i];
    store_be16(p + tunnel_header_size + association_id_size, static_cast<std::uint16_t>(k));
    if (!in_place)
        for (std::size_t i = 0; i < k; ++i) p[tunneled_dtls_prefix_size + i] = dtls_message[i];
    return n;
}

// ----------------------------------------------------------- EndpointDisconnect (§6.6)

/// RFC 9185 §6.6, msg_type 5, in both directions (§5.3: the MD saw the endpoint leave; §5.4:
/// the KD saw its DTLS association end):
/// ```
///  struct { uuid association_id; } EndpointDisconnect;
///
///  +----------+---------------+--------------------+
///  | 0x05 (1) | 0x0010 (2)    | association_id(16) |
///  +----------+---------------+--------------------+
/// ```
inline constexpr std::size_t endpoint_disconnect_message_size = tunnel_header_size +
                                                                association_id_size;

struct endpoint_disconnect_msg {
    association_id id{};
};

/// Decodes an EndpointDisconnect body. Errors: tunnel_bad_length (not exactly 16 octets).
/// Allocation: none. Thread safety: pure function.
constexpr result<endpoint_disconnect_msg> decode_endpoint_disconnect(bytes_view body) noexcept
{
    if (body.size() != association_id_size) return errc::tunnel_bad_length;
    return endpoint_disconnect_msg{detail::load_association_id(body.data())};
}

/// Writes `05 0010 <id>`; returns 19. Errors: buffer_too_small (out untouched).
constexpr result<std::size_t> encode_endpoint_disconnect(const association_id& id,
                                                         bytes_span out) noexcept
{
    if (out.size() < endpoint_disconnect_message_size) return errc::buffer_too_small;
    detail::store_tunnel_header(out.data(), tunnel_msg_type::endpoint_disconnect,
                                association_id_size);
    for (std::size_t i = 0; i < association_id_size; ++i) out[tunnel_header_size + i] = id[i];
    return endpoint_disconnect_message_size;
}

} // namespace perc
