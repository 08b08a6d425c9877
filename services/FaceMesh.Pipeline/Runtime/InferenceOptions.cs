namespace FaceMesh.Pipeline.Runtime;

public sealed record InferenceOptions
{
    public ExecutionProvider Provider { get; init; } = ExecutionProvider.Cpu;

    /// <summary>Threads ONNX Runtime uses inside one operator; 0 lets it choose (one per physical core).</summary>
    public int IntraOpThreads { get; init; }

    public int CudaDeviceId { get; init; }

    public static InferenceOptions Default { get; } = new();
}
