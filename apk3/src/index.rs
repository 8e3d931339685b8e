//! A repository's `packages.adb` as `apk mkndx` makes it: each package's information copied
//! from the package, with the size of its file and the SHA-256 of its buffer (which apk
//! checks a fetched package against), then the list sorted by name, then the signatures.

use crate::Error;
use crate::adb::{self, Block, NULL, Value, Writer};
use crate::package::{PACKAGE_INFO, info_field};
use crate::sign::Key;
use sha2::{Digest as _, Sha256};

/// One package of the index: its buffer and the size of its file as the repository serves
/// it (compressed or not).
pub struct Entry<'a> {
    pub package_adb: &'a [u8],
    pub file_size: u64,
}

/// The index's buffer, the packages taken in the order given (which decides the bytes, as
/// the order of `apk mkndx`'s arguments does).
pub fn make(entries: &[Entry], description: &str) -> Result<Vec<u8>, Error> {
    let mut w = Writer::new();
    let mut packages: Vec<(Vec<u8>, Value)> = Vec::new();
    for entry in entries {
        let source = entry.package_adb;
        let info = adb::field(source, adb::root(source), PACKAGE_INFO);
        let mut fields: Vec<Value> = adb::entries(source, info)
            .into_iter()
            .map(|value| w.copy(source, value))
            .collect();
        fields.resize(fields.len().max(info_field::END - 1), NULL);
        fields[info_field::FILE_SIZE - 1] = w.int(entry.file_size);
        fields[info_field::HASHES - 1] = w.blob(&Sha256::digest(source));
        let name = adb::blob(source, adb::field(source, info, info_field::NAME)).to_vec();
        packages.push((name, w.object(&fields)));
    }
    packages.sort_by(|a, b| a.0.cmp(&b.0));
    if let Some(pair) = packages.windows(2).find(|pair| pair[0].0 == pair[1].0) {
        return Err(Error(format!(
            "{}: twice in one index",
            String::from_utf8_lossy(&pair[0].0)
        )));
    }
    let description = w.blob(description.as_bytes());
    let values: Vec<Value> = packages.iter().map(|p| p.1).collect();
    let packages = w.object(&values);
    let root = w.object(&[description, packages]);
    w.set_root(root);
    Ok(w.finish())
}

/// The index file: the buffer, then a signature by each key (none: unsigned).
pub fn file(index_adb: &[u8], keys: &[&Key]) -> Vec<u8> {
    let mut file = Vec::new();
    adb::file_header(&mut file, adb::INDEX);
    adb::block(&mut file, Block::Adb, &[index_adb]);
    for key in keys {
        adb::block(
            &mut file,
            Block::Signature,
            &[&key.sign(adb::INDEX, index_adb)],
        );
    }
    file
}

/// A package as an index lists it.
#[derive(Debug)]
pub struct Listed {
    pub name: String,
    pub version: String,
    pub arch: String,
    /// The SHA-256 of the package's buffer.
    pub hash: Vec<u8>,
    pub file_size: u64,
    pub depends: Vec<String>,
    pub provides: Vec<String>,
}

/// The packages an index lists, in its order.
pub fn listed(index_adb: &[u8]) -> Vec<Listed> {
    let packages = adb::field(index_adb, adb::root(index_adb), 2);
    adb::entries(index_adb, packages)
        .into_iter()
        .map(|info| {
            let field = |field| adb::field(index_adb, info, field);
            let bytes = |field| adb::blob(index_adb, adb::field(index_adb, info, field));
            let text = |value| String::from_utf8_lossy(adb::blob(index_adb, value)).into_owned();
            let dependencies = |list| {
                adb::entries(index_adb, field(list))
                    .into_iter()
                    .map(|d| {
                        let name = text(adb::field(index_adb, d, 1));
                        match text(adb::field(index_adb, d, 2)) {
                            version if version.is_empty() => name,
                            version => format!("{name}={version}"),
                        }
                    })
                    .collect()
            };
            Listed {
                name: text(field(info_field::NAME)),
                version: text(field(info_field::VERSION)),
                arch: text(field(info_field::ARCH)),
                hash: bytes(info_field::HASHES).to_vec(),
                file_size: adb::int(index_adb, field(info_field::FILE_SIZE)),
                depends: dependencies(info_field::DEPENDS),
                provides: dependencies(info_field::PROVIDES),
            }
        })
        .collect()
}
