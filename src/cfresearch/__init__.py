"""cfresearch: a Jupyter research workbench for customer-focus research."""

__version__ = "0.1.0"
