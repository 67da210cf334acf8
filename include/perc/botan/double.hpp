// perc — RFC 8723 double transforms and Media Distributor on the Botan backend.
#pragma once

#include <perc/botan/aes_key_wrap.hpp>
#include <perc/botan/srtp.hpp>
#include <perc/double_endpoint.hpp>
#include <perc/ekt.hpp>
#include <perc/ekt_endpoint.hpp>
#include <perc/media_distributor.hpp>

namespace perc::botan {

/// DOUBLE_AEAD_AES_128_GCM_AEAD_AES_128_GCM (RFC 8723 §10.1, DTLS-SRTP 0x0009).
using double_aes_128_gcm = double_endpoint<srtp_aes_128_gcm, srtp_aes_128_gcm>;
/// DOUBLE_AEAD_AES_256_GCM_AEAD_AES_256_GCM (RFC 8723 §10.1, DTLS-SRTP 0x000A).
using double_aes_256_gcm = double_endpoint<srtp_aes_256_gcm, srtp_aes_256_gcm>;

/// Media Distributors for those profiles: outer (AES-GCM) keys only.
using media_distributor_aes_128_gcm = media_distributor<srtp_aes_128_gcm>;
using media_distributor_aes_256_gcm = media_distributor<srtp_aes_256_gcm>;

/// RFC 8870 EKT for those profiles. RFC 8870 §6: the EKT cipher's key must be at least as
/// long as the SRTP key, so the 256 profile pairs with AESKW256.
using ekt_sender_aes_128 = ekt_sender<aeskw_128, 16>;
using ekt_receiver_aes_128 = ekt_receiver<aeskw_128>;
using ekt_sender_aes_256 = ekt_sender<aeskw_256, 32>;
using ekt_receiver_aes_256 = ekt_receiver<aeskw_256>;

} // namespace perc::botan
