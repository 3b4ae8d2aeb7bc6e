"""The ``openseeker`` command line."""
