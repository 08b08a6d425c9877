namespace FaceMesh.Pipeline.Runtime;

/// <summary>Where ONNX Runtime runs a model. CUDA falls back to the CPU when it is not usable.</summary>
public enum ExecutionProvider { Cpu, Cuda }
