"""Training Data Access: a denormalised read model of a customer's catalog and a public catalog API."""
