// perc — umbrella header for the backend-neutral core. Backends are included separately
// (e.g. <perc/botan/double.hpp>), so this header needs no crypto library.
#pragma once

#include <perc/aead_nonce.hpp>
#include <perc/aes_cm_prf.hpp>
#include <perc/bytes.hpp>
#include <perc/concepts.hpp>
#include <perc/config.hpp>
#include <perc/double_endpoint.hpp>
#include <perc/ekt.hpp>
#include <perc/ekt_dtls.hpp>
#include <perc/ekt_endpoint.hpp>
#include <perc/ekt_field.hpp>
#include <perc/endpoint_session.hpp>
#include <perc/errc.hpp>
#include <perc/key_distributor.hpp>
#include <perc/keying_material.hpp>
#include <perc/md_session.hpp>
#include <perc/media_distributor.hpp>
#include <perc/ohb.hpp>
#include <perc/replay_window.hpp>
#include <perc/result.hpp>
#include <perc/rtcp_header.hpp>
#include <perc/rtp_header.hpp>
#include <perc/rtp_index.hpp>
#include <perc/secret_bytes.hpp>
#include <perc/srtp_aead_transform.hpp>
#include <perc/srtp_session.hpp>
#include <perc/srtp_stream.hpp>
#include <perc/stream_table.hpp>
#include <perc/suites.hpp>
#include <perc/tunnel.hpp>
