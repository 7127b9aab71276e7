"""Signature templates: drafts, published versions, images, the live preview and the one renderer."""
