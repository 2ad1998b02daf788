"""kernelenv: project environments as first-class Jupyter kernels."""
