// perc — Botan backend: one DTLS 1.2 association carrying DTLS-SRTP (RFC 5764) between a PERC
// endpoint (DTLS client) and the Key Distributor (DTLS server, RFC 8871 §4.5.1), with the
// RFC 8870 §5.2.1 `supported_ekt_ciphers` extension and EKTKey delivery. In memory: the caller
// moves datagrams (in PERC the Media Distributor carries them in RFC 9185 TunneledDtls).
//
// What Botan 2.19 allows, and where this deviates from the RFCs:
// * use_srtp (RFC 5764 §4.1.1): Botan's SRTP_Protection_Profiles carries any uint16, so the
//   double profiles 0x0009/0x000A (RFC 8723 §10.1) negotiate like any other. Botan's server
//   would pick by ITS order; we make it honour the client's order (the client lists "in
//   descending order of preference") by handing Botan only the one profile chosen from the
//   ClientHello. Without a common profile the server aborts with handshake_failure instead of
//   omitting use_srtp: a PERC association without SRTP keys is useless (RFC 5764 §4.1.1
//   allows the alert when fallback is unacceptable).
// * supported_ekt_ciphers (RFC 8870 §5.2.1, type 39): real TLS extension, written through
//   Callbacks::tls_modify_extensions and read (Botan parses it as Unknown_Extension) through
//   tls_examine_extensions, in the ClientHello and the DTLS 1.2 ServerHello. Conforms.
// * EKTKey (RFC 8870 §5.2.2): DEVIATION. The RFC sends it as handshake message ekt_key(26)
//   after the handshake and has the client ACK it with the DTLS 1.3 ACK. Botan 2 has no API to
//   send or receive a handshake message it does not know (Handshake_IO and the message
//   dispatch are internal; process_handshake_msg throws Unexpected_Message for unknown types)
//   and no ACK content type. We therefore carry the same EKTKey body in a DTLS
//   application_data record, which has the same protection (epoch-1 traffic keys) but a
//   private framing that RFC 8870 peers do not understand:
//   ```
//    EKTKey record:  | 0x1A (= ekt_key(26)) | seq (2) | EKTKey body (RFC 8870 §5.2.2) |
//    ACK record:     | 0xAC                 | seq (2) |
//   ```
//   seq numbers the server's EKTKey messages from 0. The server retransmits every un-ACKed
//   EKTKey from on_timeout() with doubling timeouts (the RFC 6347 §4.2.4 timer that RFC 8870
//   §5.4 prescribes); the client delivers seq in order once, re-ACKs duplicates, and answers
//   an EKTKey it cannot process with a fatal alert (§5.2.2). Interoperating with another
//   RFC 8870 implementation needs a DTLS stack that can send handshake type 26.
// * Mutual authentication (RFC 8871 §4.5.1, §8.1): the server requires a client certificate
//   (Policy::require_client_certificate_authentication). Both sides use a fresh self-signed
//   ECDSA P-256 certificate; chains are not validated against CAs: what authenticates a peer is
//   its SHA-256 certificate fingerprint compared with the one from signalling (RFC 8122 §5,
//   RFC 8871 §5.2), either by the application through peer_fingerprint() or here through
//   dtls_srtp_options::expected_peer_fingerprint.
// * Retransmission (RFC 6347 §4.2.4): Botan retransmits a flight only from its timer
//   (Channel::timeout_check, called by on_timeout()); it never answers a retransmitted peer
//   flight ("TODO: detect retransmitted flight" in Botan 2.19), and an established server has
//   no timer left, so a lost final server flight (ChangeCipherSpec + Finished) would leave the
//   client waiting forever. Worse, a server that lost its flight 2 aborts on the client's
//   retransmitted ClientHello ("Received unexpected record version": that record carries
//   DTLS 1.0 as RFC 6347 §4.1 allows, the pending state is 1.2). The server here keeps its
//   last flight and replays it, without Botan, when the client's retransmitted ClientHello
//   or final flight arrives. Botan also stops reading a datagram at the first record it
//   drops, so it is fed one record at a time; and it moves its replay window with the
//   unauthenticated sequence numbers of epoch-0 records, so an epoch-0 record more than 256
//   numbers ahead of the highest seen is dropped first. After the handshake no epoch-0
//   record and no handshake record reaches Botan: it would parse epoch-0 ones against the
//   finished handshake and close the association on a malformed one (anyone able to send a
//   datagram could forge it), and it
//   takes a retransmitted epoch-1 Finished (new record number) for a renegotiation, after
//   which the exporter fails ("cannot export during renegotiation") and application data
//   aborts the association ("Can't interleave application and handshake data").
// * Not done: DTLS cookie exchange (HelloVerifyRequest; the KD talks only to authenticated MDs
//   through the tunnel, RFC 9185 §5.2), re-handshake (RFC 5764 §5.2 re-key), DTLS 1.3,
//   external_session_id (RFC 8844), srtp_mki (PERC leaves it empty; Botan 2's use_srtp parser
//   rejects a non-empty MKI with a decode error).
#pragma once

#include <perc/bytes.hpp>
#include <perc/ekt_dtls.hpp>
#include <perc/errc.hpp>
#include <perc/suites.hpp>

#include <botan/auto_rng.h>
#include <botan/credentials_manager.h>
#include <botan/ec_group.h>
#include <botan/ecdsa.h>
#include <botan/exceptn.h>
#include <botan/hash.h>
#include <botan/tls_callbacks.h>
#include <botan/tls_channel.h>
#include <botan/tls_client.h>
#include <botan/tls_exceptn.h>
#include <botan/tls_extensions.h>
#include <botan/tls_policy.h>
#include <botan/tls_server.h>
#include <botan/tls_session_manager.h>
#include <botan/x509self.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace perc::botan {

