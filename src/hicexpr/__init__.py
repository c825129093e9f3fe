"""hicexpr: predict gene expression from 3D genome organisation."""

__version__ = "0.1.0"

__all__ = ["__version__"]
