"""edgedse: exact design-space exploration for DNNs on heterogeneous edge hardware.

The data flow is  ONNX / benchmark file → models (layer graph, PiSDF/SDF, architecture, costs)
→ a Problem → formulations (MILP, CP-SAT) → solvers → a Solution → the independent evaluator.

Public entry points (all re-exported here, solver libraries are imported lazily):

>>> from edgedse import load_onnx, load_architecture
"""
from edgedse.errors import InputError, InfeasibleError
from edgedse.models.onnx_import import load_onnx
from edgedse.models.architecture import load_architecture

__version__ = "0.1.0"
__all__ = ["InputError", "InfeasibleError", "load_onnx", "load_architecture", "__version__"]
