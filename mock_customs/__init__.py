"""Mock customs: a separate program standing in for GACC (and later CCPIT) over SFTP + HTTP admin.

It behaves like an authority: it verifies signatures against the certificates enterprises registered,
validates against the XSDs, reviews certificates with its own rules and answers with staged, signed
receipts. It imports ``messages`` and ``signing`` only; never ``gateway`` or ``scheduler``.
"""
