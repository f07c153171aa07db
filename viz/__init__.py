"""Relationship maps, web explorer assets and report templates."""