enum class dtls_role : std::uint8_t { client, server };

/// Private application_data framing of the EKTKey and its ACK (see the header comment: a
/// deviation from RFC 8870 §5.2.2 forced by Botan 2).
inline constexpr std::uint8_t dtls_ekt_key_marker = 0x1A; // = HandshakeType ekt_key(26)
inline constexpr std::uint8_t dtls_ekt_ack_marker = 0xAC;
/// RFC 5764 §4.2: the exporter label; the context is empty.
inline constexpr const char* dtls_srtp_exporter_label = "EXTRACTOR-dtls_srtp";

struct dtls_srtp_options {
    /// Client: use_srtp offer in preference order (RFC 5764 §4.1.1). Server: the acceptable
    /// set (in PERC those the KD and the MD both support, RFC 9185 §5.4); the server selects
    /// the client's most preferred profile in this set.
    std::vector<std::uint16_t> srtp_profiles;
    /// RFC 8870 §5.2.1. Client: offered, most preferred first (empty: no extension, no EKT).
    /// Server: supported; it selects the client's most preferred one in this set, or answers
    /// without the extension (then no EKTKey may be sent, §5.2.2).
    std::vector<ekt_cipher> ekt_ciphers;
    /// Largest datagram next_datagram() returns (handshake messages are fragmented to fit;
    /// records are packed into datagrams up to this size). 256..16384.
    std::size_t mtu = 1200;
    /// RFC 6347 §4.2.4 timer: first retransmission after this long, doubling up to the
    /// maximum; for the handshake and for un-ACKed EKTKeys. RFC 6347 recommends 1 s.
    std::chrono::milliseconds initial_timeout{1000};
    std::chrono::milliseconds maximum_timeout{60000};
    /// When set, the handshake fails (auth_failed, alert bad_certificate) unless the peer's
    /// certificate has this SHA-256 fingerprint (RFC 8122 §5; RFC 8871 §5.2 signalling).
    std::optional<std::array<std::uint8_t, 32>> expected_peer_fingerprint;
};

namespace dtls_detail {

using fingerprint = std::array<std::uint8_t, 32>;

inline fingerprint sha256_fingerprint(const Botan::X509_Certificate& cert)
{
    // RFC 8122 §5: the hash of the DER form of the certificate.
    const std::vector<std::uint8_t> der = cert.BER_encode();
    auto h = Botan::HashFunction::create_or_throw("SHA-256");
    const Botan::secure_vector<std::uint8_t> d = h->process(der);
    fingerprint f{};
    std::copy_n(d.begin(), f.size(), f.begin());
    return f;
}

inline constexpr auto ekt_extension_type =
    static_cast<Botan::TLS::Handshake_Extension_Type>(tls_extension_supported_ekt_ciphers);

// RFC 8870 §5.2.1 extension as Botan sends it: the already encoded extension_data.
class ekt_extension final : public Botan::TLS::Extension {
public:
    explicit ekt_extension(std::vector<std::uint8_t> data) : data_(std::move(data)) {}
    Botan::TLS::Handshake_Extension_Type type() const override { return ekt_extension_type; }
    std::vector<std::uint8_t> serialize(Botan::TLS::Connection_Side) const override
    {
        return data_;
    }
    bool empty() const override { return false; }

private:
    std::vector<std::uint8_t> data_;
};

struct state;

class policy final : public Botan::TLS::Policy {
public:
    explicit policy(const state& s) : s_(s) {}
    bool allow_tls10() const override { return false; }
    bool allow_tls11() const override { return false; }
    bool allow_tls12() const override { return false; }
    bool allow_dtls10() const override { return false; }
    bool allow_dtls12() const override { return true; }
    // AEAD suites with ECDHE and ECDSA only: what the P-256 certificates can sign, and no
    // CBC/MAC-then-encrypt.
    std::vector<std::string> allowed_ciphers() const override
    {
        return {"AES-128/GCM", "AES-256/GCM", "ChaCha20Poly1305"};
    }
    std::vector<std::string> allowed_macs() const override { return {"AEAD"}; }
    std::vector<std::string> allowed_key_exchange_methods() const override { return {"ECDH"}; }
    std::vector<std::string> allowed_signature_methods() const override { return {"ECDSA"}; }
    std::vector<std::string> allowed_signature_hashes() const override
    {
        return {"SHA-256", "SHA-384"};
    }
    std::vector<std::uint16_t> srtp_profiles() const override;
    bool require_client_certificate_authentication() const override;
    bool request_client_certificate_authentication() const override;
    std::size_t dtls_default_mtu() const override;
    std::size_t dtls_initial_timeout() const override;
    std::size_t dtls_maximum_timeout() const override;

private:
    const state& s_;
};

class credentials final : public Botan::Credentials_Manager {
public:
    explicit credentials(state& s) : s_(s) {}
    std::vector<Botan::X509_Certificate> cert_chain(const std::vector<std::string>& cert_key_types,
                                                    const std::string& type,
                                                    const std::string& context) override;
    Botan::Private_Key* private_key_for(const Botan::X509_Certificate& cert,
                                        const std::string& type,
                                        const std::string& context) override;
    // No CA stores: peers are identified by fingerprint, not by a chain (RFC 8122).
    std::vector<Botan::Certificate_Store*>
    trusted_certificate_authorities(const std::string&, const std::string&) override
    {
        return {};
    }

private:
    state& s_;
};

class callbacks final : public Botan::TLS::Callbacks {
public:
    explicit callbacks(state& s) : s_(s) {}
    void tls_emit_data(const std::uint8_t data[], std::size_t size) override;
    void tls_record_received(std::uint64_t seq_no, const std::uint8_t data[],
                             std::size_t size) override;
    void tls_alert(Botan::TLS::Alert alert) override;
    bool tls_session_established(const Botan::TLS::Session& session) override;
    void tls_session_activated() override;
    void tls_verify_cert_chain(const std::vector<Botan::X509_Certificate>& cert_chain,
                               const std::vector<std::shared_ptr<const Botan::OCSP::Response>>&,
                               const std::vector<Botan::Certificate_Store*>&, Botan::Usage_Type,
                               const std::string&, const Botan::TLS::Policy&) override;
    void tls_modify_extensions(Botan::TLS::Extensions& extn,
                               Botan::TLS::Connection_Side side) override;
    void tls_examine_extensions(const Botan::TLS::Extensions& extn,
                                Botan::TLS::Connection_Side side) override;

private:
    state& s_;
};

struct pending_ekt_key {
    std::uint16_t seq = 0;
    Botan::secure_vector<std::uint8_t> record; // marker ‖ seq ‖ body
};

struct state {
    state(dtls_role r, dtls_srtp_options o) : role(r), opt(std::move(o)) {}

