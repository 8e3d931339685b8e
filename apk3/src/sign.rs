//! EC P-256 keys as OpenWrt 25.12 signs its indexes with, and apk's signature block: a
//! version byte, the hash (SHA-512), the key's id (the first 16 bytes of the SHA-512 of its
//! public point), then the DER ECDSA signature of the schema, those 18 bytes and the
//! SHA-512 of the buffer.

use crate::Error;
use p256::ecdsa::signature::hazmat::{PrehashSigner as _, PrehashVerifier as _};
use p256::ecdsa::{Signature, SigningKey, VerifyingKey};
use p256::pkcs8::{DecodePrivateKey as _, DecodePublicKey as _, EncodePublicKey as _, LineEnding};
use sha2::{Digest as _, Sha512};

/// apk's number for SHA-512.
const SHA512: u8 = 4;

/// A secret key that signs indexes.
pub struct Key {
    secret: SigningKey,
}

impl Key {
    /// A new key from the system's random source.
    pub fn generate() -> Key {
        Key {
            secret: SigningKey::random(&mut rand_core::OsRng),
        }
    }

    /// A key in PEM, as `openssl ecparam -name prime256v1 -genkey` (`EC PRIVATE KEY`) or
    /// `openssl genpkey` (`PRIVATE KEY`) writes it.
    pub fn from_pem(text: &str) -> Result<Key, Error> {
        let secret = p256::SecretKey::from_sec1_pem(text)
            .or_else(|_| p256::SecretKey::from_pkcs8_pem(text))
            .map_err(|_| {
                Error("not an EC P-256 secret key in PEM (EC PRIVATE KEY or PRIVATE KEY)".into())
            })?;
        Ok(Key {
            secret: SigningKey::from(secret),
        })
    }

    /// The secret key in PEM (`EC PRIVATE KEY`), to keep.
    pub fn to_pem(&self) -> String {
        p256::SecretKey::from(&self.secret)
            .to_sec1_pem(LineEnding::LF)
            .expect("a P-256 key encodes")
            .to_string()
    }

    /// The public key in PEM (`PUBLIC KEY`), what a node keeps in /etc/apk/keys/.
    pub fn public_pem(&self) -> String {
        self.secret
            .verifying_key()
            .to_public_key_pem(LineEnding::LF)
            .expect("a P-256 key encodes")
    }

    /// The id apk finds the key by.
    pub fn id(&self) -> [u8; 16] {
        id_of(self.secret.verifying_key())
    }

    /// The payload of the signature block of `adb` (a buffer of `schema`).
    pub fn sign(&self, schema: crate::adb::Schema, adb: &[u8]) -> Vec<u8> {
        let mut payload = vec![0, SHA512];
        payload.extend_from_slice(&self.id());
        let signature: Signature = self
            .secret
            .sign_prehash(&signed_digest(schema, &payload, adb))
            .expect("a SHA-512 prehash signs");
        payload.extend_from_slice(signature.to_der().as_bytes());
        payload
    }
}

fn id_of(public: &VerifyingKey) -> [u8; 16] {
    let point = public.to_encoded_point(false);
    let digest = Sha512::digest(point.as_bytes());
    digest[..16].try_into().expect("16 of 64 bytes")
}

/// What is signed, hashed: the schema, the block's first 18 bytes, the buffer's SHA-512.
fn signed_digest(schema: crate::adb::Schema, header: &[u8], adb: &[u8]) -> [u8; 64] {
    let mut hash = Sha512::new();
    hash.update(schema);
    hash.update(&header[..18]);
    hash.update(Sha512::digest(adb));
    hash.finalize().into()
}

/// Whether `payload` is a signature of `adb` by the public key `public_pem`.
pub fn verify(public_pem: &str, schema: crate::adb::Schema, adb: &[u8], payload: &[u8]) -> bool {
    let Ok(public) = VerifyingKey::from_public_key_pem(public_pem) else {
        return false;
    };
    if payload.len() < 18 || payload[..2] != [0, SHA512] || payload[2..18] != id_of(&public) {
        return false;
    }
    let Ok(signature) = Signature::from_der(&payload[18..]) else {
        return false;
    };
    public
        .verify_prehash(&signed_digest(schema, payload, adb), &signature)
        .is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_signature_verifies_with_its_key_only_and_only_for_its_buffer() {
        let key = Key::generate();
        let other = Key::generate();
        let adb = b"\0\0\0\0\0\0\0\0a buffer";
        let payload = key.sign(crate::adb::INDEX, adb);
        assert_eq!(&payload[..2], &[0, 4]);
        assert!(verify(&key.public_pem(), crate::adb::INDEX, adb, &payload));
        assert!(!verify(
            &other.public_pem(),
            crate::adb::INDEX,
            adb,
            &payload
        ));
        assert!(!verify(
            &key.public_pem(),
            crate::adb::PACKAGE,
            adb,
            &payload
        ));
        assert!(!verify(
            &key.public_pem(),
            crate::adb::INDEX,
            b"another",
            &payload
        ));
    }

    #[test]
    fn a_key_survives_its_pem() {
        let key = Key::generate();
        let again = Key::from_pem(&key.to_pem()).unwrap();
        assert_eq!(key.id(), again.id());
        assert!(key.public_pem().starts_with("-----BEGIN PUBLIC KEY-----\n"));
        assert!(Key::from_pem("-----BEGIN PUBLIC KEY-----\n").is_err());
    }
}
