"""Reading pages: bytes in, text and metadata out - decoding, HTML (metadata, dates, main text),
feeds and sitemaps, URLs, and the fingerprints that find copies. Knows nothing of claims."""