    dtls_role role;
    dtls_srtp_options opt;

    Botan::AutoSeeded_RNG rng;
    std::unique_ptr<Botan::Private_Key> key;
    std::optional<Botan::X509_Certificate> cert;
    fingerprint local_fp{};
    std::optional<fingerprint> peer_fp;

    // Records Botan emitted during the current call; packed into datagrams by flush().
    std::vector<std::vector<std::uint8_t>> records;
    std::deque<std::vector<std::uint8_t>> out;
    std::vector<std::vector<std::uint8_t>> last_flight; // last handshake flight we sent

    std::vector<std::uint16_t> server_choice; // server: the one profile handed to Botan
    std::uint16_t profile = 0;
    std::optional<ekt_cipher> ekt;
    std::uint64_t epoch0_highest = 0; // highest epoch-0 record number passed to Botan
    bool activated = false;
    bool closed = false;
    errc error = errc::ok;      // fatal: the association is dead
    errc cause = errc::ok;      // set by a callback just before it throws (abort())
    errc soft_error = errc::ok; // one-call result for a dropped application record

    // EKTKey transport (private framing, see header).
    std::vector<pending_ekt_key> ekt_pending; // server: sent, not yet ACKed
    std::uint16_t ekt_next_seq = 0;           // server: next seq to send; client: next expected
    std::chrono::steady_clock::time_point ekt_last_send{};
    std::chrono::milliseconds ekt_timeout{0};
    std::deque<Botan::secure_vector<std::uint8_t>> ekt_received; // client
    std::vector<std::uint16_t> acks_to_send;                     // client

    // Declared last: destroyed first, while everything it refers to still exists.
    std::unique_ptr<policy> pol;
    std::unique_ptr<credentials> creds;
    std::unique_ptr<callbacks> cbs;
    Botan::TLS::Session_Manager_Noop sessions;
    std::unique_ptr<Botan::TLS::Channel> channel;

    void flush()
    {
        std::vector<std::uint8_t> dgram;
        for (auto& r : records) {
            if (!dgram.empty() && dgram.size() + r.size() > opt.mtu) {
                out.push_back(std::move(dgram));
                dgram.clear();
            }
            dgram.insert(dgram.end(), r.begin(), r.end());
        }
        if (!dgram.empty()) out.push_back(std::move(dgram));
        records.clear();
    }

    bool offered(std::uint16_t p) const
    {
        return std::find(opt.srtp_profiles.begin(), opt.srtp_profiles.end(), p) !=
               opt.srtp_profiles.end();
    }

    [[noreturn]] void abort(errc why, Botan::TLS::Alert::Type alert)
    {
        cause = why;
        throw Botan::TLS::TLS_Exception(alert, std::string{to_string(why)});
    }

