"""The channel framework: registry, configuration and audit models, exporters, transports, runs."""
