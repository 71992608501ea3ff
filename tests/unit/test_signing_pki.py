"""signing.pki and signing.keystore: layout, permissions, encryption, idempotency, errors."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

from signing.errors import KeyStoreError, SigningError
from signing.keystore import KeyStore
from signing.pki import KEY_SIZE, PkiPaths, init_pki

PASSPHRASE = "correct horse 电池 staple"
ENTERPRISES = ("91310000MA1FL8XXXX", "91440300MA5G0ABCDE")


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> PkiPaths:
    return init_pki(tmp_path_factory.mktemp("pki") / "pki", PASSPHRASE, ENTERPRISES)


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def _cn(cert: x509.Certificate) -> str:
    return str(cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value)


def test_layout(pki: PkiPaths) -> None:
    root = pki.directory
    expected = {
        "ca.crt",
        "ca.key",
        "authorities/GACC.crt",
        "authorities/GACC.key",
        "authorities/CCPIT.crt",
        "authorities/CCPIT.key",
    } | {f"enterprises/{e}.{ext}" for e in ENTERPRISES for ext in ("crt", "key")}
    present = {str(p.relative_to(root)) for p in root.rglob("*") if p.is_file() and not p.name.startswith(".")}
    assert present == expected
    assert set(pki.authorities) == {"GACC", "CCPIT"}
    assert set(pki.enterprises) == set(ENTERPRISES)
    assert pki.created == ("CA", "GACC", "CCPIT", *ENTERPRISES)
    assert pki.party("GACC").key == root / "authorities" / "GACC.key"


def test_permissions(pki: PkiPaths) -> None:
    root = pki.directory
    for directory in (root, root / "authorities", root / "enterprises"):
        assert _mode(directory) == 0o700, directory
    for path in root.rglob("*"):
        if path.is_file():
            assert _mode(path) == 0o600, path


def test_keys_are_encrypted_pkcs8(pki: PkiPaths) -> None:
    for path in pki.directory.rglob("*.key"):
        pem = path.read_bytes()
        assert pem.startswith(b"-----BEGIN ENCRYPTED PRIVATE KEY-----"), path
        with pytest.raises(TypeError):  # cannot be loaded without the passphrase
            serialization.load_pem_private_key(pem, password=None)
        key = serialization.load_pem_private_key(pem, password=PASSPHRASE.encode())
        assert key.key_size == KEY_SIZE  # type: ignore[union-attr]


def test_certificates(pki: PkiPaths) -> None:
    ca = x509.load_pem_x509_certificate(pki.ca_certificate.read_bytes())
    assert ca.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    ca_ski = ca.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value
    for party_id in ("GACC", "CCPIT", *ENTERPRISES):
        cert = x509.load_pem_x509_certificate(pki.party(party_id).certificate.read_bytes())
        cert.verify_directly_issued_by(ca)
        assert _cn(cert) == party_id
        assert cert.subject.get_attributes_for_oid(NameOID.SERIAL_NUMBER)[0].value == party_id
        basic = cert.extensions.get_extension_for_class(x509.BasicConstraints)
        assert basic.critical and not basic.value.ca
        usage = cert.extensions.get_extension_for_class(x509.KeyUsage)
        assert usage.critical and usage.value.digital_signature and not usage.value.key_cert_sign
        aki = cert.extensions.get_extension_for_class(x509.AuthorityKeyIdentifier).value
        assert aki.key_identifier == ca_ski.digest
        cert.extensions.get_extension_for_class(x509.SubjectKeyIdentifier)
        lifetime = cert.not_valid_after_utc - cert.not_valid_before_utc
        assert 729 <= lifetime.days <= 731


def test_idempotent_keeps_material_and_adds_enterprise(tmp_path: Path) -> None:
    root = tmp_path / "pki"
    first = init_pki(root, PASSPHRASE, ["E1"])
    before = {p: p.read_bytes() for p in root.rglob("*") if p.is_file()}

    again = init_pki(root, PASSPHRASE, ["E1"])
    assert again.created == ()
    assert {p: p.read_bytes() for p in root.rglob("*") if p.is_file()} == before

    more = init_pki(root, PASSPHRASE, ["E1", "E2"])
    assert more.created == ("E2",)
    for path, content in before.items():
        assert path.read_bytes() == content, path
    assert set(more.enterprises) == {"E1", "E2"}
    ca = x509.load_pem_x509_certificate(first.ca_certificate.read_bytes())
    x509.load_pem_x509_certificate((root / "enterprises" / "E2.crt").read_bytes()).verify_directly_issued_by(ca)


def test_reissues_certificate_for_orphan_key_and_rejects_orphan_certificate(tmp_path: Path) -> None:
    root = tmp_path / "pki"
    init_pki(root, PASSPHRASE, ["E1", "E2"], authorities=())
    key_before = (root / "enterprises" / "E1.key").read_bytes()
    (root / "enterprises" / "E1.crt").unlink()
    assert init_pki(root, PASSPHRASE, ["E1"], authorities=()).created == ("E1",)
    assert (root / "enterprises" / "E1.key").read_bytes() == key_before
    KeyStore(root, PASSPHRASE).signer("E1")  # key and new certificate match

    (root / "enterprises" / "E2.key").unlink()
    with pytest.raises(KeyStoreError, match=r"E2\.key is missing"):
        init_pki(root, PASSPHRASE, ["E2"], authorities=())


def test_init_with_wrong_passphrase_when_issuing(tmp_path: Path) -> None:
    root = tmp_path / "pki"
    init_pki(root, PASSPHRASE, ["E1"])
    with pytest.raises(KeyStoreError, match="wrong passphrase"):
        init_pki(root, "not the passphrase", ["E9"])
    assert not (root / "enterprises" / "E9.crt").exists()


@pytest.mark.parametrize("bad", ["../x", "", "a b", "x/y", ".hidden", "E_1"])
def test_rejects_unsafe_party_ids(tmp_path: Path, bad: str) -> None:
    with pytest.raises(ValueError, match="invalid party id"):
        init_pki(tmp_path / "pki", PASSPHRASE, [bad])


def test_rejects_empty_passphrase_and_overlapping_ids(tmp_path: Path) -> None:
    with pytest.raises(KeyStoreError, match="passphrase"):
        init_pki(tmp_path / "a", "", ["E1"])
    with pytest.raises(ValueError, match="both as authority and enterprise"):
        init_pki(tmp_path / "b", PASSPHRASE, ["GACC"])


# --- KeyStore -----------------------------------------------------------------------------------


def test_keystore_certificates(pki: PkiPaths) -> None:
    store = KeyStore(pki.directory, PASSPHRASE)
    assert _cn(store.certificate("GACC")) == "GACC"
    assert _cn(store.certificate(ENTERPRISES[0])) == ENTERPRISES[0]
    assert store.ca_certificate().subject == store.certificate("GACC").issuer
    assert store.has("CCPIT") and store.has(ENTERPRISES[1])
    assert not store.has("NOPE") and not store.has("../ca")
    assert store.authorities() == ("CCPIT", "GACC")
    assert store.enterprises() == tuple(sorted(ENTERPRISES))
    with pytest.raises(KeyStoreError, match="no certificate for party 'NOPE'"):
        store.certificate("NOPE")
    with pytest.raises(KeyStoreError):
        store.signer("../ca")


def test_keystore_signer_is_cached_and_decrypts_once(pki: PkiPaths, monkeypatch: pytest.MonkeyPatch) -> None:
    import signing.keystore as keystore_module

    calls: list[Path] = []
    real = keystore_module.load_private_key

    def counting(path: Path, passphrase: str) -> rsa.RSAPrivateKey:
        calls.append(path)
        return real(path, passphrase)

    monkeypatch.setattr(keystore_module, "load_private_key", counting)
    store = KeyStore(pki.directory, PASSPHRASE)
    first = store.signer(ENTERPRISES[0])
    assert store.signer(ENTERPRISES[0]) is first
    store.signer("GACC")
    assert calls == [pki.party(ENTERPRISES[0]).key, pki.party("GACC").key]
    assert first.party_id == ENTERPRISES[0]


def test_keystore_wrong_passphrase(pki: PkiPaths) -> None:
    store = KeyStore(pki.directory, "not the passphrase")
    store.certificate("GACC")  # certificates need no passphrase
    with pytest.raises(KeyStoreError, match="wrong passphrase") as info:
        store.signer("GACC")
    assert isinstance(info.value, SigningError)


def test_keystore_missing_directory_and_key(tmp_path: Path, pki: PkiPaths) -> None:
    with pytest.raises(KeyStoreError, match=r"ca\.crt is missing"):
        KeyStore(tmp_path / "nowhere", PASSPHRASE)
    root = tmp_path / "pki"
    init_pki(root, PASSPHRASE, ["E1"], authorities=())
    (root / "enterprises" / "E1.key").unlink()
    with pytest.raises(KeyStoreError, match="does not exist"):
        KeyStore(root, PASSPHRASE).signer("E1")


def test_keystore_refuses_unencrypted_key(tmp_path: Path) -> None:
    root = tmp_path / "pki"
    init_pki(root, PASSPHRASE, ["E1"], authorities=())
    key_path = root / "enterprises" / "E1.key"
    key = serialization.load_pem_private_key(key_path.read_bytes(), password=PASSPHRASE.encode())
    key_path.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    with pytest.raises(KeyStoreError, match="not encrypted"):
        KeyStore(root, PASSPHRASE).signer("E1")
