"""Running the project's ONNX models: the manifest, checksums and sessions."""
