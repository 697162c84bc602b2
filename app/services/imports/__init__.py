"""Importers that bring outside data (GIAS extracts, ...) into a partnership's register."""
