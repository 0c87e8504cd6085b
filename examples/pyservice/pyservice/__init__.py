"""A small key-value service used as an example code base for synthlog's scanner."""