    void send_app(const std::uint8_t* p, std::size_t n) { channel->send(p, n); }
};

inline std::vector<std::uint16_t> policy::srtp_profiles() const
{
    return s_.role == dtls_role::client ? s_.opt.srtp_profiles : s_.server_choice;
}
inline bool policy::require_client_certificate_authentication() const
{
    return s_.role == dtls_role::server; // RFC 8871 §4.5.1: mutual authentication
}
inline bool policy::request_client_certificate_authentication() const
{
    return s_.role == dtls_role::server;
}
inline std::size_t policy::dtls_default_mtu() const
{
    return s_.opt.mtu;
}
inline std::size_t policy::dtls_initial_timeout() const
{
    return static_cast<std::size_t>(s_.opt.initial_timeout.count());
}
inline std::size_t policy::dtls_maximum_timeout() const
{
    return static_cast<std::size_t>(s_.opt.maximum_timeout.count());
}

inline std::vector<Botan::X509_Certificate>
credentials::cert_chain(const std::vector<std::string>& cert_key_types, const std::string&,
                        const std::string&)
{
    if (std::find(cert_key_types.begin(), cert_key_types.end(), "ECDSA") == cert_key_types.end())
        return {};
    return {*s_.cert};
}
inline Botan::Private_Key* credentials::private_key_for(const Botan::X509_Certificate& cert,
                                                        const std::string&, const std::string&)
{
    return cert == *s_.cert ? s_.key.get() : nullptr;
}

inline void callbacks::tls_emit_data(const std::uint8_t data[], std::size_t size)
{
    s_.records.emplace_back(data, data + size);
}

inline void callbacks::tls_record_received(std::uint64_t, const std::uint8_t data[],
                                           std::size_t size)
{
    const bytes_view rec{data, size};
    if (rec.empty()) return; // Botan may deliver empty records; nothing to do
    if (rec.size() < 3) {
        s_.soft_error = errc::ekt_bad_length;
        return;
    }
    const std::uint16_t seq = load_be16(rec.data() + 1);
    if (s_.role == dtls_role::server) {
        if (rec[0] != dtls_ekt_ack_marker) {
            s_.soft_error = errc::ekt_unknown_type;
            return;
        }
        if (rec.size() != 3) {
            s_.soft_error = errc::ekt_bad_length;
            return;
        }
        std::erase_if(s_.ekt_pending, [seq](const pending_ekt_key& p) { return p.seq == seq; });
        return;
    }
    if (rec[0] != dtls_ekt_key_marker) {
        s_.soft_error = errc::ekt_unknown_type;
        return;
    }
    // RFC 8870 §5.2.2: no EKTKey unless the server returned supported_ekt_ciphers.
    if (!s_.ekt) s_.abort(errc::unsupported, Botan::TLS::Alert::UNEXPECTED_MESSAGE);
    const std::uint16_t expected = s_.ekt_next_seq;
    if (static_cast<std::uint16_t>(expected - seq) <= 0x7FFF && seq != expected) {
        s_.acks_to_send.push_back(seq); // a retransmission of one already delivered: ACK again
        return;
    }
    if (seq != expected) return; // ahead of a lost one; the server retransmits both in order
    const bytes_view body = rec.subspan(3);
    const result<ekt_key_message> m = decode_ekt_key_message(body);
    // RFC 8870 §5.2.2: an EKTKey that cannot be processed gets an alert.
    if (!m) s_.abort(m.error(), Botan::TLS::Alert::DECODE_ERROR);
    if (m->ekt_key_value.size() != ekt_cipher_key_size(*s_.ekt))
        s_.abort(errc::bad_key_size, Botan::TLS::Alert::ILLEGAL_PARAMETER);
    s_.ekt_received.emplace_back(body.begin(), body.end());
    s_.ekt_next_seq = static_cast<std::uint16_t>(expected + 1);
    s_.acks_to_send.push_back(seq);
}

inline void callbacks::tls_alert(Botan::TLS::Alert alert)
{
    if (alert.type() == Botan::TLS::Alert::CLOSE_NOTIFY) {
        s_.closed = true;
        return;
    }
    if (alert.is_fatal()) {
        s_.closed = true;
        if (s_.error == errc::ok) s_.error = errc::auth_failed;
    }
}

inline bool callbacks::tls_session_established(const Botan::TLS::Session& session)
{
    // RFC 5764 §4.1.1: the server answers with one profile from the client's list; without
    // one there are no SRTP keys.
    const std::uint16_t p = session.dtls_srtp_profile();
    if (p == 0) s_.abort(errc::no_common_profile, Botan::TLS::Alert::HANDSHAKE_FAILURE);
    if (!s_.offered(p)) s_.abort(errc::no_common_profile, Botan::TLS::Alert::ILLEGAL_PARAMETER);
    s_.profile = p;
    return false; // no session cache: every association is a full handshake
}

inline void callbacks::tls_session_activated()
{
    s_.activated = true;
}

inline void
callbacks::tls_verify_cert_chain(const std::vector<Botan::X509_Certificate>& cert_chain,
                                 const std::vector<std::shared_ptr<const Botan::OCSP::Response>>&,
                                 const std::vector<Botan::Certificate_Store*>&, Botan::Usage_Type,
                                 const std::string&, const Botan::TLS::Policy&)
{
    if (cert_chain.empty()) s_.abort(errc::auth_failed, Botan::TLS::Alert::BAD_CERTIFICATE);
    // RFC 8122 §5 / RFC 8871 §5.2: the end-entity certificate's fingerprint identifies the
    // peer; no chain to a CA is expected (self-signed).
    const fingerprint fp = sha256_fingerprint(cert_chain.front());
    if (s_.opt.expected_peer_fingerprint && *s_.opt.expected_peer_fingerprint != fp)
        s_.abort(errc::auth_failed, Botan::TLS::Alert::BAD_CERTIFICATE);
    s_.peer_fp = fp;
}

inline void callbacks::tls_modify_extensions(Botan::TLS::Extensions& extn,
                                             Botan::TLS::Connection_Side side)
{
    std::array<std::uint8_t, 1 + ekt_cipher_list_max_size> buf{};
    if (side == Botan::TLS::CLIENT) {
        if (s_.opt.ekt_ciphers.empty()) return;
        // RFC 8870 §5.2.1: ClientHello lists the supported ciphers, most preferred first.
        const result<std::size_t> n = encode_supported_ekt_ciphers(s_.opt.ekt_ciphers, buf);
        if (!n) s_.abort(n.error(), Botan::TLS::Alert::INTERNAL_ERROR);
        extn.add(new ekt_extension({buf.begin(), buf.begin() + static_cast<std::ptrdiff_t>(*n)}));
        return;
    }
    // RFC 8870 §5.2.1: a DTLS 1.2 server returns the selected cipher in the ServerHello.
    if (!s_.ekt) return;
    const result<std::size_t> n = encode_selected_ekt_cipher(*s_.ekt, buf);
    if (!n) s_.abort(n.error(), Botan::TLS::Alert::INTERNAL_ERROR);
    extn.add(new ekt_extension({buf.begin(), buf.begin() + static_cast<std::ptrdiff_t>(*n)}));
}

inline void callbacks::tls_examine_extensions(const Botan::TLS::Extensions& extn,
                                              Botan::TLS::Connection_Side side)
{
    auto* ekt_ext = dynamic_cast<Botan::TLS::Unknown_Extension*>(extn.get(ekt_extension_type));
    auto* srtp = extn.get<Botan::TLS::SRTP_Protection_Profiles>();
    if (side == Botan::TLS::CLIENT) { // we are the server, reading the ClientHello
        // RFC 5764 §4.1.1: choose from the client's list; its order is its preference.
        s_.server_choice.clear();
        if (srtp != nullptr)
            for (std::uint16_t p : srtp->profiles())
                if (s_.offered(p)) {
                    s_.server_choice.push_back(p);
                    break;
                }
        if (s_.server_choice.empty())
            s_.abort(errc::no_common_profile, Botan::TLS::Alert::HANDSHAKE_FAILURE);
        s_.ekt.reset();
        if (ekt_ext != nullptr && !s_.opt.ekt_ciphers.empty()) {
            const result<ekt_cipher_list_view> list =
                decode_supported_ekt_ciphers(ekt_ext->value());
            if (!list) s_.abort(list.error(), Botan::TLS::Alert::DECODE_ERROR);
            // RFC 8870 §5.2.1: one cipher from the client's list; none common -> omit.
            s_.ekt = select_ekt_cipher(*list, s_.opt.ekt_ciphers);
        }
        return;
    }
    // We are the client, reading the ServerHello.
    if (srtp != nullptr && (srtp->profiles().size() != 1 || !s_.offered(srtp->profiles()[0])))
        s_.abort(errc::no_common_profile, Botan::TLS::Alert::ILLEGAL_PARAMETER);
    if (ekt_ext != nullptr) {
        const result<ekt_cipher> c = decode_selected_ekt_cipher(ekt_ext->value());
        if (!c) s_.abort(c.error(), Botan::TLS::Alert::DECODE_ERROR);
        // The server must choose from our list (§5.2.1).
        if (std::find(s_.opt.ekt_ciphers.begin(), s_.opt.ekt_ciphers.end(), *c) ==
            s_.opt.ekt_ciphers.end())
            s_.abort(errc::ekt_unknown_type, Botan::TLS::Alert::ILLEGAL_PARAMETER);
        s_.ekt = *c;
    }
}

// Botan exception -> errc. While processing a peer's datagram (`peer_input`), every Botan
// exception comes from what the peer sent (a bad signature, a corrupted certificate whose
// dates or key do not parse, ...) and is auth_failed: the handshake failed. Only resource
// trouble (memory, system) is backend_failure. Outside receive() nothing the peer sent is
// involved, so any exception is backend_failure. A cause recorded by a callback wins.
inline errc map_exception(const state& s, const std::exception_ptr& ep, bool peer_input) noexcept
{
    if (s.cause != errc::ok) return s.cause;
    try {
        std::rethrow_exception(ep);
    } catch (const Botan::Exception& e) {
        switch (e.error_type()) {
        case Botan::ErrorType::OutOfMemory:
        case Botan::ErrorType::SystemError:
        case Botan::ErrorType::IoError: return errc::backend_failure;
        default: return peer_input ? errc::auth_failed : errc::backend_failure;
        }
    } catch (const std::bad_alloc&) {
        return errc::backend_failure;
    } catch (const std::exception&) {
        return peer_input ? errc::auth_failed : errc::backend_failure;
    } catch (...) {
        return errc::backend_failure;
    }
}

} // namespace dtls_detail

