"""Interchange: network files (.json, .npz, .onnx) and torch modules, read and written exactly."""
