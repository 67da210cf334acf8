// Known-answer AES-GCM vectors shared by the AEAD backend tests (test_botan_aead.cpp,
// test_ipsec_mb_aead.cpp): the McGrew–Viega GCM test cases with 96-bit IVs and the raw GCM
// values of RFC 7714 §16/§17 (from the rfc7714 digest §11).
#pragma once

namespace perc_test {

struct gcm_vector {
    const char* name;
    const char* key;
    const char* iv;
    const char* aad;
    const char* pt;
    const char* ct;
    const char* tag;
};

// McGrew & Viega, "The Galois/Counter Mode of Operation (GCM)", test cases with 96-bit IVs
// (the same values as NIST's GCM validation examples). AES-128: cases 1–4.
const gcm_vector nist128[] = {
    {"GCM test case 1", "00000000000000000000000000000000", "000000000000000000000000", "", "", "",
     "58e2fccefa7e3061367f1d57a4e7455a"},
    {"GCM test case 2", "00000000000000000000000000000000", "000000000000000000000000", "",
     "00000000000000000000000000000000", "0388dace60b6a392f328c2b971b2fe78",
     "ab6e47d42cec13bdf53a67b21257bddf"},
    {"GCM test case 3", "feffe9928665731c6d6a8f9467308308", "cafebabefacedbaddecaf888", "",
     "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a72"
     "1c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b391aafd255",
     "42831ec2217774244b7221b784d0d49ce3aa212f2c02a4e035c17e2329aca12e"
     "21d514b25466931c7d8f6a5aac84aa051ba30b396a0aac973d58e091473f5985",
     "4d5c2af327cd64a62cf35abd2ba6fab4"},
    {"GCM test case 4", "feffe9928665731c6d6a8f9467308308", "cafebabefacedbaddecaf888",
     "feedfacedeadbeeffeedfacedeadbeefabaddad2",
     "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a72"
     "1c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b39",
     "42831ec2217774244b7221b784d0d49ce3aa212f2c02a4e035c17e2329aca12e"
     "21d514b25466931c7d8f6a5aac84aa051ba30b396a0aac973d58e091",
     "5bc94fbc3221a5db94fae95ae7121a47"},
};

// AES-256: cases 13–16.
const gcm_vector nist256[] = {
    {"GCM test case 13", "0000000000000000000000000000000000000000000000000000000000000000",
     "000000000000000000000000", "", "", "", "530f8afbc74536b9a963b4f1c4cb738b"},
    {"GCM test case 14", "0000000000000000000000000000000000000000000000000000000000000000",
     "000000000000000000000000", "", "00000000000000000000000000000000",
     "cea7403d4d606b6e074ec5d3baf39d18", "d0d1c8a799996bf0265b98b5d48ab919"},
    {"GCM test case 15", "feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308",
     "cafebabefacedbaddecaf888", "",
     "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a72"
     "1c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b391aafd255",
     "522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa"
     "8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0abcc9f662898015ad",
     "b094dac5d93471bdec1a502270e3cc6c"},
    {"GCM test case 16", "feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308",
     "cafebabefacedbaddecaf888", "feedfacedeadbeeffeedfacedeadbeefabaddad2",
     "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a72"
     "1c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b39",
     "522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa"
     "8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0abcc9f662",
     "76fc6ece0f4e1768cddf8853bb2d551b"},
};

// RFC 7714 §16/§17 raw GCM values (key, IV, AAD, PT -> cipher, tag), from the digest
// (rfc7714-aes-gcm-srtp.md §11). The SRTCP AADs are header(8) ‖ ESRTCP word (§9.2) or
// packet ‖ ESRTCP word (§9.3).
#define RFC_PAYLOAD                                                                                \
    "47616c6c 69612065 7374206f 6d6e6973 20646976 69736120 696e2070 61727465 73207472 6573"
#define RFC_RTCP_REST                                                                              \
    "4e545031 4e545032 52545020 0000042a 0000e930 4c756e61 deadbeef deadbeef deadbeef deadbeef "   \
    "deadbeef"
const gcm_vector rfc128[] = {
    {"RFC 7714 §16.1.1", "000102030405060708090a0b0c0d0e0f", "51753c6580c2726f20718414",
     "8040f17b 8041f8d3 5501a0b2", RFC_PAYLOAD,
     "f24de3a3 fb34de6c acba861c 9d7e4bca be633bd5 0d294e6f 42a5f47a 51c7d19b 36de3adf 8833",
     "899d7f27 beb16a91 52cf765e e4390cce"},
    {"RFC 7714 §16.1.3 (tagging only)", "000102030405060708090a0b0c0d0e0f",
     "51753c6580c2726f20718414", "8040f17b 8041f8d3 5501a0b2 " RFC_PAYLOAD, "", "",
     "22493f82 d2bce397 e9d79e3b 19aa4216"},
    {"RFC 7714 §17.1", "000102030405060708090a0b0c0d0e0f", "517524055203726f207170bb",
     "81c8000d 4d617273 800005d4", RFC_RTCP_REST,
     "63e94885 dcdab67c a727d766 2f6b7e99 7ff5c0f7 6c06f32d c676a5f1 730d6fda 4ce09b46 86303ded "
     "0bb9275b",
     "c84aa458 96cf4d2f c5abf872 45d9eade"},
    {"RFC 7714 §17.3 (E = 0)", "000102030405060708090a0b0c0d0e0f", "517524055203726f207170bb",
     "81c8000d 4d617273 " RFC_RTCP_REST " 000005d4", "", "", "841dd968 3dd78ec9 2ae58790 125f62b3"},
};
const gcm_vector rfc256[] = {
    {"RFC 7714 §16.2.1", "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f",
     "51753c6580c2726f20718414", "8040f17b 8041f8d3 5501a0b2", RFC_PAYLOAD,
     "32b1de78 a822fe12 ef9f78fa 332e33aa b1801238 9a58e2f3 b50b2a02 76ffae0f 1ba63799 b87b",
     "7aa3db36 dfffd6b0 f9bb7878 d7a76c13"},
    {"RFC 7714 §16.2.3 (tagging only)",
     "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f", "51753c6580c2726f20718414",
     "8040f17b 8041f8d3 5501a0b2 " RFC_PAYLOAD, "", "", "a866d591 0f887463 067ceefe c45215d4"},
    {"RFC 7714 §17.2", "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f",
     "517524055203726f207170bb", "81c8000d 4d617273 800005d4", RFC_RTCP_REST,
     "d50ae4d1 f5ce5d30 4ba297e4 7d470c28 2c3ece5d bffe0a50 a2eaa5c1 110555be 8415f658 c61de047 "
     "6f1b6fad",
     "1d1eb30c 4446839f 57ff6f6c b26ac3be"},
    {"RFC 7714 §17.4 (E = 0)", "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f",
     "517524055203726f207170bb", "81c8000d 4d617273 " RFC_RTCP_REST " 000005d4", "", "",
     "91db4afb feee5a97 8fab4393 ed2615fe"},
};
#undef RFC_PAYLOAD
#undef RFC_RTCP_REST

} // namespace perc_test
