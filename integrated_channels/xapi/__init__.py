"""xAPI: statement import from CSV on the customer's SFTP server, and an LRS channel (docs/channels/xapi.md)."""