/// One DTLS 1.2 association carrying DTLS-SRTP (RFC 5764), in memory: the caller passes every
/// datagram from the peer to receive() and sends what next_datagram() yields, in order.
/// Setup code: allocates and may take milliseconds (ECDSA key generation, handshake); never
/// throws (Botan exceptions are caught inside and mapped to errc). Once a call returns a fatal
/// error the association is dead and every later call returns the same error.
/// Thread safety: distinct objects safe; one object is not. Movable, not copyable.
class dtls_srtp {
public:
    dtls_srtp() = default;

    /// Creates a fresh self-signed ECDSA P-256 certificate (RFC 8871 §5: endpoints are known by
    /// their fingerprints) and a DTLS 1.2 client or server; the client queues its ClientHello.
    /// RFC 8871 §4.5.1: the endpoint is the client, the Key Distributor the server.
    /// Errors: invalid_argument (already started; no SRTP profile or profile 0; more than
    /// 32767 profiles; an EKT cipher that is not aeskw_128/aeskw_256, or more than 255; mtu
    /// outside 256..16384; a timeout of 0 or initial > maximum), backend_failure.
    errc start(dtls_role role, const dtls_srtp_options& opt) noexcept
    {
        if (s_) return errc::invalid_argument;
        if (opt.srtp_profiles.empty() || opt.srtp_profiles.size() > 32767 ||
            std::find(opt.srtp_profiles.begin(), opt.srtp_profiles.end(), std::uint16_t{0}) !=
                opt.srtp_profiles.end())
            return errc::invalid_argument;
        if (opt.ekt_ciphers.size() > ekt_cipher_list_max_size) return errc::invalid_argument;
        for (ekt_cipher c : opt.ekt_ciphers)
            if (!is_known_ekt_cipher(static_cast<std::uint8_t>(c))) return errc::invalid_argument;
        if (opt.mtu < 256 || opt.mtu > 16384) return errc::invalid_argument;
        if (opt.initial_timeout.count() <= 0 || opt.initial_timeout > opt.maximum_timeout)
            return errc::invalid_argument;
        try {
            auto s = std::make_unique<dtls_detail::state>(role, opt);
            s->key = std::make_unique<Botan::ECDSA_PrivateKey>(s->rng,
                                                               Botan::EC_Group("secp256r1"));
            Botan::X509_Cert_Options co(role == dtls_role::client ? "perc-endpoint" : "perc-kd");
            co.not_before("200101000000Z");
            co.not_after("491231235959Z");
            s->cert = Botan::X509::create_self_signed_cert(co, *s->key, "SHA-256", s->rng);
            s->local_fp = dtls_detail::sha256_fingerprint(*s->cert);
            s->ekt_timeout = opt.initial_timeout;
            s->pol = std::make_unique<dtls_detail::policy>(*s);
            s->creds = std::make_unique<dtls_detail::credentials>(*s);
            s->cbs = std::make_unique<dtls_detail::callbacks>(*s);
            if (role == dtls_role::client)
                s->channel = std::make_unique<Botan::TLS::Client>(
                    *s->cbs, s->sessions, *s->creds, *s->pol, s->rng,
                    Botan::TLS::Server_Information(), Botan::TLS::Protocol_Version::DTLS_V12);
            else
                s->channel = std::make_unique<Botan::TLS::Server>(*s->cbs, s->sessions, *s->creds,
                                                                  *s->pol, s->rng, true);
            s->flush();
            s_ = std::move(s);
            return errc::ok;
        } catch (...) {
            return errc::backend_failure;
        }
    }

