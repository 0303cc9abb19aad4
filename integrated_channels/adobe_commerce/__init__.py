"""Adobe Commerce connector: priced courses and programs exported as products (async bulk REST)."""
