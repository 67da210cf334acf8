// perc — RFC 8723 double transforms and Media Distributor on the Intel IPsec-MB backend.
// EKT (RFC 8870) needs an AES key wrap, which IPsec-MB 1.3 does not offer: pair these with
// the Botan backend's aeskw_128/aeskw_256 (perc/botan/aes_key_wrap.hpp) for EKT.
#pragma once

#include <perc/double_endpoint.hpp>
#include <perc/ipsec_mb/srtp.hpp>
#include <perc/media_distributor.hpp>

namespace perc::ipsec_mb {

/// DOUBLE_AEAD_AES_128_GCM_AEAD_AES_128_GCM (RFC 8723 §10.1, DTLS-SRTP 0x0009).
using double_aes_128_gcm = double_endpoint<srtp_aes_128_gcm, srtp_aes_128_gcm>;
/// DOUBLE_AEAD_AES_256_GCM_AEAD_AES_256_GCM (RFC 8723 §10.1, DTLS-SRTP 0x000A).
using double_aes_256_gcm = double_endpoint<srtp_aes_256_gcm, srtp_aes_256_gcm>;

/// Media Distributors for those profiles: outer (AES-GCM) keys only.
using media_distributor_aes_128_gcm = media_distributor<srtp_aes_128_gcm>;
using media_distributor_aes_256_gcm = media_distributor<srtp_aes_256_gcm>;

} // namespace perc::ipsec_mb