    /// Processes one datagram from the peer (any number of DTLS records). Records that do not
    /// decrypt or are replayed are dropped silently by Botan (RFC 6347 §4.1.2.7) and return ok;
    /// so are epoch-0 records once the handshake is complete (see the header comment).
    /// Errors, fatal (the association is closed, an alert may be queued for the peer):
    /// auth_failed (handshake failure: bad or unexpected certificate, failed signature or
    /// Finished, malformed handshake message, a fatal alert from the peer), no_common_profile
    /// (server: the ClientHello offers no acceptable profile; client: the server chose none
    /// or one we did not offer), a malformed supported_ekt_ciphers (RFC 8870 §5.2.1; server:
    /// truncated / ekt_bad_length; client: truncated / ekt_bad_length / ekt_unknown_type, the
    /// last also for a cipher we did not offer), and, client only, for an EKTKey it cannot
    /// process (RFC 8870 §5.2.2):
    /// truncated / ekt_bad_length (malformed body), bad_key_size (key size is not the
    /// negotiated cipher's), unsupported (EKT was not negotiated); backend_failure.
    /// Errors, non-fatal (record dropped): ekt_unknown_type (application record with an
    /// unknown marker), ekt_bad_length (application record too short or an ACK of bad size).
    /// invalid_argument: not started.
    errc receive(bytes_view datagram) noexcept
    {
        if (!s_) return errc::invalid_argument;
        if (s_->error != errc::ok) return s_->error;
        s_->soft_error = errc::ok;
        const bool was_active = s_->activated;
        try {
            if (s_->role == dtls_role::server && !was_active && !s_->last_flight.empty() &&
                is_client_hello(datagram)) {
                // A retransmitted ClientHello: our flight 2 was lost (RFC 6347 §4.2.4). Botan
                // 2.19 would abort ("Received unexpected record version": the ClientHello record
                // carries DTLS 1.0 while the pending state is 1.2) and never answers a
                // retransmission, so resend the flight ourselves and keep Botan out of it.
                replay_last_flight();
                return errc::ok;
            }
            // Botan 2 stops reading a datagram at the first record it drops (replayed, bad
            // MAC, unknown epoch), losing every record after it — e.g. the Finished behind an
            // already-seen ChangeCipherSpec in a retransmitted flight. So Botan gets one
            // record at a time (RFC 6347 §4.1.2.7: an invalid record is discarded, not the
            // datagram). Bytes after the last whole record go in as they are; Botan drops them.
            bool replay = false;
            for (std::size_t at = 0; at < datagram.size() && s_->error == errc::ok;) {
                std::size_t n = datagram.size() - at;
                if (n >= record_header_size)
                    n = std::min(n, record_header_size + load_be16(datagram.data() + at + 11));
                const bytes_view rec = datagram.subspan(at, n);
                at += n;
                if (s_->activated && n >= record_header_size) {
                    // After the handshake, epoch-0 records and handshake records can only be
                    // retransmissions of the peer's handshake (we do not renegotiate). Botan 2
                    // parses epoch-0 ones against the finished handshake (a malformed one,
                    // which any off-path sender can forge, closes the association) and takes
                    // an epoch-1 Finished retransmitted under a new record number for a
                    // renegotiation, which then blocks the exporter and application data. So
                    // they never reach Botan. A server answers the client's retransmitted
                    // final flight with its own (Botan 2 has no timer left for it).
                    const bool epoch0 = rec[3] == 0 && rec[4] == 0;
                    if (epoch0 || rec[0] == content_handshake) {
                        replay = replay || (epoch0 && rec[0] == content_handshake);
                        continue;
                    }
                } else if (n >= record_header_size && rec[3] == 0 && rec[4] == 0) {
                    // Epoch-0 records have no MAC, yet Botan 2 moves its replay window
                    // (RFC 6347 §4.1.2.6) with their sequence numbers: one corrupted number
                    // would push the window past every genuine retransmission and stall the
                    // handshake for good. A real peer's handshake never jumps that far.
                    const std::uint64_t seq = load_be48(rec.data() + 5);
                    if (seq > s_->epoch0_highest + epoch0_max_jump) continue;
                    s_->epoch0_highest = std::max(s_->epoch0_highest, seq);
                }
                s_->channel->received_data(rec.data(), rec.size());
            }
            if (replay && s_->role == dtls_role::server && was_active) replay_last_flight();
            for (std::uint16_t seq : s_->acks_to_send) {
                std::array<std::uint8_t, 3> ack{dtls_ekt_ack_marker, 0, 0};
                store_be16(ack.data() + 1, seq);
                s_->send_app(ack.data(), ack.size());
            }
            s_->acks_to_send.clear();
            const std::size_t before = s_->out.size();
            s_->flush();
            // The server's flight answering this datagram: flight 2, or CCS + Finished.
            if (!was_active && s_->out.size() > before)
                s_->last_flight.assign(s_->out.begin() + static_cast<std::ptrdiff_t>(before),
                                       s_->out.end());
        } catch (...) {
            return fail(dtls_detail::map_exception(*s_, std::current_exception(), true));
        }
        if (s_->error != errc::ok) return s_->error; // fatal alert from the peer
        return s_->soft_error;
    }

