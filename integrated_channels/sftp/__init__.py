"""SFTP connector (DESIGN §8): a customer's SFTP drop, its connection and its attribute mapping."""
