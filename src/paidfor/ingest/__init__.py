"""Importers: one module per source format (registered in ``registry``), one shared pipeline."""