    /// The next datagram to send to the peer, oldest first; nullopt when none is queued.
    /// A fatal error queues the alert Botan sends, so keep draining after an error.
    std::optional<std::vector<std::uint8_t>> next_datagram() noexcept
    {
        if (!s_ || s_->out.empty()) return std::nullopt;
        try {
            std::optional<std::vector<std::uint8_t>> d{std::move(s_->out.front())};
            s_->out.pop_front();
            return d;
        } catch (...) {
            return std::nullopt;
        }
    }

    /// Retransmission timer (RFC 6347 §4.2.4; RFC 8870 §5.4 for the EKTKey): call it
    /// periodically (e.g. every 50–100 ms). Botan retransmits the last handshake flight once
    /// initial_timeout has passed without an answer, doubling up to maximum_timeout; the
    /// server likewise resends every un-ACKed EKTKey. Errors: invalid_argument (not started),
    /// the stored fatal error, backend_failure.
    errc on_timeout() noexcept
    {
        if (!s_) return errc::invalid_argument;
        if (s_->error != errc::ok) return s_->error;
        try {
            s_->channel->timeout_check();
            if (s_->role == dtls_role::server && !s_->ekt_pending.empty() &&
                std::chrono::steady_clock::now() - s_->ekt_last_send >= s_->ekt_timeout) {
                for (const auto& p : s_->ekt_pending)
                    s_->send_app(p.record.data(), p.record.size());
                s_->ekt_last_send = std::chrono::steady_clock::now();
                s_->ekt_timeout = std::min(2 * s_->ekt_timeout, s_->opt.maximum_timeout);
            }
            s_->flush();
        } catch (...) {
            return fail(dtls_detail::map_exception(*s_, std::current_exception(), false));
        }
        return errc::ok;
    }

    /// True once the handshake completed with an SRTP profile and no fatal error or close
    /// since.
    bool established() const noexcept
    {
        return s_ && s_->activated && !s_->closed && s_->error == errc::ok;
    }

    /// The error that closed the association, or ok.
    errc error() const noexcept { return s_ ? s_->error : errc::ok; }

    /// The negotiated use_srtp profile (RFC 5764 §4.1.1), 0 before the handshake completes.
    std::uint16_t srtp_profile() const noexcept { return s_ ? s_->profile : 0; }

    /// RFC 5764 §4.2: TLS exporter (RFC 5705) with label "EXTRACTOR-dtls_srtp" and no context,
    /// 2·(key + salt) octets of the negotiated profile: 112 for 0x0009, 176 for 0x000A; split
    /// it with split_keying_material (keying_material.hpp). The output is secret.
    /// Errors: no_key (not established), unsupported (the profile is not one perc implements,
    /// find_profile), buffer_too_small / invalid_argument (out smaller / larger than that
    /// size; out untouched), backend_failure. Allocates (Botan); wipes its temporary.
    errc export_keying_material(bytes_span out) const noexcept
    {
        if (!established()) return errc::no_key;
        const profile_info* info = find_profile(s_->profile);
        if (info == nullptr) return errc::unsupported;
        const std::size_t n = 2 * (info->master_key_size + info->master_salt_size);
        if (out.size() < n) return errc::buffer_too_small;
        if (out.size() > n) return errc::invalid_argument;
        try {
            const Botan::SymmetricKey k = s_->channel->key_material_export(dtls_srtp_exporter_label,
                                                                           "", n);
            if (k.size() != n) return errc::backend_failure;
            std::copy_n(k.begin(), n, out.begin());
            return errc::ok;
        } catch (...) {
            return errc::backend_failure;
        }
    }

