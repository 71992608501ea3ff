"""XMLDSig signing and verification, the key store, and a test PKI.

- ``signing.pki.init_pki``: create or complete a test PKI (CA, authorities, enterprises).
- ``signing.keystore.KeyStore``: certificates and cached ``Signer`` objects per party.
- ``signing.xmldsig``: ``Signer``, ``Verifier`` (pinned certificates), ``verify_with_ca``.
- ``signing.errors``: ``SigningError`` > ``SignatureInvalid``, ``KeyStoreError``.
"""
