"""Queries written once against the ``GraphStore`` primitives."""