    /// SHA-256 fingerprint of our certificate (RFC 8122 §5), to put in signalling; all zero
    /// before start().
    std::array<std::uint8_t, 32> local_fingerprint() const noexcept
    {
        return s_ ? s_->local_fp : std::array<std::uint8_t, 32>{};
    }

    /// SHA-256 fingerprint of the peer's certificate once the handshake has verified its
    /// signature (RFC 8122 §5); compare it with the signalled one unless
    /// expected_peer_fingerprint already did.
    std::optional<std::array<std::uint8_t, 32>> peer_fingerprint() const noexcept
    {
        if (!s_) return std::nullopt;
        return s_->peer_fp;
    }

    /// Server: sends an EKTKey (RFC 8870 §5.2.2) — DEVIATION: in the private application_data
    /// framing of the header comment, not as handshake message 26 — and keeps it for
    /// on_timeout() until the client ACKs it (§5.4). §5.2.2 makes it the server's duty to send
    /// one once a handshake that negotiated an EKT cipher has completed: call it then.
    /// Errors: invalid_argument (client role; or a vector empty or over 256 octets, ekt_ttl
    /// over 24 bits), no_key (not established), unsupported (no EKT cipher negotiated: §5.2.2
    /// forbids the message), bad_key_size (ekt_key_value is not the negotiated cipher's L),
    /// the stored fatal error, backend_failure. Allocates.
    errc send_ekt_key(const ekt_key_message& m) noexcept
    {
        if (!s_) return errc::invalid_argument;
        if (s_->error != errc::ok) return s_->error;
        if (s_->role != dtls_role::server) return errc::invalid_argument;
        if (!established()) return errc::no_key;
        if (!s_->ekt) return errc::unsupported;
        if (m.ekt_key_value.size() != ekt_cipher_key_size(*s_->ekt)) return errc::bad_key_size;
        try {
            dtls_detail::pending_ekt_key p;
            p.seq = s_->ekt_next_seq;
            p.record.resize(
                3 + ekt_key_message_size(m.ekt_key_value.size(), m.srtp_master_salt.size()));
            p.record[0] = dtls_ekt_key_marker;
            store_be16(p.record.data() + 1, p.seq);
            const result<std::size_t> n =
                encode_ekt_key_message(m, bytes_span{p.record.data() + 3, p.record.size() - 3});
            if (!n) return n.error();
            s_->send_app(p.record.data(), p.record.size());
            s_->ekt_pending.push_back(std::move(p));
            s_->ekt_next_seq = static_cast<std::uint16_t>(s_->ekt_next_seq + 1);
            s_->ekt_last_send = std::chrono::steady_clock::now();
            s_->ekt_timeout = s_->opt.initial_timeout;
            s_->flush();
            return errc::ok;
        } catch (...) {
            return fail(dtls_detail::map_exception(*s_, std::current_exception(), false));
        }
    }

    /// Client: the next received EKTKey body (decode it with decode_ekt_key_message), oldest
    /// first, each once; nullopt when none is waiting. Already checked to decode and to carry
    /// an EKTKey of the negotiated cipher's size. It holds the EKTKey and salt: wipe it after
    /// use. Server: always nullopt.
    std::optional<std::vector<std::uint8_t>> received_ekt_key() noexcept
    {
        if (!s_ || s_->ekt_received.empty()) return std::nullopt;
        try {
            const auto& b = s_->ekt_received.front();
            std::optional<std::vector<std::uint8_t>> r{
                std::vector<std::uint8_t>(b.begin(), b.end())};
            s_->ekt_received.pop_front();
            return r;
        } catch (...) {
            return std::nullopt;
        }
    }

    /// The EKT cipher of supported_ekt_ciphers (RFC 8870 §5.2.1), once the ServerHello has
    /// been sent (server) or received (client); nullopt when EKT was not negotiated.
    std::optional<ekt_cipher> negotiated_ekt_cipher() const noexcept
    {
        if (!s_) return std::nullopt;
        return s_->ekt;
    }

    /// Number of EKTKeys sent and not yet ACKed (server).
    std::size_t unacked_ekt_keys() const noexcept { return s_ ? s_->ekt_pending.size() : 0; }

private:
    // DTLS 1.2 record header (RFC 6347 §4.1): type(1) version(2) epoch(2) seq(6) length(2).
    static constexpr std::size_t record_header_size = 13;
    static constexpr std::uint8_t content_handshake = 22;
    // Largest forward step of the peer's epoch-0 record sequence number we accept: dozens of
    // lost flights of a few records each.
    static constexpr std::uint64_t epoch0_max_jump = 256;

    static std::uint64_t load_be48(const std::uint8_t* p) noexcept
    {
        std::uint64_t v = 0;
        for (std::size_t i = 0; i < 6; ++i) v = (v << 8) | p[i];
        return v;
    }

    // An epoch-0 handshake record holding a ClientHello (HandshakeType 1) first.
    static bool is_client_hello(bytes_view d) noexcept
    {
        return d.size() > record_header_size && d[0] == content_handshake && d[3] == 0 &&
               d[4] == 0 && d[record_header_size] == 1;
    }

    void replay_last_flight()
    {
        for (const auto& d : s_->last_flight) s_->out.push_back(d);
    }

    errc fail(errc e) noexcept
    {
        if (s_->error == errc::ok) s_->error = e;
        s_->closed = true;
        try {
            s_->flush(); // the alert Botan queued
        } catch (...) {
        }
        return s_->error;
    }

    std::unique_ptr<dtls_detail::state> s_;
};

} // namespace perc::botan
