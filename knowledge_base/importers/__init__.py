"""Importers that turn other formats into content files (Open Referral / HSDS: ``hsds``)."""
