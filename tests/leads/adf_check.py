"""Checking an ADF document the way a strict CRM intake would: parse it, validate it."""

from __future__ import annotations

from pathlib import Path

from lxml import etree

DTD = etree.DTD(str(Path(__file__).with_name("adf-1.0-subset.dtd")))


def parse_adf(document: str | bytes) -> etree._Element:
    """Parse and validate; raises AssertionError naming the DTD errors."""
    data = document.encode() if isinstance(document, str) else document
    assert data.startswith(b'<?xml version="1.0" encoding="UTF-8"?>'), data[:60]
    assert b'<?adf version="1.0"?>' in data.split(b"<adf>", 1)[0]
    root = etree.fromstring(data, etree.XMLParser(resolve_entities=False))
    assert DTD.validate(root), DTD.error_log.filter_from_errors()
    return root
